"""gunicorn settings for pastecms: `pastecms serve`, or from a source checkout
`gunicorn -c deploy/gunicorn.conf.py wsgi:app` (which imports these).

Workers behind nginx: nginx buffers slow clients and request bodies, so a worker
only ever talks to nginx over loopback and never waits on a client. Every setting below
can be overridden from the environment (the systemd unit's EnvironmentFile) or on the
command line, which gunicorn applies after this file.
"""

import gc
import os
import shutil
import sys
import tempfile


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on
    except AttributeError:
        return os.cpu_count() or 1


def _int_env(*names: str, default: int) -> int:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return int(value)
    return default


def _limits_counted_in_memory() -> bool:
    """Whether the app this environment configures counts its rate limits in each
    process's own memory (the embedded default, `memory://`)."""
    from pastecms import settings_from_environment

    settings = settings_from_environment()
    return bool(settings["RATELIMIT_ENABLED"]) and str(
        settings["RATELIMIT_STORAGE_URI"]
    ).startswith("memory:")


bind = os.environ.get("PASTECMS_BIND", "127.0.0.1:8000")

# Limits counted in memory are counted by each worker alone, so several workers would let
# every limit allow that many times what it says (the production config refuses to start
# so): on the embedded default, one worker, answering in threads (below).
_LIMITS_IN_MEMORY = _limits_counted_in_memory()

# A sync worker is held for the whole of each request it answers, slow ones included: a
# password check (a quarter of a second of bcrypt), the first view of a paste (up to
# HIGHLIGHT_TIME_LIMIT of highlighting), a large list. Two per CPU, and one more (gunicorn's
# own advice), keep workers free for everyone else when several slow requests arrive
# together: when an attack starts (`make hostile` on PostgreSQL, 2 CPUs), a well-behaved
# client's reads waited 180-230 ms behind its first guesses and page views with 3
# workers, 80-100 ms with 5. On CPU-bound reads 5 workers answered as many requests a
# second as 3 (2,400-2,570 against 2,380-2,430). More costs memory (about 60-90 MiB a
# worker) and, on SQLite, write contention.
# WEB_CONCURRENCY is gunicorn's own convention; naming `workers` here would shadow it.
workers = _int_env(
    "PASTECMS_WORKERS", "WEB_CONCURRENCY", default=1 if _LIMITS_IN_MEMORY else 2 * _cpu_count() + 1
)
# Requests each worker answers at once, one a thread. A request that waits (on bcrypt,
# which runs outside Python's lock, on a highlighting child process, on SQLite's write
# lock) then holds one thread, not the whole worker. That matters with one worker (limits
# counted in memory), where a password guesser or a pathological paste would otherwise
# stall every client behind it (`make hostile`: the well-behaved client's p99 went from
# 36-65 to 7-13 times its quiet p99 with 4 threads). 8 rather than 4: when an attack
# starts, its first guesses and first views of new pastes wait side by side for a
# quarter to half a second, and 4 threads were all taken (a read then waited 260-310 ms;
# 50-70 ms with 8 or 16). Several workers already answer side by side, and gunicorn's
# threaded worker costs CPU on every request (make bench's bare Flask app: about 930 µs a
# request against 600 with sync workers), so they stay sync. Each thread may hold a
# database connection: the pool holds PASTECMS_DATABASE_POOL_SIZE (default 5) and opens
# up to 10 more on demand. Set the worker count with PASTECMS_WORKERS for this default
# to follow it: gunicorn's --workers on the command line is applied after this file.
threads = _int_env("PASTECMS_THREADS", default=8 if workers == 1 else 1)
# gunicorn's workers, answering their own refusals of oversized request lines and headers
# (below) in JSON, as every other failure on the API is.
worker_class = "pastecms.gunicorn_worker." + ("ThreadWorker" if threads > 1 else "SyncWorker")

# A worker that stops reporting for this long is stuck and is killed and replaced; nginx
# (proxy_read_timeout 35s, a little longer) answers its clients with a JSON 502. A sync
# worker reports between requests, so this bounds a request; a threaded one reports from
# its main loop while requests run in threads, whose slow parts are bounded on their own
# (highlighting by its CPU budget, bcrypt by its rounds, SQLite's lock by its busy timeout).
timeout = _int_env("PASTECMS_WORKER_TIMEOUT", default=30)
graceful_timeout = 30  # on restart, let requests in flight finish
# One request per connection, as nginx sends them and as sync workers answer them: a
# threaded worker keeping a client's connection alive would tie that client to it however
# busy it is, while each new connection goes to whichever worker accepts it first.
keepalive = 0

# Bounded request lines and headers; bodies are bounded by nginx and MAX_CONTENT_LENGTH.
# Behind the shipped nginx, which reads at most 8 KiB a line (large_client_header_buffers),
# only the number of headers can exceed these.
limit_request_line = 8190
limit_request_fields = 100

# X-Forwarded-* are handled by the app's ProxyFix, which trusts exactly
# PASTECMS_PROXY_HOPS proxies; gunicorn trusting them too would be a second, different rule.
forwarded_allow_ips = ""

# Logs go to stdout/stderr, which systemd hands to the journal. The access log carries the
# request id the app put in the response header: nginx's $request_id when behind nginx
# (which nginx also logs), or one the app drew itself, so one grep finds a request in the
# nginx log, this log and the app's error log. %(M)s is the duration in milliseconds.
accesslog = os.environ.get("PASTECMS_ACCESS_LOG", "-")
errorlog = os.environ.get("PASTECMS_ERROR_LOG", "-")
loglevel = os.environ.get("PASTECMS_LOG_LEVEL", "info")
# The request line is the method, the target with every secret query parameter masked
# (`pastecms.logged_target`, set by the app: keys, tokens and passwords that clients send
# in the query string never reach the log) and the protocol.
access_log_format = (
    '%(h)s "%(m)s %({pastecms.logged_target}e)s %(H)s" %(s)s %(B)s %(M)sms '
    'rid=%({x-request-id}o)s "%(f)s" "%(a)s"'
)

proc_name = "pastecms"
# Each worker imports the app itself, from the files on disk, so that a reload (HUP:
# `systemctl reload pastecms`) starts workers on the code just installed while the old
# ones finish their requests; the listening socket stays open throughout, so no request
# is refused. A preloaded app (preload_app = True) would be imported once by the master
# and every new worker forked from that old copy: a reload would serve the old code until
# a full restart. The cost: each worker imports the app (a second or so at start) and
# shares fewer memory pages with the others.
preload_app = False

# The app's own modules, which a new worker must import afresh (`post_fork`).
_APP_MODULES = ("pastecms", "wsgi", "config")


def on_starting(server):
    _prepare_metrics_folder()
    # The app refuses to start (no secret key, a setting out of range, several workers
    # counting limits each in its own memory) here in the master, once, before any worker
    # is forked: its one line, and the server exits. Refused in each worker instead, the
    # master would start another every second, for ever, and never serve. The app is
    # built as a worker builds it (gunicorn's documented `load`), then dropped: each
    # worker builds its own from the code on disk (post_fork).
    try:
        app = server.app.load()
        if hasattr(app, "extensions"):  # a Flask app
            from pastecms import ConfigurationError, ratelimit

            try:
                ratelimit.check_workers(app, server.cfg.workers)
            except ConfigurationError as error:
                raise SystemExit(f"pastecms: {error}") from None
            if "sqlalchemy" in app.extensions:
                from pastecms.extensions import db

                with app.app_context():
                    db.engine.dispose()  # no connection of the master's may reach a worker
    except SystemExit:
        on_exit(server)  # no worker will write metrics: remove a folder made for them
        raise
    if _LIMITS_IN_MEMORY and server.cfg.workers == 1:
        server.log.info(
            "pastecms: one worker with %d threads, as rate limits are counted in memory; "
            "for more workers set PASTECMS_RATELIMIT_STORAGE_URI=redis://host:6379/0",
            server.cfg.threads,
        )


def on_exit(server):
    if _MADE_METRICS_FOLDER:
        shutil.rmtree(_MADE_METRICS_FOLDER.pop(), ignore_errors=True)


# /metrics with several workers (pastecms.metrics): prometheus_client's multiprocess mode,
# where each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR and a scrape
# reads every worker's. The master sets the folder before any worker starts (workers
# inherit its environment): the operator's, emptied as prometheus_client asks (values
# from a former run would be added to this one's), or a private temporary one, removed
# on exit. Workers import prometheus_client after the fork, with the variable set.
_METRICS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_MADE_METRICS_FOLDER: list[str] = []


def _prepare_metrics_folder():
    folder = os.environ.get(_METRICS_VARIABLE)
    if not folder:
        folder = tempfile.mkdtemp(prefix="pastecms-metrics-")
        _MADE_METRICS_FOLDER.append(folder)
        os.environ[_METRICS_VARIABLE] = folder
        return
    os.makedirs(folder, mode=0o700, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    # A dead worker's live gauges (the database pool's) leave the sums; its counters stay.
    if os.environ.get(_METRICS_VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    # A full garbage collection holds every thread of the worker while it walks every
    # object. What the worker has made by now (the app, its modules, their tables) lives as
    # long as it does: collect once, then leave those objects out of every later
    # collection, which then walks only what requests made. Under the hostile run a full
    # collection went from 155-190 ms, stalling whatever was being answered, to 10 ms.
    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    if not server.cfg.preload_app:
        # The master imported the `pastecms` package to load the worker class (above):
        # forget it, and any other app module, so that this worker imports the code on
        # disk now, not the master's copy from its start. (The dependencies the master
        # imported stay as they were: after an upgrade that changed one, restart.)
        for name in list(sys.modules):
            if name.partition(".")[0] in _APP_MODULES:
                del sys.modules[name]
        return
    # Nothing should have opened a database connection in the master, but if something
    # ever does, a connection shared across a fork corrupts both ends: drop the pool's
    # inherited connections (without closing the master's) so each worker opens its own.
    app = getattr(server.app, "callable", None)  # set in the master only by preload_app
    if app is not None and "sqlalchemy" in getattr(app, "extensions", {}):
        from pastecms.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)


def worker_exit(server, worker):
    # A content webhook is called from a thread after its change commits: a worker
    # stopping (a restart, a reload) gives the calls under way a few seconds to finish and
    # be recorded, rather than dropping them.
    if "pastecms.services.content.webhook" in sys.modules:
        from pastecms.services.content import webhook

        webhook.wait_for_deliveries(timeout=5)
    # New pastes are highlighted by a thread too: as long again for those waiting (1 KiB
    # of Python takes a few ms); any left are logged, and their first views highlight them.
    if "pastecms.services.pastes.highlight" in sys.modules:
        from pastecms.services.pastes import highlight

        highlight.finish_ahead(timeout=5)
