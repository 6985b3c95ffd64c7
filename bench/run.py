"""`make bench` and `make bench-scale`: pastecms's paste API (issue 8), the Qexo widgets'
reads (issue 13) and the CMS reads (issue 14) under load.

    python bench/run.py            # details, submit, recent, top, talks, friends,
                                   # statistic, articles, article vs the ceiling; then
                                   # paste/user with an API key and with a JWT
    python bench/run.py --auth     # only paste/user with an API key and with a JWT
    python bench/run.py --scale    # details, recent, top with 10,000 and 1,000,000 pastes;
                                   # talks, statistic with 1,000 and 100,000 talks and visits;
                                   # articles, article with 1,000 and 100,000 articles
    python bench/run.py --only talks,friends,statistic    # some figures only

The app is served the way production serves it: gunicorn with deploy/gunicorn.conf.py and
2 sync workers, ProdConfig, on an SQLite file in a temporary folder
(PASTECMS_BENCH_DATABASE_URI selects another database, e.g. a PostgreSQL `bench`
database, which is emptied first). Load comes from `wrk` in its own process over loopback.

Figures are compared as ratios to the ceiling measured in the same run (bench/ceiling.py),
because absolute requests per second move from machine to machine and run to run. The
reference (bench/reference.py, SQLite only) does the same work with stdlib sqlite3.

Settings (environment): BENCH_DURATION (seconds per measurement, default 8),
BENCH_WARMUP (default 2), BENCH_CONNECTIONS (default 4), BENCH_THREADS (default 1),
BENCH_PASTES (pastes seeded through the API, default 1000), BENCH_ARTICLES (CMS articles
seeded through the API, default 1000).

The Qexo figures send what the widgets send (GET with the trailing slash and Content-Type
text/plain; the counter's page in its Referer) and count an answer as good only when it
says "status": true, since that face answers its failures with HTTP 200.
"""

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
WORKERS = 2
# Far above anything this machine can serve, so the limiter counts but never refuses.
SUBMIT_LIMIT = "100000000 per minute"
PASTE_TARGETS = {"details": 0.40, "submit": 0.28, "recent": 0.35, "top": 0.35}
# The Qexo face's reads that every page view of a blog with its widgets makes (issue 13).
QEXO_TARGETS = {"talks": 0.35, "friends": 0.35, "statistic": 0.30}
# The CMS face's reads (issue 14): a page of 10 articles with tags and category, and one
# article by its hash, read with an admin's API key.
CMS_TARGETS = {"articles": 0.35, "article": 0.35}
ARTICLE_PAGE = "/v1/articles?perPage=10"
TARGETS = {**PASTE_TARGETS, **QEXO_TARGETS, **CMS_TARGETS}
# A request authenticated with a JWT access token against the same with an API key
# (issue 15): verifying a token may cost no more than looking up a key.
JWT_TARGET = 0.95
OWNED_PASTES = 50
#: Figures measured apart from the table of ratios to the ceiling.
CREDENTIALS = "credentials"
SCALE_TARGET = 0.77
# The host whose pages the statistic figures count (PASTECMS_STATISTIC_DOMAINS).
BLOG_HOST = "blog.example"
QEXO_OK = '"status":true'
SEED_TALKS = 50
SEED_FRIENDS = 20
MEMORY_TARGET_MIB = 100
PAGE = {"page_num": 0, "num_per_page": 20}

DURATION = int(os.environ.get("BENCH_DURATION", "8"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
SEED_PASTES = int(os.environ.get("BENCH_PASTES", "1000"))
SEED_ARTICLES = int(os.environ.get("BENCH_ARTICLES", "1000"))


def say(*args) -> None:
    print(*args, flush=True)


# --- wrk ------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    command = ["apt-get", "install", "-y", "-qq", "wrk"]
    if os.geteuid() != 0:
        sys.exit("wrk is missing. Install it with: sudo apt-get install wrk (Debian/Ubuntu)")
    say("wrk is missing: installing Debian's package (apt-get install wrk) ...")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(command, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk") or sys.exit("wrk did not install")


_LUA = r"""
-- Each spec: { method, path, headers, body (nil for none) }.
local specs = { %(specs)s }
-- A text every good answer contains (nil: any 2xx is good): the Qexo face answers its
-- failures with HTTP 200 and "status": false.
local expect = %(expect)s
local requests = {}
local threads = {}
local n = 0
bad = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for i, spec in ipairs(specs) do
    requests[i] = wrk.format(spec[1], spec[2], spec[3], spec[4])
  end
end

function request()
  n = n %% #requests + 1
  return requests[n]
end

function response(status, headers, body)
  if status < 200 or status > 299 or (expect and not string.find(body, expect, 1, true)) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "non2xx": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d}\n',
    summary.requests, summary.duration, non2xx,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def write_script(
    directory: Path, name: str, path: str, bodies: list, headers: dict | None = None
) -> Path:
    """A wrk script POSTing each of `bodies` as JSON to `path` in turn."""
    json_header = {"Content-Type": "application/json", **(headers or {})}
    return write_requests(
        directory, name, [("POST", path, json_header, json.dumps(body)) for body in bodies]
    )


def write_requests(directory: Path, name: str, specs: list, expect: str | None = None) -> Path:
    """A wrk script sending each of `specs` (method, path, headers, body or None) in turn;
    an answer is good when it is 2xx and, with `expect`, contains that text."""

    def lua_spec(method, path, headers, body) -> str:
        fields = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        lua_body = "nil" if body is None else lua_string(body)
        return f"{{{lua_string(method)}, {lua_string(path)}, {{{fields}}}, {lua_body}}}"

    script = directory / f"{name}.lua"
    literals = ", ".join(lua_spec(*spec) for spec in specs)
    lua_expect = "nil" if expect is None else lua_string(expect)
    script.write_text(_LUA % {"specs": literals, "expect": lua_expect})
    return script


def wrk(wrk_path: str, base_url: str, script: Path, seconds: int) -> dict:
    command = [wrk_path, "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s"]
    command += ["--timeout", "10s", "-s", str(script), base_url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def measure(wrk_path: str, server: "Server", script: Path) -> dict:
    """One figure: wrk against `server` after a warm-up, with the CPU time its workers
    spent per request (user + system), which swings far less than throughput on a
    shared machine."""
    if WARMUP:
        wrk(wrk_path, server.url, script, WARMUP)
    before = server.worker_cpu_seconds()
    result = wrk(wrk_path, server.url, script, DURATION)
    spent = server.worker_cpu_seconds() - before
    result["cpu_us"] = spent / max(result["requests"], 1) * 1e6
    return result


# --- servers --------------------------------------------------------------------------


class Server:
    """gunicorn with the shipped config and 2 workers, serving `app`."""

    def __init__(self, app: str, env: dict, log: Path):
        from tests.live import free_port  # the repository root is on sys.path (main)

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), app]
        env = {**env, "PASTECMS_BIND": f"127.0.0.1:{self.port}", "PASTECMS_WORKERS": "2"}
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        from tests.live import wait_until_up

        try:
            wait_until_up(self.url + "/healthz", self.process, timeout=60)
        except RuntimeError as error:
            sys.exit(str(error))

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return sorted(int(pid) for pid in children.read_text().split())

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            # /proc/<pid>/stat: fields 14 and 15 are utime and stime, after the name in ().
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
        return total / ticks

    def worker_rss_mib(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@contextlib.contextmanager
def serving(app: str, env: dict, log: Path):
    server = Server(app, env, log)
    try:
        yield server
    finally:
        server.stop()


def post(base_url: str, path: str, payload: dict) -> tuple[int, bytes]:
    return send(base_url, ("POST", path, {"Content-Type": "application/json"}, json.dumps(payload)))


def send(base_url: str, spec: tuple) -> tuple[int, bytes]:
    """One request (method, path, headers, body or None), as the wrk scripts send it."""
    method, path, headers, body = spec
    request = urllib.request.Request(
        base_url + path,
        data=body.encode() if body is not None else None,
        headers=headers,
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- the database ---------------------------------------------------------------------


def database(directory: Path) -> str:
    uri = os.environ.get("PASTECMS_BENCH_DATABASE_URI")
    if not uri:
        return "sqlite:///" + str(directory / "bench.db")
    if uri.startswith("postgresql"):
        _create_postgres_database(uri)
    from tests.live import empty_database

    # Empty it: this database belongs to the benchmark (never point it at real data).
    empty_database(uri)
    return uri


def _create_postgres_database(uri: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    url = make_url(uri)
    try:
        create_engine(url).connect().close()
        return
    except OperationalError:
        pass
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    say(f"created PostgreSQL database {url.database!r}")


def refresh_statistics(uri: str) -> None:
    """On PostgreSQL, ANALYZE the tables just seeded. A server's autovacuum does so once a
    table has grown by a tenth; measured seconds after the seeding, the planner still
    believed the tables empty and read `recent` and `top` through the expiry index and a
    sort of every paste (12 ms a page; 0.05 ms through `ix_paste_recent`)."""
    if not uri.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(uri, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def contents_of(n: int, size: int = 1024) -> str:
    line = f"paste {n}: the quick brown fox jumps over the lazy dog {n * 7919 % 10007}\n"
    return (line * (size // len(line) + 1))[:size]


def app_env(directory: Path, uri: str) -> dict:
    return {
        **os.environ,
        "PASTECMS_CONFIG": "ProdConfig",
        "PASTECMS_SECRET_KEY": secrets.token_urlsafe(32),
        "PASTECMS_DATABASE_URI": uri,
        "PASTECMS_RATELIMIT_SUBMIT": SUBMIT_LIMIT,
        "PASTECMS_RATELIMIT_CMS_READ": SUBMIT_LIMIT,
        "PASTECMS_RATELIMIT_CMS_WRITE": SUBMIT_LIMIT,
        # The statistic figure sends every visit from one address.
        "PASTECMS_RATELIMIT_STATISTIC": SUBMIT_LIMIT,
        "PASTECMS_STATISTIC_DOMAINS": json.dumps([BLOG_HOST]),
        # In memory, each of the 2 workers counts alone, which ProdConfig refuses; the
        # limits here are set never to refuse anyway, and the counting costs the same.
        "PASTECMS_RATELIMIT_REQUIRE_SHARED_STORAGE": "false",
        "PASTECMS_ACCESS_LOG": "-",
        # The access token measured must not expire mid-run (30 minutes by default).
        "PASTECMS_JWT_ACCESS_EXPIRES": "86400",
    }


# --- make bench -----------------------------------------------------------------------


def run_bench(wrk_path: str, directory: Path, only: set[str]) -> int:
    uri = database(directory)
    sqlite_path = uri.removeprefix("sqlite:///") if uri.startswith("sqlite:///") else None
    env = app_env(directory, uri)
    migrate(env)
    say(f"database: {_describe(uri)}")
    say(f"rate limit: PASTECMS_RATELIMIT_SUBMIT={SUBMIT_LIMIT!r} for this run, so the")
    say("  limiter still counts every submit but never refuses one (the same for")
    say("  PASTECMS_RATELIMIT_CMS_READ, PASTECMS_RATELIMIT_CMS_WRITE and")
    say("  PASTECMS_RATELIMIT_STATISTIC)")
    say(
        f"load: wrk -t{THREADS} -c{CONNECTIONS}, {WARMUP}s warm-up + {DURATION}s per figure; "
        f"gunicorn {WORKERS} workers ({GUNICORN_CONF.relative_to(ROOT)})"
    )
    results, second, reference, memory = {}, {}, {}, {}
    with contextlib.ExitStack() as servers:
        app = servers.enter_context(serving("wsgi:app", env, directory / "app.log"))
        ids = seed_through_api(app.url)
        status, details_body = post(app.url, "/api/paste/details", {"paste_id": ids[0]})
        assert status == 200, details_body
        body_size = len(details_body)
        ceiling_env = {**env, "BENCH_CEILING_BODY_SIZE": str(body_size)}
        ceiling = servers.enter_context(
            serving("bench.ceiling:app", ceiling_env, directory / "ceiling.log")
        )
        ceiling_script = write_script(directory, "ceiling", "/api/paste/details", [{"a": 1}])
        status, raw = post(ceiling.url, "/api/paste/details", {})
        assert status == 200 and len(raw) == body_size, (status, len(raw), body_size)

        def paired(server, script) -> dict:
            # The ceiling is measured right before each figure: other load on the machine
            # drifts over minutes, and a ratio of two measurements taken far apart would
            # measure the drift.
            ceiling_result = measure(wrk_path, ceiling, ceiling_script)
            result = measure(wrk_path, server, script)
            result["ceiling_rps"] = ceiling_result["rps"]
            result["ceiling_cpu_us"] = ceiling_result["cpu_us"]
            result["ceiling"] = ceiling_result
            return result

        scripts = _app_scripts(directory, ids, random.Random(8))
        scripts.update(_qexo_scripts(directory, seed_site_through_api(app.url, env)))
        if only & set(CMS_TARGETS):
            key = admin_token(env, "bench-editor")
            scripts.update(_cms_scripts(directory, seed_articles_through_api(app.url, key), key))
        scripts = {name: script for name, script in scripts.items() if name in only}
        refresh_statistics(uri)
        for name, (spec, _, expect) in scripts.items():
            status, raw = send(app.url, spec)
            assert status == 200 and (expect is None or expect.encode() in raw), (name, raw[:300])
        memory["start"] = app.worker_rss_mib()
        for name, (_, script, _) in scripts.items():
            results[name] = paired(app, script)
        memory["after run 1"] = app.worker_rss_mib()
        for name, (_, script, _) in scripts.items():
            second[name] = measure(wrk_path, app, script)
        memory["after run 2"] = app.worker_rss_mib()
        credentials = measure_credentials(wrk_path, app, directory) if CREDENTIALS in only else None

        if sqlite_path:
            ref_env = {**env, "BENCH_SQLITE_PATH": sqlite_path}
            ref = servers.enter_context(
                serving("bench.reference:app", ref_env, directory / "reference.log")
            )
            int_ids = list(range(1, SEED_PASTES + 1))
            ref_scripts = _app_scripts(directory, int_ids, random.Random(8), "ref")
            for name, (_, script, _) in ref_scripts.items():
                if name in only:
                    reference[name] = paired(ref, script)

    status = report(results, second, reference, memory, body_size)
    return (report_credentials(credentials) if credentials else 0) or status


def seed_through_api(base_url: str) -> list:
    started = time.monotonic()
    ids = []
    for n in range(SEED_PASTES):
        status, raw = post(base_url, "/api/paste/submit", {"contents": contents_of(n)})
        if status != 200:
            sys.exit(f"seeding failed: {status} {raw[:200]!r}")
        ids.append(json.loads(raw)["paste_id_repr"])
    took = time.monotonic() - started
    say(f"seeded {SEED_PASTES} pastes of 1 KiB through the API in {took:.1f}s")
    return ids


def _describe(uri: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    return url.render_as_string(hide_password=True)


def _app_scripts(directory: Path, ids: list, rng: random.Random, prefix="app") -> dict:
    sample = ids[:]
    rng.shuffle(sample)
    submit_bodies = [
        {"contents": contents_of(100_000 + n), "title": f"bench {n}"} for n in range(50)
    ]
    plan = {
        "details": ("/api/paste/details", [{"paste_id": i} for i in sample[:500]]),
        "submit": ("/api/paste/submit", submit_bodies),
        "recent": ("/api/paste/recent", [PAGE]),
        "top": ("/api/paste/top", [PAGE]),
    }
    json_header = {"Content-Type": "application/json"}
    return {
        name: (
            ("POST", path, json_header, json.dumps(bodies[0])),
            write_script(directory, f"{prefix}-{name}", path, bodies),
            None,
        )
        for name, (path, bodies) in plan.items()
    }


# The widgets' GETs: Content-Type text/plain, no body, the trailing slash.
_WIDGET = {"Content-Type": "text/plain"}


def _qexo_scripts(directory: Path, pages: int, prefix="app") -> dict:
    """The widgets' requests: the talks list's first pages, the friends list, and the
    visit counter on `pages` different pages of the blog."""
    plan = {
        "talks": [
            ("GET", f"/pub/talks/?page={page}&limit=5", _WIDGET, None) for page in (1, 1, 1, 2)
        ],
        "friends": [("GET", "/pub/friends/", _WIDGET, None)],
        "statistic": [
            ("GET", "/pub/statistic/", {**_WIDGET, "Referer": _page_url(n)}, None)
            for n in range(pages)
        ],
    }
    return {
        name: (specs[0], write_requests(directory, f"{prefix}-{name}", specs, QEXO_OK), QEXO_OK)
        for name, specs in plan.items()
    }


#: What seeded articles are tagged and filed under: tags and categories of a real blog.
BENCH_TAGS = [f"tag-{n}" for n in range(20)]
BENCH_CATEGORIES = [("Tech", "tech"), ("Life", "life"), ("Notes", "notes"), ("Talks", "talks")]


def seed_articles_through_api(base_url: str, key: str) -> list[str]:
    """SEED_ARTICLES articles of 1 KiB, each with three tags and mostly a category, four
    in five published; returns their hashes."""
    started = time.monotonic()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def send(path, payload):
        request = urllib.request.Request(
            base_url + path, data=json.dumps(payload).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    categories = [send("/v1/categories", {"name": n, "slug": s})["id"] for n, s in BENCH_CATEGORIES]
    hashes = []
    for n in range(SEED_ARTICLES):
        article = send(
            "/v1/articles",
            {
                "title": f"Article {n}",
                "description": f"About article {n}",
                "content": contents_of(n),
                "status": "draft" if n % 5 == 0 else "published",
                "tags": [BENCH_TAGS[(n * k) % len(BENCH_TAGS)] for k in (1, 7, 13)],
                "categoryId": categories[n % len(categories)] if n % 9 else None,
            },
        )
        hashes.append(article["hash"])
    took = time.monotonic() - started
    say(f"seeded {SEED_ARTICLES} articles of 1 KiB through the CMS API in {took:.1f}s")
    return hashes


def _cms_scripts(directory: Path, hashes: list, key: str, prefix="app") -> dict:
    """The CMS reads with an admin's key: the first page of the list, and articles by
    their hashes."""
    sample = hashes[:]
    random.Random(14).shuffle(sample)
    headers = {"Authorization": f"Bearer {key}"}
    plan = {
        "articles": [("GET", ARTICLE_PAGE, headers, None)],
        "article": [("GET", f"/v1/articles/{h}", headers, None) for h in sample[:500]],
    }
    return {
        name: (specs[0], write_requests(directory, f"{prefix}-{name}", specs), None)
        for name, specs in plan.items()
    }


def _page_url(n: int) -> str:
    return f"https://{BLOG_HOST}/posts/{n}/"


def admin_token(env: dict, username: str = "bench-admin") -> str:
    """A new admin's API key, from the CLI (its last line), as a site's first admin's."""
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "users", "create", username]
        + ["--admin", "--password", secrets.token_urlsafe(16)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return finished.stdout.strip().splitlines()[-1].split()[-1]


def seed_site_through_api(base_url: str, env: dict) -> int:
    """Talks and friend links through /pub, as an admin's scripts make them; returns how
    many blog pages the statistic figure visits."""
    token = admin_token(env)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    started = time.monotonic()
    for n in range(SEED_TALKS):
        fields = {"token": token, "content": f"<p>talk {n}</p>", "tags": '["bench"]'}
        body = urllib.parse.urlencode({**fields, "time": 1_700_000_000 + n})
        status, raw = send(base_url, ("POST", "/pub/save_talk/", form, body))
        if status != 200 or QEXO_OK.encode() not in raw:
            sys.exit(f"seeding talks failed: {status} {raw[:200]!r}")
    for n in range(SEED_FRIENDS):
        fields = {"token": token, "name": f"Friend {n}", "url": f"https://f{n}.example/"}
        body = urllib.parse.urlencode({**fields, "status": "true"})
        status, raw = send(base_url, ("POST", "/pub/add_friend/", form, body))
        if status != 200 or QEXO_OK.encode() not in raw:
            sys.exit(f"seeding friends failed: {status} {raw[:200]!r}")
    took = time.monotonic() - started
    say(f"seeded {SEED_TALKS} talks and {SEED_FRIENDS} friend links through /pub in {took:.1f}s")
    return 100


def _row(name, result, target=None):
    ratio = result["rps"] / result["ceiling_rps"]
    verdict = ""
    if target is not None:
        verdict = f"≥ {target:.2f} {'met' if ratio >= target else 'MISSED'}"
    cpu_ratio = result["ceiling_cpu_us"] / result["cpu_us"] if result.get("cpu_us") else 0
    return (
        f"{name:<20} {result['rps']:>9.0f} {result['p50_us'] / 1000:>8.2f} "
        f"{result['p99_us'] / 1000:>8.2f} {result['non2xx'] + result['socket_errors']:>8d} "
        f"{result.get('cpu_us', 0):>8.0f} {cpu_ratio:>6.2f} {ratio:>7.2f}  {verdict}"
    )


def report(results, second, reference, memory, body_size) -> int:
    ceilings = [r["ceiling"] for r in (*results.values(), *reference.values())]
    ceiling = {
        "rps": sum(c["rps"] for c in ceilings) / len(ceilings),
        "p50_us": sorted(c["p50_us"] for c in ceilings)[len(ceilings) // 2],
        "p99_us": max(c["p99_us"] for c in ceilings),
        "non2xx": sum(c["non2xx"] for c in ceilings),
        "socket_errors": sum(c["socket_errors"] for c in ceilings),
    }
    ceiling["ceiling_rps"] = ceiling["rps"]
    ceiling["cpu_us"] = sum(c["cpu_us"] for c in ceilings) / len(ceilings)
    ceiling["ceiling_cpu_us"] = ceiling["cpu_us"]
    measured = [name for name in TARGETS if name in results]
    low, high = min(c["rps"] for c in ceilings), max(c["rps"] for c in ceilings)
    say("")
    say(
        f"{'':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'cpu µs':>8} {'cpu r':>6} {'ratio':>7}  target"
    )
    say(_row(f"ceiling ({body_size} B)", ceiling))
    for name in measured:
        say(_row(name, results[name], TARGETS[name]))
    for name in measured:
        if name in reference:
            say(_row(f"reference {name}", reference[name]))
    say(
        f"(ceiling: mean of {len(ceilings)} measurements, {low:.0f} to {high:.0f} req/s, each "
        "taken just before the figure it divides)"
    )
    say(
        "(cpu µs: worker CPU time per request, user + system; cpu r: the ceiling's CPU per "
        "request over this one's, steadier than req/s on a busy machine)"
    )
    if not reference:
        say("reference: n/a (stdlib sqlite3, measured on the SQLite database only)")
    say(
        "second run (memory check): "
        + ", ".join(f"{name} {second[name]['rps']:.0f} req/s" for name in measured)
    )
    say("")
    for label, sizes in memory.items():
        say(f"worker RSS {label:<12} " + ", ".join(f"{size:.1f} MiB" for size in sizes))
    one, two = memory["after run 1"], memory["after run 2"]
    growth = max(b - a for a, b in zip(one, two, strict=True))
    peak = max(one + two)
    say(
        f"memory: peak {peak:.1f} MiB (target ≤ {MEMORY_TARGET_MIB}), growth over the second "
        f"run {growth:+.1f} MiB"
    )
    say("")
    ratios = {name: results[name]["rps"] / results[name]["ceiling_rps"] for name in measured}
    say(" ".join(f"{name}_ratio={value:.2f}" for name, value in ratios.items()))
    say(" ".join(f"{name}_cpu_us={results[name]['cpu_us']:.0f}" for name in measured))
    everything = [*results.values(), *second.values(), *reference.values(), *ceilings]
    failed = sum(r["non2xx"] + r["socket_errors"] for r in everything)
    if failed:
        say(
            f"FAILED: {failed} requests were not answered as they should; "
            "these figures do not count"
        )
        return 1
    return 0


# --- paste/user with an API key and with a JWT ------------------------------------------


def prepared(directory: Path) -> tuple[str, dict]:
    """A fresh migrated database and the app's environment for it, both announced."""
    uri = database(directory)
    env = app_env(directory, uri)
    migrate(env)
    say(f"database: {_describe(uri)}")
    say(
        f"load: wrk -t{THREADS} -c{CONNECTIONS}, {WARMUP}s warm-up + {DURATION}s per figure; "
        f"gunicorn {WORKERS} workers"
    )
    return uri, env


def run_credentials(wrk_path: str, directory: Path, only: set[str]) -> int:
    """`--auth`: only the API key / JWT comparison, on a fresh database."""
    _, env = prepared(directory)
    with serving("wsgi:app", env, directory / "app.log") as app:
        credentials = measure_credentials(wrk_path, app, directory)
    return report_credentials(credentials)


def seed_owner(base_url: str) -> tuple[str, str]:
    """A user owning OWNED_PASTES pastes, made through the API: (API key, access token)."""
    account = {"username": "bench-owner", "password": secrets.token_urlsafe(16)}
    status, raw = post(base_url, "/api/user/create", account)
    if status != 200:
        sys.exit(f"creating the pastes' owner failed: {status} {raw[:200]!r}")
    api_key = json.loads(raw)["api_key"]
    for n in range(OWNED_PASTES):
        status, raw = post(
            base_url, "/api/paste/submit", {"contents": contents_of(n), "api_key": api_key}
        )
        if status != 200:
            sys.exit(f"seeding the owner's pastes failed: {status} {raw[:200]!r}")
    status, raw = post(base_url, "/api/auth/auth", account)
    if status != 200:
        sys.exit(f"logging the owner in failed: {status} {raw[:200]!r}")
    return api_key, json.loads(raw)["data"]["access_token"]


def measure_credentials(wrk_path: str, server: "Server", directory: Path) -> dict:
    """paste/user (a page of 20 of the owner's pastes) with the API key and with the
    access token, both as `Authorization: Bearer`, so only the credential differs."""
    api_key, access_token = seed_owner(server.url)
    scripts = {
        name: write_script(
            directory,
            f"user-{name}",
            "/api/paste/user",
            [PAGE],
            headers={"Authorization": f"Bearer {credential}"},
        )
        for name, credential in (("api key", api_key), ("jwt", access_token))
    }
    runs: dict[str, list] = {name: [] for name in scripts}
    # Interleaved, twice each: drift on a shared machine falls on both alike.
    for _ in range(2):
        for name, script in scripts.items():
            runs[name].append(measure(wrk_path, server, script))
    return runs


def report_credentials(runs: dict) -> int:
    say("")
    say(f"paste/user, {OWNED_PASTES} pastes owned, 20 a page, credential as Bearer:")
    say(f"{'':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'cpu µs':>8}")
    rps, cpu, failed = {}, {}, 0
    for name, results in runs.items():
        rps[name] = sum(r["rps"] for r in results) / len(results)
        cpu[name] = sum(r["cpu_us"] for r in results) / len(results)
        bad = sum(r["non2xx"] + r["socket_errors"] for r in results)
        failed += bad
        p50 = sorted(r["p50_us"] for r in results)[len(results) // 2] / 1000
        p99 = max(r["p99_us"] for r in results) / 1000
        label = f"user, {name}"
        say(f"{label:<20} {rps[name]:>9.0f} {p50:>8.2f} {p99:>8.2f} {bad:>8d} {cpu[name]:>8.0f}")
    ratio = rps["jwt"] / rps["api key"]
    cpu_ratio = cpu["api key"] / cpu["jwt"] if cpu["jwt"] else 0
    verdict = "met" if ratio >= JWT_TARGET else "MISSED"
    say(f"(mean of {len(runs['jwt'])} interleaved measurements each)")
    say(
        f"jwt_api_key_ratio={ratio:.2f} (≥ {JWT_TARGET:.2f} {verdict}) "
        f"jwt_api_key_cpu_ratio={cpu_ratio:.2f}"
    )
    if failed:
        say(f"FAILED: {failed} requests were not answered 2xx; these figures do not count")
        return 1
    return 0


# --- make bench-scale -----------------------------------------------------------------


PASTE_SCALE = (10_000, 1_000_000)
SITE_SCALE = (1_000, 100_000)
SCALE_ARTICLES = (1_000, 100_000)


def run_scale(wrk_path: str, directory: Path, only: set[str]) -> int:
    uri, env = prepared(directory)
    tables, failed = [], 0
    paste_names = [name for name in ("details", "recent", "top") if name in only]
    if paste_names:
        figures = _scale_pastes(wrk_path, directory, uri, env, paste_names)
        tables.append((paste_names, PASTE_SCALE, "pastes", figures))
    site_names = [name for name in ("talks", "statistic") if name in only]
    if site_names:
        figures = _scale_site(wrk_path, directory, uri, env, site_names)
        tables.append((site_names, SITE_SCALE, "talks and visits", figures))
    article_names = [name for name in CMS_TARGETS if name in only]
    if article_names:
        figures = _scale_articles(wrk_path, directory, uri, env, article_names)
        tables.append((article_names, SCALE_ARTICLES, "articles", figures))
    ratios = {}
    for names, (small_n, large_n), what, figures in tables:
        small_label, large_label = _count_label(small_n), _count_label(large_n)
        say("")
        say(f"with {small_n:,} and then {large_n:,} {what} stored:")
        head = (
            f"{small_label + ' req/s':>10} {'p99 ms':>7} {large_label + ' req/s':>10} "
            f"{'p99 ms':>7} {large_label + '/' + small_label:>7}"
        )
        say(f"{'':<10} {head}  target")
        for name in names:
            small, large = figures[(name, small_n)], figures[(name, large_n)]
            ratios[name] = large["rps"] / small["rps"]
            failed += sum(r["non2xx"] + r["socket_errors"] for r in (small, large))
            verdict = "met" if ratios[name] >= SCALE_TARGET else "MISSED"
            say(
                f"{name:<10} {small['rps']:>10.0f} {small['p99_us'] / 1000:>7.2f} "
                f"{large['rps']:>10.0f} {large['p99_us'] / 1000:>7.2f} {ratios[name]:>7.2f}  "
                f"≥ {SCALE_TARGET} {verdict}"
            )
    say("")
    say(" ".join(f"{name}_scale_ratio={value:.2f}" for name, value in ratios.items()))
    if failed:
        say(f"FAILED: {failed} requests were not answered 2xx; these figures do not count")
        return 1
    return 0


def _count_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1_000}k"


def _scale_pastes(wrk_path, directory, uri, env, names) -> dict:
    from pastecms.services.ids import PasteIds

    cipher = PasteIds(env["PASTECMS_SECRET_KEY"])
    figures = {}
    stored = 0
    for total in PASTE_SCALE:
        started = time.monotonic()
        bulk_seed(uri, stored, total)
        took = time.monotonic() - started
        say(f"seeded {total - stored:,} pastes in bulk in {took:.1f}s ({total:,} stored)")
        stored = total
        rng = random.Random(total)
        # Live pastes only: bulk_seed deactivates every fiftieth.
        live = [n for n in rng.sample(range(1, total + 1), 1100) if n % 50]
        ids = [cipher.encode(n) for n in live[:1000]]
        plan = {
            "details": ("/api/paste/details", [{"paste_id": i} for i in ids]),
            "recent": ("/api/paste/recent", [PAGE]),
            "top": ("/api/paste/top", [PAGE]),
        }
        with serving("wsgi:app", env, directory / f"app-{total}.log") as app:
            for name in names:
                path, bodies = plan[name]
                script = write_script(directory, f"scale-{total}-{name}", path, bodies)
                status, raw = post(app.url, path, bodies[0])
                assert status == 200, (name, status, raw[:300])
                figures[(name, total)] = measure(wrk_path, app, script)
    return figures


def _scale_site(wrk_path, directory, uri, env, names) -> dict:
    """The talks list and the visit counter with 1,000 and then 100,000 talks, pages
    counted and visitors seen."""
    figures = {}
    stored = 0
    for total in SITE_SCALE:
        started = time.monotonic()
        bulk_seed_site(uri, stored, total)
        took = time.monotonic() - started
        say(
            f"seeded {total - stored:,} talks, counted pages and visitors in bulk in "
            f"{took:.1f}s ({total:,} each stored)"
        )
        stored = total
        pages = random.Random(total).sample(range(total), 1000)
        plan = {
            "talks": [
                ("GET", f"/pub/talks/?page={page}&limit=5", _WIDGET, None) for page in (1, 1, 1, 2)
            ],
            "statistic": [
                ("GET", "/pub/statistic/", {**_WIDGET, "Referer": _page_url(n)}, None)
                for n in pages
            ],
        }
        with serving("wsgi:app", env, directory / f"site-{total}.log") as app:
            for name in names:
                specs = plan[name]
                script = write_requests(directory, f"scale-{total}-{name}", specs, QEXO_OK)
                status, raw = send(app.url, specs[0])
                assert status == 200 and QEXO_OK.encode() in raw, (name, raw[:300])
                figures[(name, total)] = measure(wrk_path, app, script)
    return figures


def bulk_seed(uri: str, start: int, end: int) -> None:
    """Insert pastes start+1..end directly: 1 KiB contents, views spread out, one in ten
    with a future expiry and one in fifty (every id divisible by 50) deactivated, like a
    table in use."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    later = now + dt.timedelta(days=365)

    def rows():
        for n in range(start + 1, end + 1):
            post_time = now - dt.timedelta(seconds=end - n)
            yield (
                n,
                f"Paste {n}",
                "text",
                contents_of(n),
                hashlib.sha256(n.to_bytes(8, "big")).hexdigest(),
                post_time,
                later if n % 10 == 0 else None,
                (n * 2654435761) % 5000,
                n % 50 != 0,
            )

    columns = (
        "id, title, language, contents, deactivation_token_hash, post_time, expiry_time, "
        "views, is_active"
    )
    if uri.startswith("sqlite:///"):
        import sqlite3

        def stamp(value):
            return (
                None if value is None else value.replace(tzinfo=None).isoformat(" ", "microseconds")
            )

        connection = sqlite3.connect(uri.removeprefix("sqlite:///"))
        connection.execute("PRAGMA journal_mode=WAL")
        with connection:
            connection.executemany(
                f"INSERT INTO pastes ({columns}, attachment_count) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    (n, t, lang, c, h, stamp(p), stamp(e), v, int(a))
                    for n, t, lang, c, h, p, e, v, a in rows()
                ),
            )
        connection.execute("ANALYZE")
        connection.close()
    else:
        import psycopg

        url = uri.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as connection:
            with connection.cursor() as cursor:
                with cursor.copy(f"COPY pastes ({columns}, attachment_count) FROM STDIN") as copy:
                    for row in rows():
                        copy.write_row((*row, 0))
                cursor.execute("SELECT setval(pg_get_serial_sequence('pastes', 'id'), %s)", (end,))
            connection.commit()
            connection.execute("ANALYZE pastes")


def bulk_seed_site(uri: str, start: int, end: int) -> None:
    """Insert talks start..end-1 (with up to three likes each), as many counted pages of
    the blog and as many of its visitors, directly; the talk counter and the site's own
    counts follow."""

    def talks():
        for n in range(start, end):
            yield (f"{n:032x}", f"<p>talk {n}</p>", 1_600_000_000 + n, '["bench"]', "{}", n % 4)

    def likes():
        for n in range(start, end):
            for k in range(n % 4):
                yield (f"{n:032x}", f"10.{k}.0.1", "2026-01-01 00:00:00")

    def pages():
        for n in range(start, end):
            yield (f"{BLOG_HOST}/posts/{n}/", n % 100 + 1, 0)

    def visitors():
        for n in range(start, end):
            yield (BLOG_HOST, f"172.{n >> 16}.{(n >> 8) & 255}.{n & 255}")

    tables = (
        ("talks", '"id", "content", "time", "tags", "values", "likes"', talks),
        ("talk_likes", "talk_id, client, created_at", likes),
        ("visit_counts", "target, pv, uv", pages),
        ("site_visitors", "site, client", visitors),
    )
    site_pv = sum(n % 100 + 1 for n in range(end))
    if uri.startswith("sqlite:///"):
        import sqlite3

        connection = sqlite3.connect(uri.removeprefix("sqlite:///"))
        connection.execute("PRAGMA journal_mode=WAL")
        with connection:
            for table, columns, rows in tables:
                marks = ", ".join("?" * len(columns.split(",")))
                connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows())
            connection.execute(
                "INSERT INTO site_counters (name, value) VALUES ('talks', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (end,),
            )
            connection.execute(
                "INSERT INTO visit_counts (target, pv, uv) VALUES (?, ?, ?) "
                "ON CONFLICT (target) DO UPDATE SET pv = excluded.pv, uv = excluded.uv",
                (BLOG_HOST, site_pv, end),
            )
        connection.execute("ANALYZE")
        connection.close()
    else:
        import psycopg

        url = uri.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as connection:
            with connection.cursor() as cursor:
                for table, columns, rows in tables:
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows():
                            copy.write_row(row)
                cursor.execute(
                    "INSERT INTO site_counters (name, value) VALUES ('talks', %s) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (end,),
                )
                cursor.execute(
                    "INSERT INTO visit_counts (target, pv, uv) VALUES (%s, %s, %s) "
                    "ON CONFLICT (target) DO UPDATE SET pv = excluded.pv, uv = excluded.uv",
                    (BLOG_HOST, site_pv, end),
                )
            connection.commit()
            for table in ("talks", "talk_likes", "visit_counts", "site_visitors"):
                connection.execute(f"ANALYZE {table}")


def _scale_articles(wrk_path, directory, uri, env, names) -> dict:
    """The CMS list and one article with 1,000 and then 100,000 articles stored."""
    key = admin_token(env, "scale-editor")
    headers = {"Authorization": f"Bearer {key}"}
    figures = {}
    stored = 0
    for total in SCALE_ARTICLES:
        started = time.monotonic()
        bulk_seed_articles(uri, stored, total)
        took = time.monotonic() - started
        say(f"seeded {total - stored:,} articles in bulk in {took:.1f}s ({total:,} stored)")
        stored = total
        rng = random.Random(total)
        hashes = [_bench_hash(n) for n in rng.sample(range(1, total + 1), 500)]
        plan = {
            "articles": [("GET", ARTICLE_PAGE, headers, None)],
            "article": [("GET", f"/v1/articles/{h}", headers, None) for h in hashes],
        }
        with serving("wsgi:app", env, directory / f"app-articles-{total}.log") as app:
            for name in names:
                specs = plan[name]
                script = write_requests(directory, f"scale-{total}-{name}", specs)
                status, raw = send(app.url, specs[0])
                assert status == 200, (name, status, raw[:300])
                figures[(name, total)] = measure(wrk_path, app, script)
    return figures


def _bench_hash(n: int) -> str:
    # Digits are Crockford base32 too: a valid lowercase ULID, unique per n.
    return f"{n:026d}"


def bulk_seed_articles(uri: str, start: int, end: int) -> None:
    """Insert articles start+1..end below the API, as the service would store them: 1 KiB
    content, three of twenty tags each, four categories, four in five published (newest
    last), then set the counters the lists report from."""
    from sqlalchemy import delete, func, insert, select, update

    from config import Config
    from pastecms import create_app
    from pastecms.extensions import db
    from pastecms.models import NEVER, Article, ArticleTag, ArticleTotal, Category, Tag

    app = create_app(Config, {"DATABASE_URI": uri, "SECRET_KEY": "bench-seed-" + "x" * 32})
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with app.app_context():
        if start == 0:
            db.session.execute(
                insert(Tag),
                [
                    {"id": f"{n + 1:016x}", "name": name, "created_at": now}
                    for n, name in enumerate(BENCH_TAGS)
                ],
            )
            db.session.execute(
                insert(Category),
                [
                    {
                        "id": f"{n + 1:016x}",
                        "name": name,
                        "slug": slug,
                        "color": "#6B7280",
                        "display_order": n,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n, (name, slug) in enumerate(BENCH_CATEGORIES)
                ],
            )
        for first in range(start + 1, end + 1, 5000):
            articles, links = [], []
            for n in range(first, min(first + 5000, end + 1)):
                created = now - dt.timedelta(seconds=end - n)
                published = n % 5 != 0
                article = {
                    "id": f"{n:016x}",
                    "hash": _bench_hash(n),
                    "kind": "post",
                    "title": f"Article {n}",
                    "description": f"About article {n}",
                    "content": contents_of(n),
                    "status": "published" if published else "draft",
                    "published_at": created if published else None,
                    "sort_time": created if published else NEVER,
                    "created_at": created,
                    "updated_at": created,
                    "category_id": f"{n % len(BENCH_CATEGORIES) + 1:016x}" if n % 9 else None,
                    "slide_mode": False,
                }
                articles.append(article)
                tags = dict.fromkeys((n * k) % len(BENCH_TAGS) for k in (1, 7, 13))
                links += [
                    {
                        "article_id": article["id"],
                        "tag_id": f"{tag + 1:016x}",
                        "position": position,
                        "status": article["status"],
                        "sort_time": article["sort_time"],
                        "created_at": created,
                    }
                    for position, tag in enumerate(tags)
                ]
            db.session.execute(insert(Article), articles)
            db.session.execute(insert(ArticleTag), links)
        # The counters, as the service would have kept them.
        for model, rows, key in (
            (Tag, ArticleTag, ArticleTag.tag_id),
            (Category, Article, Article.category_id),
        ):
            counted = select(func.count()).where(key == model.id).scalar_subquery()
            published = (
                select(func.count())
                .where(key == model.id, rows.status == "published")
                .scalar_subquery()
            )
            db.session.execute(
                update(model).values(article_count=counted, published_count=published)
            )
        db.session.execute(delete(ArticleTotal))
        totals = db.session.execute(select(Article.status, func.count()).group_by(Article.status))
        db.session.execute(
            insert(ArticleTotal), [{"status": status, "count": count} for status, count in totals]
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE articles")
                connection.exec_driver_sql("ANALYZE article_tags")
        else:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        action="store_true",
        help="10,000 vs 1,000,000 pastes; 1,000 vs 100,000 talks and visits, and articles",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default={*TARGETS, CREDENTIALS},
        help=(
            f"comma-separated figures to measure (of {', '.join(TARGETS)}, {CREDENTIALS}); "
            "default all"
        ),
    )
    parser.add_argument(
        "--auth", action="store_true", help="only paste/user with an API key and with a JWT"
    )
    args = parser.parse_args()
    unknown = args.only - {*TARGETS, CREDENTIALS}
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    wrk_path = ensure_wrk()
    sys.path.insert(0, str(ROOT))
    directory = Path(tempfile.mkdtemp(prefix="pastecms-bench-"))
    try:
        run = run_scale if args.scale else run_credentials if args.auth else run_bench
        return run(wrk_path, directory, args.only)
    finally:
        if args.keep:
            say(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
