"""`make hostile`: pastecms under hostile load (issue 18), served as it ships.

    python bench/hostile.py                                  # SQLite, limits in memory
    python bench/hostile.py --database postgresql+psycopg://postgres@127.0.0.1/hostile \\
        --storage redis://127.0.0.1:6379/0                   # PostgreSQL + Redis
    python bench/hostile.py --check                          # CI: exit 1 if a check fails

gunicorn runs with deploy/gunicorn.conf.py and ProdConfig behind nginx running
deploy/nginx/pastecms.conf (rendered as the live test renders it: tests/live.py), one
worker when limits count in memory (ProdConfig refuses more), else as many as the
config starts (2 x CPUs + 1). The database is a temporary SQLite file, or the one --database
names, which is EMPTIED first.

A well-behaved client reads (details, recent, top, pages, raw) and submits small pastes
at a person's pace, 5 requests a second from its own address: first alone (the quiet
run), then while four attackers, each from addresses of its own, do their worst:

  (a) views pathological pastes' pages (Pygments' worst cases, a 1 MiB paste), 2 at once;
  (b) guesses a protected paste's password, and an account's at login, spread over
      four addresses each;
  (c) trickles request headers on 40 connections, opening new ones as old ones drop;
  (d) floods anonymous submits of 1 MB, 2 at once.

It prints the well-behaved client's p50, p99 and errors in both runs, the p99 ratio
(issue 18's target: under 5), and what each attacker got against its limit. With --check
it asserts what does not depend on the machine's speed: no 5xx and no dropped connection
for the well-behaved client, every attacker throttled within its limits, the
pathological pages answered. The p99 ratio is printed, never asserted.

Bounded: at most a minute of load (15 s quiet and 30 s under attack by default), over
loopback only (127.0.0.0/8); every client stops at its deadline, and the servers stop
when the script ends, however it ends.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import empty_database, find_nginx, gunicorn, nginx  # noqa: E402

MAX_LOAD_SECONDS = 60
KIB, MIB = 1024, 1024 * 1024

# The app's limits for the run: the shipped defaults, set here so the checks know them.
SUBMITS_PER_MINUTE = 60
FAILED_ATTEMPTS_PER_MINUTE = 10
QUOTA_ANONYMOUS_PER_HOUR = 16 * MIB
SETTINGS = {
    "RATELIMIT_SUBMIT": f"{SUBMITS_PER_MINUTE} per minute",
    "RATELIMIT_ACCOUNT": "10 per minute",
    "RATELIMIT_FAILED_ATTEMPTS": (
        f"3 per 10 seconds;{FAILED_ATTEMPTS_PER_MINUTE} per minute;100 per day"
    ),
    "QUOTA_ANONYMOUS": f"{QUOTA_ANONYMOUS_PER_HOUR} per hour",
}

PASSWORD = "correct horse battery staple"
ACCOUNT = "victim"
GOOD_RATE = 5.0  # requests a second: a person, or a polite script
# Attackers send as fast as they are answered, up to this many requests a second each:
# far over every limit, without this script's own CPU (on the same machine) starving the
# servers under test.
ATTACK_RATE = 50.0
GOOD_ADDRESS = "127.0.1.1"
SUBMIT_SIZE = 1_000_000  # under MAX_PASTE_SIZE (1 MiB)
SETTLING_SECONDS = 5.0  # reported apart: the attack's first seconds, and the rest

# Pygments lexers that are quadratic on these (32 KiB each), and a paste over the
# highlighting size limit: the code issue 18 measured took from 4 to 26 s of CPU on every
# view of each.
PATHOLOGICAL = [
    ("a " * 16 * KIB, "java"),
    ("a " * 16 * KIB, "make"),
    ("a " * 16 * KIB, "systemd"),
    ("def f(x):\n    return x * 2\n" * 38_000, "python"),
]


def say(*args) -> None:
    print(*args, flush=True)


# --- HTTP over loopback, from a chosen source address --------------------------------


@dataclass
class Answer:
    status: int | None  # None: no answer (refused, reset, timed out)
    seconds: float
    body: bytes = b""
    headers: dict = field(default_factory=dict)


def call(port, source, method, path, payload=None, timeout=30.0) -> Answer:
    body, headers = None, {}
    if payload is not None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return Answer(response.status, time.monotonic() - started, raw, dict(response.headers))
    except (OSError, http.client.HTTPException):
        return Answer(None, time.monotonic() - started)
    finally:
        connection.close()


# --- the clients ----------------------------------------------------------------------


@dataclass
class Tally:
    """What one client sent and got."""

    statuses: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    accepted_bytes: int = 0
    notes: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer, size: int = 0) -> None:
        with self.lock:
            self.statuses[answer.status] += 1
            self.latencies.append(answer.seconds)
            if answer.status == 200:
                self.accepted_bytes += size
            elif answer.status in (429, 413) and "refusal" not in self.notes:
                self.notes["refusal"] = _message_of(answer)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def count(self, *statuses) -> int:
        return sum(self.statuses[status] for status in statuses)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status is not None and status >= 500)


def _message_of(answer: Answer) -> str:
    try:
        return json.loads(answer.body)["message"]
    except (ValueError, KeyError, TypeError):
        return f"{answer.status} (a page)"


def well_behaved(port, world, stop: threading.Event, tally: Tally) -> None:
    """Reads and submits at GOOD_RATE, waiting after each answer (never in bursts)."""
    plan = [
        ("POST", "/api/paste/details", lambda n: {"paste_id": world.normal[n % 5]}),
        ("POST", "/api/paste/recent", lambda n: {}),
        ("GET", "/paste/{}", None),
        ("POST", "/api/paste/details", lambda n: {"paste_id": world.normal[(n + 2) % 5]}),
        ("POST", "/api/paste/top", lambda n: {"num_per_page": 10}),
        ("GET", "/paste/{}/raw", None),
        ("POST", "/api/paste/details", lambda n: {"paste_id": world.normal[(n + 4) % 5]}),
        ("POST", "/api/paste/recent", lambda n: {"page_num": 1}),
        ("GET", "/paste/{}", None),
        (
            "POST",
            "/api/paste/submit",
            lambda n: {"contents": f"note {n}\n" * 40, "language": "text"},
        ),
    ]
    n = 0
    started = time.monotonic()
    while not stop.is_set():
        method, path, payload = plan[n % len(plan)]
        sent_at = time.monotonic() - started
        if payload is None:
            answer = call(port, GOOD_ADDRESS, method, path.format(world.normal[n % 5]))
        else:
            answer = call(port, GOOD_ADDRESS, method, path, payload(n))
        tally.add(answer)
        with tally.lock:
            tally.notes.setdefault("samples", []).append((answer.seconds, method, path, sent_at))
        n += 1
        stop.wait(1 / GOOD_RATE)


def attacking(stop: threading.Event):
    """0, 1, 2... for an attacker's requests, at most ATTACK_RATE a second, until `stop`."""
    n, interval = 0, 1 / ATTACK_RATE
    next_at = time.monotonic()
    while not stop.is_set():
        yield n
        n += 1
        next_at = max(next_at + interval, time.monotonic())
        stop.wait(next_at - time.monotonic())


def page_viewer(port, world, stop, tally: Tally) -> None:
    """(a) Views the pathological pastes' pages."""
    for n in attacking(stop):
        paste_id = world.pathological[n % len(world.pathological)]
        answer = call(port, "127.0.2.1", "GET", f"/paste/{paste_id}")
        tally.add(answer)
        if answer.status == 200:
            with tally.lock:
                tally.notes.setdefault("answered", set()).add(paste_id)


def guesser(path, payload, addresses):
    """(b) A client that guesses a password, from several addresses in turn;
    `payload(world, n)` is its n-th guess."""

    def run(port, world, stop, tally: Tally) -> None:
        for n in attacking(stop):
            answer = call(port, addresses[n % len(addresses)], "POST", path, payload(world, n))
            tally.add(answer)

    return run


def trickler(port, world, stop, tally: Tally, connections=40, source="127.0.5.1") -> None:
    """(c) Keeps `connections` connections sending a header line a second, never ending
    the headers; records how long each lived before the server dropped it."""
    opened: dict[socket.socket, float] = {}
    lifetimes = []
    tally.notes.update(opened_total=0, lifetimes=lifetimes, open_ages=[])

    def open_one():
        try:
            sock = socket.create_connection(
                ("127.0.0.1", port), timeout=5, source_address=(source, 0)
            )
            sock.sendall(b"POST /api/paste/submit HTTP/1.1\r\nHost: pastecms\r\n")
        except OSError:
            return
        sock.setblocking(False)
        opened[sock] = time.monotonic()
        tally.notes["opened_total"] += 1

    while not stop.is_set():
        while len(opened) < connections and not stop.is_set():
            open_one()
        # The server's answer (if any) or its closing shows here.
        readable, _, _ = select.select(list(opened), [], [], 1.0)
        now = time.monotonic()
        for sock in readable:
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data or data.startswith(b"HTTP/"):
                with tally.lock:
                    tally.statuses["dropped" if not data else int(data.split()[1])] += 1
                lifetimes.append(now - opened.pop(sock))
                sock.close()
        for sock in list(opened):
            try:
                sock.send(b"X-Trickle: 1\r\n")
            except OSError:
                with tally.lock:
                    tally.statuses["dropped"] += 1
                lifetimes.append(now - opened.pop(sock))
                sock.close()
    now = time.monotonic()
    tally.notes["open_ages"] = [now - since for since in opened.values()]
    tally.statuses["still open"] += len(opened)
    for sock in opened:
        sock.close()


def submit_flooder(port, world, stop, tally: Tally) -> None:
    """(d) Submits 1 MB anonymous pastes."""
    body = json.dumps({"contents": ("flood " * (SUBMIT_SIZE // 6 + 1))[:SUBMIT_SIZE]}).encode()
    for _ in attacking(stop):
        tally.add(call(port, "127.0.6.1", "POST", "/api/paste/submit", body), size=SUBMIT_SIZE)


# --- the run --------------------------------------------------------------------------


@dataclass
class World:
    """What the clients read and attack, made before the load starts."""

    normal: list
    pathological: list
    protected: str


def seed(url: str) -> World:
    port = int(url.rsplit(":", 1)[1])

    def submit(payload) -> str:
        answer = call(port, "127.0.0.1", "POST", "/api/paste/submit", payload)
        if answer.status != 200:
            sys.exit(f"seeding failed: {answer.status} {answer.body[:200]!r}")
        return json.loads(answer.body)["paste_id_repr"]

    source = (ROOT / "pastecms" / "services" / "pastes" / "paste.py").read_text()
    normal = [submit({"contents": source[:4000], "language": "python"}) for _ in range(5)]
    pathological = [submit({"contents": text, "language": lang}) for text, lang in PATHOLOGICAL]
    protected = submit({"contents": "the secret", "password": PASSWORD})
    answer = call(
        port, "127.0.0.1", "POST", "/api/user/create", {"username": ACCOUNT, "password": PASSWORD}
    )
    if answer.status != 200:
        sys.exit(f"seeding the account failed: {answer.status} {answer.body[:200]!r}")
    # The well-behaved client's pages, made once: both runs read them as they stand.
    for paste_id in normal:
        call(port, "127.0.0.1", "GET", f"/paste/{paste_id}")
    return World(normal, pathological, protected)


def run_clients(port, world, seconds, clients) -> dict:
    stop = threading.Event()
    tallies = {name: Tally() for name in clients}
    threads = [
        threading.Thread(target=run, args=(port, world, stop, tallies[name]), daemon=True)
        for name, (run, copies) in clients.items()
        for _ in range(copies)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=40)  # an answer in flight: at most its 30 s timeout
    elapsed = time.monotonic() - started
    for tally in tallies.values():
        tally.notes["seconds"] = elapsed
    return tallies


def site_limits(site: Path) -> dict:
    """nginx's limits as the site sets them: zone -> (rate a second, burst), and the
    header timeout in seconds (nginx's default when the site sets none)."""
    text = site.read_text()
    rates = {m[0]: float(m[1]) for m in re.findall(r"zone=(\w+):\S+ rate=(\d+)r/s", text)}
    bursts = {m[0]: int(m[1]) for m in re.findall(r"limit_req zone=(\w+) burst=(\d+)", text)}
    timeout = re.search(r"client_header_timeout (\d+)s;", text)
    return {
        "zones": {zone: (rate, bursts.get(zone, 0)) for zone, rate in rates.items()},
        "header_timeout": int(timeout.group(1)) if timeout else 60,
    }


def percentile(values, fraction) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (EMPTIED first); default SQLite")
    parser.add_argument("--storage", default="memory://", help="rate-limit storage URI")
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn workers (default: 1 with limits in memory, else the config's 2 x CPUs + 1)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an app setting for the run (PASTECMS_NAME), e.g. HIGHLIGHT_TIME_LIMIT=0.5",
    )
    parser.add_argument("--quiet", type=float, default=15, help="seconds of the quiet run")
    parser.add_argument("--attack", type=float, default=30, help="seconds under attack")
    parser.add_argument("--check", action="store_true", help="exit 1 when a check fails")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder")
    args = parser.parse_args()
    if args.quiet + args.attack > MAX_LOAD_SECONDS:
        parser.error(f"at most {MAX_LOAD_SECONDS} seconds of load in all")
    binary = find_nginx()
    if binary is None:
        sys.exit("nginx is missing (Debian: apt-get install nginx)")
    # ProdConfig refuses several workers counting limits in memory; with shared storage,
    # the count is the shipped config's own (2 x CPUs + 1), as in production.
    workers = args.workers or (1 if args.storage.startswith("memory:") else None)
    # A backstop: whatever hangs, the script ends, and its servers with it.
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("hostile: took too long, stopped"))
    signal.alarm(int(args.quiet + args.attack) + 240)

    directory = Path(tempfile.mkdtemp(prefix="pastecms-hostile-"))
    uri = args.database or f"sqlite:///{directory / 'hostile.db'}"
    if args.database:
        empty_database(uri)
    env = {
        "PASTECMS_CONFIG": "ProdConfig",
        "PASTECMS_SECRET_KEY": uuid.uuid4().hex * 2,
        "PASTECMS_DATABASE_URI": uri,
        "PASTECMS_RATELIMIT_STORAGE_URI": args.storage,
        # Counts of this run only, in a Redis that others may share.
        "PASTECMS_RATELIMIT_KEY_PREFIX": f"hostile-{uuid.uuid4().hex}",
        "PASTECMS_PROXY_HOPS": "1",
        **{f"PASTECMS_{key}": value for key, value in SETTINGS.items()},
        **{f"PASTECMS_{item.partition('=')[0]}": item.partition("=")[2] for item in args.set},
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=args.root,
        env={**_clean_environ(), **env},
        check=True,
        capture_output=True,
    )
    site = args.root / "deploy" / "nginx" / "pastecms.conf"
    limits = site_limits(site)
    say(f"database: {_describe(uri)}; limits in {args.storage}")
    count = workers or f"the config's {2 * len(os.sched_getaffinity(0)) + 1}"
    say(f"gunicorn: {count} workers, {args.root / 'deploy/gunicorn.conf.py'}, ProdConfig")
    if args.set:
        say("settings: " + ", ".join(args.set))
    say(f"nginx: {site}")
    app_log = directory / "gunicorn.log"
    try:
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(
                gunicorn(
                    {**_clean_environ(), **env},
                    app_log,
                    config_file=args.root / "deploy" / "gunicorn.conf.py",
                    workers=workers,
                    root=args.root,
                )
            )
            port = stack.enter_context(
                nginx(binary, url, directory / "nginx", site=site, worker_connections=512)
            )
            world = seed(url)
            say(
                f"seeded {len(world.normal)} pastes, {len(world.pathological)} pathological ones, "
                "a protected paste and an account"
            )
            say(f"quiet run: the well-behaved client alone for {args.quiet:.0f} s ...")
            quiet = run_clients(port, world, args.quiet, {"good": (well_behaved, 1)})["good"]
            say(f"under attack for {args.attack:.0f} s ...")
            attacked = run_clients(port, world, args.attack, _attackers())
        return report(quiet, attacked, limits, app_log, args.check)
    finally:
        if args.keep:
            say(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def _attackers() -> dict:
    paste_guesses = guesser(
        "/api/paste/details",
        lambda world, n: {"paste_id": world.protected, "password": f"guess number {n}"},
        [f"127.0.3.{n}" for n in range(1, 5)],
    )
    login_guesses = guesser(
        "/api/authentication/login",
        lambda world, n: {"username": ACCOUNT, "password": f"guess number {n}"},
        [f"127.0.4.{n}" for n in range(1, 5)],
    )
    return {
        "good": (well_behaved, 1),
        "a": (page_viewer, 2),
        "b paste": (paste_guesses, 1),
        "b login": (login_guesses, 1),
        "c": (trickler, 1),
        "d": (submit_flooder, 2),
    }


def _clean_environ() -> dict:
    return {key: value for key, value in os.environ.items() if not key.startswith("PASTECMS_")}


def _describe(uri: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(uri).render_as_string(hide_password=True)


# --- the report -----------------------------------------------------------------------


def report(quiet: Tally, attacked: dict, limits: dict, app_log: Path, check: bool) -> int:
    good = attacked["good"]
    failures = []

    def verdict(ok: bool, what: str) -> str:
        if not ok:
            failures.append(what)
        return "ok" if ok else "FAILED"

    say("")
    say(
        f"{'well-behaved client':<20} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx':>8} {'5xx':>4} {'no answer':>9}  check"
    )
    for label, tally in (("quiet", quiet), ("under attack", good)):
        unanswered = tally.statuses[None]
        failed = tally.sent - tally.count(200, 302)
        ok = verdict(
            tally.server_errors == 0 and unanswered == 0,
            f"the well-behaved client got {tally.server_errors} 5xx and {unanswered} "
            f"unanswered requests ({label})",
        )
        say(
            f"{label:<20} {tally.sent:>8} {percentile(tally.latencies, 0.5) * 1000:>8.1f} "
            f"{percentile(tally.latencies, 0.99) * 1000:>8.1f} {failed:>8} "
            f"{tally.server_errors:>4} {unanswered:>9}  {ok}"
        )
    slowest = sorted(good.notes.get("samples", []), reverse=True)[:5]
    say(
        "slowest under attack: "
        + ", ".join(f"{m} {p} {t * 1000:.0f} ms at {at:.1f} s" for t, m, p, at in slowest)
    )
    ratio = percentile(good.latencies, 0.99) / percentile(quiet.latencies, 0.99)
    say(
        f"p99 ratio (under attack / quiet): {ratio:.2f} (issue 18's target: under 5; "
        "printed, never checked: it depends on the machine)"
    )
    # The attackers spend what their limits allow of costly work (guesses, new pages)
    # at once when the attack starts; after that, what the limits let through steadily.
    settled = [t for t, _, _, at in good.notes.get("samples", []) if at >= SETTLING_SECONDS]
    settled_ratio = percentile(settled, 0.99) / percentile(quiet.latencies, 0.99)
    say(
        f"from {SETTLING_SECONDS:.0f} s into the attack on: p99 "
        f"{percentile(settled, 0.99) * 1000:.1f} ms, ratio {settled_ratio:.2f}"
    )

    rows = []
    zones = limits["zones"]
    a = attacked["a"]
    rate, burst = zones.get("pastecms_pages", (0, 0))
    answered = len(a.notes.get("answered", ()))
    ok = rate and a.count(429) > 0 and a.count(200) <= burst + rate * a.notes["seconds"] + 1
    rows.append(
        (
            "(a) views pathological pages",
            a,
            a.count(200),
            f"nginx: {rate:.0f}/s + {burst}; {answered} of {len(PATHOLOGICAL)} pages answered",
            verdict(bool(ok and answered == len(PATHOLOGICAL)), "(a) the pathological page viewer"),
        )
    )
    for key, label, target in (
        ("b paste", "(b) guesses a paste's password", "paste"),
        ("b login", "(b) guesses a login's password", "account"),
    ):
        b = attacked[key]
        ok = b.count(401, 404) <= FAILED_ATTEMPTS_PER_MINUTE and b.count(429) > 0
        rows.append(
            (
                label,
                b,
                b.count(401, 404),
                f"{FAILED_ATTEMPTS_PER_MINUTE} wrong guesses a minute per {target}",
                verdict(ok, label),
            )
        )
    c = attacked["c"]
    ages = c.notes["lifetimes"] + c.notes["open_ages"]
    longest = max(ages, default=0)
    outlived = sum(age > limits["header_timeout"] + 5 for age in ages)
    ok = c.statuses["dropped"] > 0 and outlived == 0
    rows.append(
        (
            "(c) trickles headers",
            c,
            outlived,
            f"nginx drops them after {limits['header_timeout']} s; longest lived {longest:.0f} s",
            verdict(ok, "(c) the header trickler"),
        )
    )
    d = attacked["d"]
    # The quota tests and then counts (services.pastes.quota), so the flooder's two submits at
    # once may both pass its last test: it promises to overshoot by one paste, no more.
    most = min(SUBMITS_PER_MINUTE, QUOTA_ANONYMOUS_PER_HOUR // SUBMIT_SIZE + 1)
    ok = d.count(200) <= most and d.accepted_bytes <= QUOTA_ANONYMOUS_PER_HOUR + SUBMIT_SIZE
    rows.append(
        (
            "(d) floods 1 MB submits",
            d,
            d.count(200),
            f"{QUOTA_ANONYMOUS_PER_HOUR // MIB} MiB an hour, {SUBMITS_PER_MINUTE} a minute; "
            f"stored {d.accepted_bytes / MIB:.1f} MiB",
            verdict(ok and d.count(429, 413) > 0, "(d) the submit flooder"),
        )
    )
    say("")
    say(
        f"{'attacker':<32} {'sent':>6} {'passed':>6} {'429':>6} {'413':>4} {'dropped':>7}  "
        "check  limit"
    )
    for label, tally, passed, limit, outcome in rows:
        say(
            f"{label:<32} {tally.sent:>6} {passed:>6} {tally.count(429):>6} "
            f"{tally.count(413):>4} {tally.count('dropped'):>7}  {outcome:<6} {limit}"
        )
    for label, tally, *_ in rows:
        if "refusal" in tally.notes:
            say(f"{label}, first refused: {tally.notes['refusal']}")
    say(
        "(sent: requests, or for (c) connections opened; passed: pages answered, wrong "
        "guesses answered 401 or 404, connections that outlived the header timeout, pastes "
        "stored)"
    )
    timeouts = app_log.read_text(errors="replace").count("WORKER TIMEOUT")
    say(f"gunicorn workers killed for taking too long: {timeouts}")
    say("")
    say(
        f"p99_ratio={ratio:.2f} settled_p99_ratio={settled_ratio:.2f} "
        f"good_p99_quiet_ms={percentile(quiet.latencies, 0.99) * 1000:.1f} "
        f"good_p99_attacked_ms={percentile(good.latencies, 0.99) * 1000:.1f}"
    )

    if failures:
        say("FAILED: " + "; ".join(failures))
        return 1 if check else 0
    say("every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
