"""`/metrics` for an operator's Prometheus: what the app counts, and how it shows it.

Off unless METRICS_TOKEN or METRICS_ALLOWED_NETWORKS is set: an app without either
registers no hook, imports no prometheus_client, and answers `/metrics` with
`not_found_failure` (`services.scraper` decides who may read it).

What is counted, per request, in one `after_request` hook:

- `pastecms_requests_total{endpoint, method, status}` and
  `pastecms_request_duration_seconds{endpoint}` (a histogram). `endpoint` is the Flask
  endpoint name (`paste.details`), never the path, and `method` one of the HTTP verbs or
  `other`, so the number of series is bounded whatever clients send;
- `pastecms_failures_total{failure_name}`, from the failure the envelope answered with
  (`note_failure`, called where a failure is rendered);
- `pastecms_rate_limit_refusals_total{endpoint}`: answers of `rate_limit_failure`;
- the database pool: `pastecms_db_pool_checked_out` and `pastecms_db_pool_overflow`
  (gauges summed over live workers), and `pastecms_db_pool_waits_total` with
  `pastecms_db_pool_wait_seconds_total`: checkouts that found every connection taken
  and had to wait for one (`MeteredQueuePool`).

And where they happen, in a request or in a background thread (`note_highlight_budget_hit`,
`note_webhook_failure`): `pastecms_highlight_budget_hits_total`, pastes whose highlighting
ran past HIGHLIGHT_TIME_LIMIT, and `pastecms_webhook_failures_total`, webhook calls that
were refused, failed or answered other than 2xx.

Several gunicorn workers: prometheus_client's documented multiprocess mode. Each worker
writes its values to files in PROMETHEUS_MULTIPROC_DIR and whichever worker answers a
scrape reads them all (`MultiProcessCollector`), so a scrape sees every worker however
nginx or the kernel spread requests. The shipped gunicorn settings make that folder
(empty) when the master starts and drop a dead worker's live gauges (`child_exit`). A
single process without the variable (the development server, tests) keeps its values in
the app's own registry.
"""

import os
import time

from flask import Flask, Response, current_app, g, request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

_EXTENSION_KEY = "pastecms.metrics"
#: The WSGI environ key under which a request's failure name is noted.
FAILURE = "pastecms.failure"
_START = "_pastecms_metrics_start"
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Most answers take milliseconds (a paste's details: 1-3 ms in-process); the upper
# buckets catch password checks (bcrypt, a quarter of a second) and first highlights.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_RATE_LIMIT_FAILURE = "rate_limit_failure"


def enabled(config) -> bool:
    """Whether `/metrics` is served at all: a token or an allowed network is set."""
    return bool(config.get("METRICS_TOKEN") or config.get("METRICS_ALLOWED_NETWORKS"))


def settings_problem(config) -> str | None:
    """What is wrong with the metrics settings, or None (checked when the app starts)."""
    from pastecms.services.content import webhook

    token = config.get("METRICS_TOKEN")
    if token is not None and not isinstance(token, str):
        return "PASTECMS_METRICS_TOKEN must be text."
    if token and len(token) < MIN_TOKEN_LENGTH:
        return (
            f"PASTECMS_METRICS_TOKEN is too short ({len(token)} characters; at least "
            f"{MIN_TOKEN_LENGTH}): make one with `python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`."
        )
    try:
        webhook.networks(config.get("METRICS_ALLOWED_NETWORKS") or [])
    except ValueError as error:
        return f"PASTECMS_METRICS_ALLOWED_NETWORKS: {error}"
    return None


#: A token is a password that is never typed: anything shorter is guessable.
MIN_TOKEN_LENGTH = 16


def note_failure(failure) -> None:
    """Note the failure a request is answered with, for `pastecms_failures_total`.
    Called where an envelope renders a failure; a dictionary write when metrics are off."""
    request.environ[FAILURE] = failure.failure_name


def note_highlight_budget_hit() -> None:
    """Count a paste whose highlighting ran past its CPU budget (it is shown as plain
    text). Needs the app's context; nothing when metrics are off."""
    metrics = current_app.extensions.get(_EXTENSION_KEY)
    if metrics is not None:
        metrics.highlight_budget_hits.inc()


def note_webhook_failure() -> None:
    """Count a webhook call that was refused, failed or answered other than 2xx. Needs the
    app's context; nothing when metrics are off."""
    metrics = current_app.extensions.get(_EXTENSION_KEY)
    if metrics is not None:
        metrics.webhook_failures.inc()


class MeteredQueuePool(QueuePool):
    """SQLAlchemy's QueuePool, telling `on_wait` how long a checkout waited when it found
    every connection taken (none idle, no overflow left). Only that case is timed, so an
    ordinary checkout costs two comparisons more."""

    on_wait = None

    def __init__(self, creator, pool_size=5, max_overflow=10, **kwargs):
        super().__init__(creator, pool_size=pool_size, max_overflow=max_overflow, **kwargs)
        # A negative max_overflow is no limit: such a pool never waits.
        self.most = pool_size + max_overflow if max_overflow >= 0 else None

    def connect(self):
        on_wait = self.on_wait
        if (
            on_wait is None
            or self.most is None
            or self.checkedin()
            or self.checkedout() < self.most
        ):
            return super().connect()
        start = time.perf_counter()
        try:
            return super().connect()
        finally:
            on_wait(time.perf_counter() - start)

    def recreate(self):
        # engine.dispose() swaps in a new pool made here: it keeps reporting.
        pool = super().recreate()
        pool.on_wait = self.on_wait
        return pool


def engine_options(uri: str, config) -> dict:
    """Engine options metrics add: the metered pool, where SQLAlchemy would pick its
    QueuePool anyway (PostgreSQL, an SQLite file), when metrics are on."""
    if not enabled(config):
        return {}
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return {}
    return {"poolclass": MeteredQueuePool}


class Metrics:
    """The app's metric objects, registered in its own registry."""

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "pastecms_requests",
            "Requests answered, by Flask endpoint, method and status.",
            ("endpoint", "method", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "pastecms_request_duration_seconds",
            "Time from the app receiving a request to its answer, by Flask endpoint.",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.failures = Counter(
            "pastecms_failures",
            "Requests answered with a named failure, by failure_name.",
            ("failure_name",),
            registry=registry,
        )
        self.rate_limited = Counter(
            "pastecms_rate_limit_refusals",
            "Requests refused by a rate limit or quota (rate_limit_failure), by endpoint.",
            ("endpoint",),
            registry=registry,
        )
        self.checked_out = Gauge(
            "pastecms_db_pool_checked_out",
            "Database connections in use, over every live worker.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.overflow = Gauge(
            "pastecms_db_pool_overflow",
            "Connections open beyond the pool size at the last checkout (negative: pool "
            "slots not opened yet), over every live worker.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.waits = Counter(
            "pastecms_db_pool_waits",
            "Checkouts that found every database connection taken and waited for one.",
            registry=registry,
        )
        self.wait_seconds = Counter(
            "pastecms_db_pool_wait_seconds",
            "Time those checkouts waited, in seconds.",
            registry=registry,
        )
        self.highlight_budget_hits = Counter(
            "pastecms_highlight_budget_hits",
            "Pastes whose highlighting ran past HIGHLIGHT_TIME_LIMIT, shown as plain text.",
            registry=registry,
        )
        self.webhook_failures = Counter(
            "pastecms_webhook_failures",
            "Content webhook calls that were refused, failed or answered other than 2xx.",
            registry=registry,
        )

    def waited(self, seconds: float) -> None:
        self.waits.inc()
        self.wait_seconds.inc(seconds)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """Every worker's values (multiprocess mode), or this app's, in the format the
        scraper's Accept header asks for (prometheus_client's `choose_encoder`: the text
        format, or OpenMetrics)."""
        from prometheus_client import CollectorRegistry
        from prometheus_client.exposition import choose_encoder

        if os.environ.get(MULTIPROCESS_VARIABLE):
            from prometheus_client import multiprocess

            # A registry of its own, as the documentation says: the metrics are written
            # by the workers, and read back from their files only.
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = self.registry
        encode, content_type = choose_encoder(accept)
        return encode(registry), content_type


def init_app(app: Flask) -> None:
    """Check the settings; when metrics are on, count every request and the pool."""
    from pastecms import ConfigurationError
    from pastecms.extensions import db

    problem = settings_problem(app.config)
    if problem:
        raise ConfigurationError(problem)
    if not enabled(app.config):
        return
    metrics = Metrics()
    app.extensions[_EXTENSION_KEY] = metrics
    failures, rate_limited = metrics.failures, metrics.rate_limited
    perf_counter = time.perf_counter
    # The children `labels()` returns, kept by their labels: `labels()` validates and
    # locks on every call, a dictionary lookup does not. Bounded as the labels are.
    counted, timed = {}, {}
    requests, latency = metrics.requests.labels, metrics.latency.labels

    @app.before_request
    def start_clock():
        g._pastecms_metrics_start = perf_counter()

    @app.after_request
    def count(response):
        started = g.get(_START)
        endpoint = request.endpoint or "unmatched"
        method = request.method
        key = (endpoint, method if method in _METHODS else "other", response.status_code)
        child = counted.get(key)
        if child is None:
            child = counted.setdefault(key, requests(*key))
        child.inc()
        if started is not None:
            child = timed.get(endpoint)
            if child is None:
                child = timed.setdefault(endpoint, latency(endpoint))
            child.observe(perf_counter() - started)
        failure_name = request.environ.get(FAILURE)
        if failure_name is not None:
            failures.labels(failure_name).inc()
            if failure_name == _RATE_LIMIT_FAILURE:
                rate_limited.labels(endpoint).inc()
        return response

    with app.app_context():
        engine = db.engine
    pool = engine.pool
    if isinstance(pool, MeteredQueuePool):
        pool.on_wait = metrics.waited
    checked_out, overflow = metrics.checked_out, metrics.overflow

    def checked_out_one(*_):
        checked_out.inc()
        current = engine.pool
        if isinstance(current, QueuePool):
            overflow.set(current.overflow())

    def checked_in_one(*_):
        checked_out.dec()

    event.listen(engine, "checkout", checked_out_one)
    event.listen(engine, "checkin", checked_in_one)


def of(app: Flask | None = None) -> Metrics | None:
    """The app's metrics (the current app's by default), or None when they are off."""
    return (app or current_app).extensions.get(_EXTENSION_KEY)


def response() -> Response:
    """The current app's metrics in Prometheus' text format."""
    body, content_type = of().exposition(request.headers.get("Accept"))
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
