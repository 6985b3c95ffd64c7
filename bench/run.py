"""`make bench` and `make bench-scale`: pastecms's paste API under load (issue 8).

    python bench/run.py            # details, submit, recent, top, articles, article vs the ceiling
    python bench/run.py --scale    # details, recent, top with 10,000 and 1,000,000 pastes;
                                   # articles, article with 1,000 and 100,000 articles

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
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
WORKERS = 2
# Far above anything this machine can serve, so the limiter counts but never refuses.
SUBMIT_LIMIT = "100000000 per minute"
TARGETS = {
    "details": 0.40,
    "submit": 0.28,
    "recent": 0.35,
    "top": 0.35,
    "articles": 0.35,
    "article": 0.35,
}
#: The CMS face's figures (issue 14): a page of 10 articles with tags and category, and
#: one article by its hash, read with an admin's API key.
CMS_FIGURES = ("articles", "article")
ARTICLE_PAGE = "/v1/articles?perPage=10"
SCALE_ARTICLES = (1_000, 100_000)
SCALE_TARGET = 0.77
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
local path = %(path)s
local bodies = { %(bodies)s }
local requests = {}
local threads = {}
local n = 0
bad = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format("POST", path, headers, body)
  end
end

function request()
  n = n %% #requests + 1
  return requests[n]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
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


_GET_LUA = r"""
local paths = { %(paths)s }
local headers = { %(headers)s }
local requests = {}
local threads = {}
local n = 0
bad = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("GET", path, headers)
  end
end

function request()
  n = n %% #requests + 1
  return requests[n]
end
""" + _LUA[_LUA.index("function response(") :].replace("%%", "%%")


def write_get_script(directory: Path, name: str, paths: list, headers: dict) -> Path:
    """A wrk script cycling through GET requests of `paths`, each with `headers`."""
    script = directory / f"{name}.lua"
    literals = ", ".join(lua_string(path) for path in paths)
    fields = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    script.write_text(_GET_LUA % {"paths": literals, "headers": fields})
    return script


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def write_script(directory: Path, name: str, path: str, bodies: list) -> Path:
    script = directory / f"{name}.lua"
    literals = ", ".join(lua_string(json.dumps(body)) for body in bodies)
    script.write_text(_LUA % {"path": lua_string(path), "bodies": literals})
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
    """gunicorn with the shipped config and 2 sync workers, serving `app`."""

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
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get(base_url: str, path: str, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(base_url + path, headers=headers)
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
        "PASTECMS_ACCESS_LOG": "-",
    }


# --- make bench -----------------------------------------------------------------------


def run_bench(wrk_path: str, directory: Path) -> int:
    uri = database(directory)
    sqlite_path = uri.removeprefix("sqlite:///") if uri.startswith("sqlite:///") else None
    env = app_env(directory, uri)
    migrate(env)
    say(f"database: {_describe(uri)}")
    say(f"rate limit: PASTECMS_RATELIMIT_SUBMIT={SUBMIT_LIMIT!r} for this run, so the")
    say("  limiter still counts every submit but never refuses one (the same for")
    say("  PASTECMS_RATELIMIT_CMS_READ and PASTECMS_RATELIMIT_CMS_WRITE)")
    say(
        f"load: wrk -t{THREADS} -c{CONNECTIONS}, {WARMUP}s warm-up + {DURATION}s per figure; "
        f"gunicorn {WORKERS} sync workers ({GUNICORN_CONF.relative_to(ROOT)})"
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
        for name, (path, script) in scripts.items():
            status, raw = post(app.url, path, json.loads(_first_body(script)))
            assert status == 200, (name, status, raw[:300])
        key = admin_key(env, "benchadmin")
        hashes = seed_articles_through_api(app.url, key)
        cms = _cms_scripts(directory, hashes, key, random.Random(14))
        for name, (path, _script) in cms.items():
            status, raw = get(app.url, path, {"Authorization": f"Bearer {key}"})
            assert status == 200, (name, status, raw[:300])
        scripts.update(cms)
        memory["start"] = app.worker_rss_mib()
        for name, (_, script) in scripts.items():
            results[name] = paired(app, script)
        memory["after run 1"] = app.worker_rss_mib()
        for name, (_, script) in scripts.items():
            second[name] = measure(wrk_path, app, script)
        memory["after run 2"] = app.worker_rss_mib()

        if sqlite_path:
            ref_env = {**env, "BENCH_SQLITE_PATH": sqlite_path}
            ref = servers.enter_context(
                serving("bench.reference:app", ref_env, directory / "reference.log")
            )
            int_ids = list(range(1, SEED_PASTES + 1))
            ref_scripts = _app_scripts(directory, int_ids, random.Random(8), "ref")
            for name, (_, script) in ref_scripts.items():
                reference[name] = paired(ref, script)

    return report(results, second, reference, memory, body_size)


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


def admin_key(env: dict, username: str) -> str:
    """A new admin's API key, made with the CLI as a site's first admin is."""
    made = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "users", "create", username, "--admin"]
        + ["--password", secrets.token_urlsafe(16)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return made.stdout.strip().splitlines()[-1]


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


def _cms_scripts(directory: Path, hashes: list, key: str, rng: random.Random, prefix="cms"):
    sample = hashes[:]
    rng.shuffle(sample)
    headers = {"Authorization": f"Bearer {key}"}
    plan = {
        "articles": [ARTICLE_PAGE],
        "article": [f"/v1/articles/{h}" for h in sample[:500]],
    }
    return {
        name: (paths[0], write_get_script(directory, f"{prefix}-{name}", paths, headers))
        for name, paths in plan.items()
    }


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
    return {
        name: (path, write_script(directory, f"{prefix}-{name}", path, bodies))
        for name, (path, bodies) in plan.items()
    }


def _first_body(script: Path) -> str:
    text = script.read_text()
    start = text.index("local bodies = { ") + len("local bodies = { ")
    decoder = json.JSONDecoder()
    literal, _ = decoder.raw_decode(text, start)
    return literal


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
    low, high = min(c["rps"] for c in ceilings), max(c["rps"] for c in ceilings)
    say("")
    say(
        f"{'':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'cpu µs':>8} {'cpu r':>6} {'ratio':>7}  target"
    )
    say(_row(f"ceiling ({body_size} B)", ceiling))
    for name, target in TARGETS.items():
        say(_row(name, results[name], target))
    for name in TARGETS:
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
        + ", ".join(f"{name} {second[name]['rps']:.0f} req/s" for name in TARGETS)
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
    ratios = {name: results[name]["rps"] / results[name]["ceiling_rps"] for name in TARGETS}
    say(" ".join(f"{name}_ratio={value:.2f}" for name, value in ratios.items()))
    say(" ".join(f"{name}_cpu_us={results[name]['cpu_us']:.0f}" for name in TARGETS))
    everything = [*results.values(), *second.values(), *reference.values(), *ceilings]
    failed = sum(r["non2xx"] + r["socket_errors"] for r in everything)
    if failed:
        say(f"FAILED: {failed} requests were not answered 2xx; these figures do not count")
        return 1
    return 0


# --- make bench-scale -----------------------------------------------------------------


def run_scale(wrk_path: str, directory: Path, cms_only: bool = False) -> int:
    uri = database(directory)
    env = app_env(directory, uri)
    migrate(env)
    say(f"database: {_describe(uri)}")
    say(
        f"load: wrk -t{THREADS} -c{CONNECTIONS}, {WARMUP}s warm-up + {DURATION}s per figure; "
        f"gunicorn {WORKERS} sync workers"
    )
    ratios, failed = {}, 0
    if not cms_only:
        paste_ratios, paste_failed = _scale_pastes(wrk_path, directory, uri, env)
        ratios.update(paste_ratios)
        failed += paste_failed
    article_ratios, article_failed = _scale_articles(wrk_path, directory, uri, env)
    ratios.update(article_ratios)
    failed += article_failed
    say("")
    say(" ".join(f"{name}_scale_ratio={value:.2f}" for name, value in ratios.items()))
    if failed:
        say(f"FAILED: {failed} requests were not answered 2xx; these figures do not count")
        return 1
    return 0


def _scale_table(figures: dict, names, small_n: int, large_n: int) -> tuple[dict, int]:
    def label(n):
        return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"

    small_l, large_l = label(small_n), label(large_n)
    say("")
    head = (
        f"{small_l + ' req/s':>10} {'p99 ms':>7} {large_l + ' req/s':>10} {'p99 ms':>7} "
        f"{large_l + '/' + small_l:>7}"
    )
    say(f"{'':<10} {head}  target")
    ratios, failed = {}, 0
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
    return ratios, failed


def _scale_pastes(wrk_path: str, directory: Path, uri: str, env: dict) -> tuple[dict, int]:
    from pastecms.services.ids import PasteIds

    cipher = PasteIds(env["PASTECMS_SECRET_KEY"])
    figures = {}
    stored = 0
    for total in (10_000, 1_000_000):
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
            for name, (path, bodies) in plan.items():
                script = write_script(directory, f"scale-{total}-{name}", path, bodies)
                status, raw = post(app.url, path, bodies[0])
                assert status == 200, (name, status, raw[:300])
                figures[(name, total)] = measure(wrk_path, app, script)
    return _scale_table(figures, ("details", "recent", "top"), 10_000, 1_000_000)


def _scale_articles(wrk_path: str, directory: Path, uri: str, env: dict) -> tuple[dict, int]:
    """The CMS list and one article with 1,000 and then 100,000 articles stored."""
    key = admin_key(env, "scaleadmin")
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
        plan = {"articles": [ARTICLE_PAGE], "article": [f"/v1/articles/{h}" for h in hashes]}
        with serving("wsgi:app", env, directory / f"app-articles-{total}.log") as app:
            for name, paths in plan.items():
                script = write_get_script(directory, f"scale-{total}-{name}", paths, headers)
                status, raw = get(app.url, paths[0], headers)
                assert status == 200, (name, status, raw[:300])
                figures[(name, total)] = measure(wrk_path, app, script)
    return _scale_table(figures, CMS_FIGURES, *SCALE_ARTICLES)


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

    app = create_app(Config, {"DATABASE_URI": uri, "SECRET_KEY": "bench-seed"})
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="10,000 vs 1,000,000 pastes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--cms-only",
        action="store_true",
        help="with --scale: only the CMS figures (1,000 vs 100,000 articles)",
    )
    args = parser.parse_args()
    wrk_path = ensure_wrk()
    sys.path.insert(0, str(ROOT))
    directory = Path(tempfile.mkdtemp(prefix="pastecms-bench-"))
    try:
        if args.scale:
            return run_scale(wrk_path, directory, cms_only=args.cms_only)
        return run_bench(wrk_path, directory)
    finally:
        if args.keep:
            say(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
