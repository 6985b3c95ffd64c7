"""`make bench` and `make bench-scale`: pastecms's paste API under load (issue 8).

    python bench/run.py            # details, submit, recent, top vs the ceiling
    python bench/run.py --scale    # details, recent, top with 10,000 and 1,000,000 pastes

The app is served the way production serves it: gunicorn with deploy/gunicorn.conf.py and
2 sync workers, ProdConfig, on an SQLite file in a temporary folder
(PASTECMS_BENCH_DATABASE_URI selects another database, e.g. a PostgreSQL `bench`
database, which is emptied first). Load comes from `wrk` in its own process over loopback.

Figures are compared as ratios to the ceiling measured in the same run (bench/ceiling.py),
because absolute requests per second move from machine to machine and run to run. The
reference (bench/reference.py, SQLite only) does the same work with stdlib sqlite3.

Settings (environment): BENCH_DURATION (seconds per measurement, default 8),
BENCH_WARMUP (default 2), BENCH_CONNECTIONS (default 4), BENCH_THREADS (default 1),
BENCH_PASTES (pastes seeded through the API, default 1000).
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
TARGETS = {"details": 0.40, "submit": 0.28, "recent": 0.35, "top": 0.35}
SCALE_TARGET = 0.77
MEMORY_TARGET_MIB = 100
PAGE = {"page_num": 0, "num_per_page": 20}

DURATION = int(os.environ.get("BENCH_DURATION", "8"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
SEED_PASTES = int(os.environ.get("BENCH_PASTES", "1000"))


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
        # In memory, each of the 2 workers counts alone, which ProdConfig refuses; the
        # limits here are set never to refuse anyway, and the counting costs the same.
        "PASTECMS_RATELIMIT_REQUIRE_SHARED_STORAGE": "false",
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
    say("  limiter still counts every submit but never refuses one")
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


def run_scale(wrk_path: str, directory: Path) -> int:
    uri = database(directory)
    env = app_env(directory, uri)
    migrate(env)
    say(f"database: {_describe(uri)}")
    say(
        f"load: wrk -t{THREADS} -c{CONNECTIONS}, {WARMUP}s warm-up + {DURATION}s per figure; "
        f"gunicorn {WORKERS} sync workers"
    )
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
    say("")
    head = f"{'10k req/s':>10} {'p99 ms':>7} {'1M req/s':>10} {'p99 ms':>7} {'1M/10k':>7}"
    say(f"{'':<10} {head}  target")
    ratios, failed = {}, 0
    for name in ("details", "recent", "top"):
        small, large = figures[(name, 10_000)], figures[(name, 1_000_000)]
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
    args = parser.parse_args()
    wrk_path = ensure_wrk()
    sys.path.insert(0, str(ROOT))
    directory = Path(tempfile.mkdtemp(prefix="pastecms-bench-"))
    try:
        return (run_scale if args.scale else run_bench)(wrk_path, directory)
    finally:
        if args.keep:
            say(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
