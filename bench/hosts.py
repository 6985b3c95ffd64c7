"""`make scale`: two app hosts on one PostgreSQL and one Redis, behind nginx (issue 31).

    python bench/hosts.py --check      # what must hold across hosts (CI runs this)
    python bench/hosts.py --measure    # one host against two, each held to a CPU quota
    python bench/hosts.py --faults     # a host killed, PostgreSQL and Redis restarted

Each host is a network namespace of its own (`ip netns`, a veth pair: the host at
10.231.N.2, this machine at 10.231.N.1) running gunicorn as shipped
(deploy/gunicorn.conf.py, ProdConfig, 2 workers). nginx runs the shipped site with both
hosts in its upstream. PostgreSQL and Redis are private instances made for the run (a
cluster of its own in a temporary folder, a redis-server of its own) listening on this
machine's veth addresses, so that the faults can stop them without touching any other
user of this machine's services. Needs root (namespaces, cgroups) and Debian's
postgresql, redis-server, nginx and wrk.

--check proves, across the two hosts: a rate limit counts once for both; a session and
a JWT made on one host work on the other; a burn-after-read paste read through both at
once is seen exactly once; one Idempotency-Key sent to both at once makes one paste; an
article changed through one host is never served stale by the other after the change
was acknowledged; a webhook fires once per change.
"""

import argparse
import collections
import concurrent.futures
import contextlib
import http.server
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import ensure_wrk, write_requests, write_script  # noqa: E402
from bench.run import wrk as run_wrk  # noqa: E402
from tests.live import find_nginx, nginx, wait_until_up  # noqa: E402

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Below Linux's ephemeral range (32768-60999): a port in it may be taken on loopback by
# any client's outgoing connection, and PostgreSQL then fails to listen there.
PG_PORT = 25432
REDIS_PORT = 26379
APP_PORT = 8000
HOSTS = ("a", "b")
#: The rate limit the check counts against: small, so that a few requests reach it.
SUBMIT_LIMIT = 6
#: The CPU each host may use when measured (a cgroup quota): the app, not the machine,
#: is then what bounds the figures.
CPU_QUOTA = 0.4
#: The client address the rate-limit check uses up, as both hosts are told of it
#: (X-Forwarded-For, as nginx sends it); every other request comes from an address of its
#: own, so that only that check meets the limit.
LIMITED_CLIENT = "203.0.113.8"
LOAD_CLIENT = "198.19.0.1"  # the measured load's


def say(*args) -> None:
    print(*args, flush=True)


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], check=True, **kwargs)


# --- the network ------------------------------------------------------------------------


def host_address(index: int) -> str:
    return f"10.231.{index + 1}.2"


def gateway(index: int) -> str:
    """This machine's address as host `index` reaches it."""
    return f"10.231.{index + 1}.1"


@contextlib.contextmanager
def network():
    """A namespace per host, joined to this machine by a veth pair."""
    made = []
    try:
        for index, name in enumerate(HOSTS):
            ns, outer, inner = f"pcms-{name}", f"pcms-{name}0", f"pcms-{name}1"
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            subprocess.run(["ip", "link", "del", outer], capture_output=True)
            run("ip", "netns", "add", ns)
            made.append((ns, outer))
            run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
            run("ip", "link", "set", inner, "netns", ns)
            run("ip", "addr", "add", f"{gateway(index)}/24", "dev", outer)
            run("ip", "link", "set", outer, "up")
            in_ns = ("ip", "netns", "exec", ns)
            run(*in_ns, "ip", "addr", "add", f"{host_address(index)}/24", "dev", inner)
            run(*in_ns, "ip", "link", "set", inner, "up")
            run(*in_ns, "ip", "link", "set", "lo", "up")
            run(*in_ns, "ip", "route", "add", "default", "via", gateway(index))
        yield
    finally:
        for ns, outer in made:
            subprocess.run(["ip", "link", "del", outer], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# --- PostgreSQL and Redis, private to the run ----------------------------------------------


class Postgres:
    """A PostgreSQL cluster of the run's own, listening on this machine's veth addresses."""

    def __init__(self, folder: Path):
        self.data = folder / "pg"
        self.data.mkdir()
        shutil.chown(self.data, "postgres", "postgres")
        as_postgres = ("runuser", "-u", "postgres", "--")
        run(
            *as_postgres,
            PG_BIN / "initdb",
            "-D",
            self.data,
            "-A",
            "trust",
            "-U",
            "postgres",
            capture_output=True,
        )
        listen = ",".join(["127.0.0.1", *(gateway(i) for i in range(len(HOSTS)))])
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = '{listen}'\nport = {PG_PORT}\n")
            conf.write(f"unix_socket_directories = '{self.data}'\nmax_connections = 200\n")
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host all all 10.231.0.0/16 trust\n")
        self.command = (
            *as_postgres,
            PG_BIN / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.data / "server.log",
            "-w",
        )
        self.as_postgres = as_postgres

    def create_database(self):
        run(*self.as_postgres, PG_BIN / "createdb", "-h", self.data, "-p", PG_PORT, "pastecms")

    def start(self):
        run(*self.command, "start", capture_output=True)

    def stop(self, mode="fast", *, check=True):
        command = [str(c) for c in (*self.command, "stop", "-m", mode)]
        subprocess.run(command, check=check, capture_output=True)

    @staticmethod
    def uri(index: int) -> str:
        return f"postgresql+psycopg://postgres@{gateway(index)}:{PG_PORT}/pastecms"


class Redis:
    """A redis-server of the run's own (nothing kept on disk)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.process = None
        self.start()

    def start(self):
        bind = ["127.0.0.1", *(gateway(i) for i in range(len(HOSTS)))]
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                *bind,
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True
            ).stdout.strip()
            != "PONG"
        ):
            if time.monotonic() > deadline:
                self.process.terminate()
                raise RuntimeError("the run's redis-server did not start")
            time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    @staticmethod
    def uri(index: int) -> str:
        return f"redis://{gateway(index)}:{REDIS_PORT}/0"


# --- the app hosts ----------------------------------------------------------------------


class Host:
    """gunicorn as shipped, in host `index`'s namespace, optionally in a CPU quota."""

    def __init__(self, index: int, env: dict, folder: Path, quota: float | None = None):
        self.index, self.env, self.folder, self.quota = index, env, folder, quota
        self.url = f"http://{host_address(index)}:{APP_PORT}"
        self.cgroup = None
        self.process = None

    def start(self):
        env = {
            **self.env,
            "PASTECMS_DATABASE_URI": Postgres.uri(self.index),
            "PASTECMS_RATELIMIT_STORAGE_URI": Redis.uri(self.index),
            "PASTECMS_BIND": f"{host_address(self.index)}:{APP_PORT}",
        }
        command = ["ip", "netns", "exec", f"pcms-{HOSTS[self.index]}"]
        command += [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "wsgi:app"]
        log = open(self.folder / f"host-{HOSTS[self.index]}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        if self.quota is not None:
            self.cgroup = Path(f"/sys/fs/cgroup/cpu/pcms-{HOSTS[self.index]}")
            self.cgroup.mkdir(exist_ok=True)
            (self.cgroup / "cpu.cfs_period_us").write_text("100000")
            (self.cgroup / "cpu.cfs_quota_us").write_text(str(int(self.quota * 100000)))
            # The master; the workers it forks from now on join its group.
            (self.cgroup / "cgroup.procs").write_text(str(self.process.pid))
        wait_until_up(self.url + "/healthz", self.process, timeout=60)
        return self

    def kill(self):
        """kill -9 of the gunicorn master (its workers notice and exit)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        subprocess.run(
            ["pkill", "-9", "-f", f"PASTECMS_BIND={host_address(self.index)}"], capture_output=True
        )
        if self.cgroup is not None:
            for _ in range(50):
                with contextlib.suppress(OSError):
                    self.cgroup.rmdir()
                    break
                time.sleep(0.1)


def app_env(webhook_networks: str, submit_limit: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASTECMS_")}
    env.update(
        PASTECMS_CONFIG="ProdConfig",
        PASTECMS_SECRET_KEY=secrets.token_urlsafe(32),
        PASTECMS_WORKERS="2",
        PASTECMS_PROXY_HOPS="1",
        PASTECMS_SESSION_COOKIE_SECURE="false",
        PASTECMS_BCRYPT_ROUNDS="4",
        PASTECMS_RATELIMIT_SUBMIT=submit_limit,
        PASTECMS_WEBHOOK_ALLOWED_NETWORKS=webhook_networks,
        PASTECMS_ACCESS_LOG="-",
    )
    return env


def upgrade_and_make_admin(env: dict) -> str:
    """The schema, and an admin's API key (the CLI's last line)."""
    local = {**env, "PASTECMS_DATABASE_URI": Postgres.uri(0).replace(gateway(0), "127.0.0.1")}
    run(
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "db",
        "upgrade",
        cwd=ROOT,
        env=local,
        capture_output=True,
    )
    made = run(
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "users",
        "create",
        "owner",
        "--admin",
        "--password",
        "correct horse battery",
        cwd=ROOT,
        env=local,
        capture_output=True,
        text=True,
    )
    return made.stdout.strip().splitlines()[-1].split()[-1]


# --- requests -----------------------------------------------------------------------------


def call(base, method, path, body=None, headers=None, timeout=10, client=None):
    """(status, headers, parsed JSON or text) of one request from `client` (a new address
    by default); never raises on a status."""
    client = client or f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    headers = {"X-Forwarded-For": client, **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, error.headers, error.read()
    try:
        return status, answer_headers, json.loads(raw)
    except ValueError:
        return status, answer_headers, raw.decode(errors="replace")


def at_once(*calls):
    """Run the zero-argument callables together, released at the same moment."""
    start = threading.Barrier(len(calls))

    def released(fn):
        start.wait()
        return fn()

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(released, calls))


class Receiver:
    """A webhook receiver on this machine, counting the deliveries it gets."""

    def __init__(self):
        self.bodies = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                owner.bodies.append(self.rfile.read(length))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# --- the checks ---------------------------------------------------------------------------


def check(hosts, front, key, receiver) -> list[str]:
    """Every cross-host property; returns the ones that failed (empty: all held)."""
    a, b = (host.url for host in hosts)
    failed = []

    def expect(name, held, detail=""):
        say(f"  {'ok  ' if held else 'FAIL'} {name}{': ' + detail if detail else ''}")
        if not held:
            failed.append(name)

    # A rate limit counts once for both: SUBMIT_LIMIT submits alternating between the
    # hosts pass, the next one (on either) is refused.
    statuses = [
        call(
            (a, b)[n % 2],
            "POST",
            "/api/paste/submit",
            {"contents": f"limit {n}"},
            client=LIMITED_CLIENT,
        )[0]
        for n in range(SUBMIT_LIMIT + 1)
    ]
    expect(
        "one rate limit for both hosts",
        statuses == [200] * SUBMIT_LIMIT + [429],
        f"submits alternating a, b answered {statuses}",
    )

    auth = {"Authorization": f"Bearer {key}"}
    # A JWT made on one host works on the other.
    status, _, login = call(
        a, "POST", "/api/auth/auth", {"username": "owner", "password": "correct horse battery"}
    )
    access = login["data"]["access_token"] if status == 200 else ""
    status_b, _, listed = call(
        b, "GET", "/api/content/list/article", headers={"Authorization": f"Bearer {access}"}
    )
    expect(
        "a JWT from host a works on host b",
        status == 200 and status_b == 200,
        f"login {status}, list {status_b}",
    )
    # A session cookie made on one host works on the other.
    status, headers, _ = call(
        a,
        "POST",
        "/api/authentication/login",
        {"username": "owner", "password": "correct horse battery"},
    )
    cookie = "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie") or [])
    _, _, state = call(b, "POST", "/api/authentication/status", {}, {"Cookie": cookie})
    signed_in = isinstance(state, dict) and state.get("is_authenticated") is True
    expect("a session from host a signs in on host b", signed_in, f"status says {state}")

    # A burn-after-read paste read through both at once is seen exactly once.
    seen = []
    for n in range(10):
        _, _, paste = call(
            a, "POST", "/api/paste/submit", {"contents": f"once {n}", "burn_after_read": True}, auth
        )
        if "paste_id_repr" not in paste:
            say(f"  submit refused: {paste}")
            return [*failed, "setup"]
        pid = paste["paste_id_repr"]
        answers = at_once(
            *(
                lambda u=u, pid=pid: call(u, "POST", "/api/paste/details", {"paste_id": pid})[0]
                for u in (a, b)
            )
        )
        seen.append(sorted(answers))
    expect(
        "a burn-after-read paste is read once through both hosts",
        all(s == [200, 404] for s in seen),
        f"pairs of answers {seen}",
    )

    # One Idempotency-Key sent to both at once makes one paste.
    made = []
    for n in range(10):
        retry = {**auth, "Idempotency-Key": secrets.token_hex(16)}
        body = {"contents": f"sent twice {n}"}
        answers = at_once(
            *(
                lambda u=u, body=body, retry=retry: call(
                    u, "POST", "/api/paste/submit", body, retry
                )
                for u in (a, b)
            )
        )
        ids = {ans.get("paste_id_repr") for status, _, ans in answers if status == 200}
        others = sorted(status for status, _, _ in answers if status != 200)
        made.append((len(ids), others))
    expect(
        "one Idempotency-Key sent to both hosts makes one paste",
        all(count == 1 and others in ([], [409]) for count, others in made),
        f"(pastes made, other statuses) per key: {made}",
    )

    # An article changed through one host is not served stale by the other.
    _, _, article = call(
        a,
        "POST",
        "/v1/articles",
        {"title": "Version 0", "content": "x", "status": "published"},
        auth,
    )
    stale = []
    for n in range(1, 21):
        call(b, "GET", f"/v1/articles/{article['hash']}", headers=auth)  # b keeps an answer
        status, _, _ = call(
            a, "PUT", f"/v1/articles/{article['hash']}", {"title": f"Version {n}"}, auth
        )
        _, _, read = call(b, "GET", f"/v1/articles/{article['hash']}", headers=auth)
        if status != 200 or read.get("title") != f"Version {n}":
            stale.append((n, status, read.get("title")))
    expect("an article changed on host a is read fresh on host b", not stale, f"{stale}")

    # A webhook fires once per change.
    webhook_uri = f"http://{gateway(0)}:{receiver.port}/hooks"
    status, _, hook = call(front, "POST", "/pub/create_webhook", {"token": key, "uri": webhook_uri})
    receiver.bodies.clear()
    changes = 10
    for n in range(changes):
        call(
            (a, b)[n % 2], "PUT", f"/v1/articles/{article['hash']}", {"title": f"Hooked {n}"}, auth
        )
    deadline = time.monotonic() + 15
    while len(receiver.bodies) < changes and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # a second delivery of any change would have come by now
    expect(
        "a webhook fires once per change",
        len(receiver.bodies) == changes,
        f"{changes} changes through both hosts, {len(receiver.bodies)} deliveries "
        f"(webhook set: {hook.get('status') if isinstance(hook, dict) else hook})",
    )
    return failed


# --- the measurement ----------------------------------------------------------------------


def measure(hosts, key, folder: Path, runs: int, seconds: int) -> None:
    """Details and the CMS list, on one host and on two, each host held to CPU_QUOTA."""
    wrk_path = ensure_wrk()
    a = hosts[0].url
    pastes = [
        call(
            a,
            "POST",
            "/api/paste/submit",
            {"contents": f"read {n} " * 100},
            {"Authorization": f"Bearer {key}"},
        )[2]["paste_id_repr"]
        for n in range(50)
    ]
    auth = {"Authorization": f"Bearer {key}"}
    for n in range(30):
        call(
            a,
            "POST",
            "/v1/articles",
            {"title": f"Listed {n}", "content": "y" * 1000, "status": "published", "tags": ["t"]},
            auth,
        )
    scripts = {
        "details": write_script(
            folder,
            "details",
            "/api/paste/details",
            [{"paste_id": p} for p in pastes],
            {"X-Forwarded-For": LOAD_CLIENT},
        ),
        "cms list": write_requests(
            folder,
            "cms-list",
            [("GET", "/v1/articles?perPage=10", {**auth, "X-Forwarded-For": LOAD_CLIENT}, None)],
        ),
    }
    say(
        f"\nrequests a second, each host held to {CPU_QUOTA} CPU (cgroup quota); "
        f"{runs} runs of {seconds}s each"
    )
    say("| figure | one host | two hosts | two / one |\n| --- | --- | --- | --- |")
    for name, script in scripts.items():
        ones, twos = [], []
        for _ in range(runs):
            ones.append(run_wrk(wrk_path, a, script, seconds)["rps"])
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                both = pool.map(
                    lambda h, script=script: run_wrk(wrk_path, h.url, script, seconds)["rps"], hosts
                )
                twos.append(sum(both))
        ratios = sorted(t / o for t, o in zip(twos, ones, strict=True))
        say(
            f"| {name} | {', '.join(f'{x:.0f}' for x in ones)} | "
            f"{', '.join(f'{x:.0f}' for x in twos)} | median {ratios[len(ratios) // 2]:.2f} "
            f"({', '.join(f'{r:.2f}' for r in ratios)}) |"
        )


# --- the faults -------------------------------------------------------------------------


class SteadyLoad:
    """Submitters through nginx, each a paste every PACE seconds (nginx's own flood limit
    admits 10 requests a second per client), counting what they get back."""

    PACE = 0.5

    def __init__(self, front: str, submitters: int = 4):
        self.front, self.submitters = front, submitters
        self.answers = []  # (time, status, has Retry-After)
        self.acknowledged = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._submit, args=(n,)) for n in range(submitters)]

    def _submit(self, n):
        while not self.stopping.is_set():
            began = time.monotonic()
            try:
                status, headers, answer = call(
                    self.front,
                    "POST",
                    "/api/paste/submit",
                    {"contents": f"steady {n} {began}"},
                    timeout=10,
                )
                retry_after = headers.get("Retry-After") is not None
            except OSError:
                status, answer, retry_after = "no answer", None, False
            self.answers.append((began, status, retry_after))
            if status == 200:
                self.acknowledged.append(answer["paste_id_repr"])
            self.stopping.wait(max(0.0, self.PACE - (time.monotonic() - began)))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def counts(self) -> dict:
        ok = sum(1 for _, status, _ in self.answers if status == 200)
        named = sum(1 for _, status, retry in self.answers if status == 503 and retry)
        others = collections.Counter(
            status
            for _, status, retry in self.answers
            if status != 200 and not (status == 503 and retry)
        )
        return {
            "sent": len(self.answers),
            "2xx": ok,
            "503": named,
            "other": sum(others.values()),
            "others": dict(others),
        }

    def first_success_after(self, moment: float) -> float | None:
        after = [t for t, status, _ in self.answers if t >= moment and status == 200]
        return min(after) - moment if after else None


def faults(hosts, front, postgres, redis, key) -> list[str]:
    """A host killed, PostgreSQL stopped for 5 s, Redis stopped for 3 s, each under a
    steady load through nginx; returns the runs whose outcome was wrong."""
    failed = []

    def report(name, load, held, extra=""):
        say(f"  {'ok  ' if held else 'FAIL'} {name}: {load.counts()}{extra}")
        if not held:
            failed.append(name)

    with SteadyLoad(front) as load:
        time.sleep(3)
        hosts[0].kill()
        time.sleep(6)
    # Only requests in flight on the killed host may fail: at most one a submitter.
    report("host a killed (kill -9 of its master)", load, load.counts()["other"] <= 4)
    hosts[0].start()

    with SteadyLoad(front) as load:
        time.sleep(3)
        postgres.stop("immediate")
        time.sleep(5)
        back = time.monotonic()
        postgres.start()
        time.sleep(8)
    gap = load.first_success_after(back)
    missing = [
        pid
        for pid in load.acknowledged
        # Read straight from a host: nginx's flood limit would refuse this many at once.
        if call(hosts[1].url, "POST", "/api/paste/details", {"paste_id": pid})[0] != 200
    ]
    counts = load.counts()
    report(
        "PostgreSQL stopped for 5 s",
        load,
        counts["other"] == 0 and counts["503"] > 0 and gap is not None and gap <= 5 and not missing,
        f", service back {gap if gap is None else round(gap, 1)} s after PostgreSQL, "
        f"{len(load.acknowledged)} acknowledged pastes, {len(missing)} missing",
    )

    with SteadyLoad(front) as load:
        time.sleep(3)
        redis.stop()
        time.sleep(3)
        redis.start()
        time.sleep(4)
    counted = subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), "dbsize"], capture_output=True, text=True
    ).stdout.strip()
    counts = load.counts()
    report(
        "Redis stopped for 3 s (limits fail open)",
        load,
        counts["2xx"] == counts["sent"] and int(counted or 0) > 0,
        f", {counted} limit counters in Redis after its restart",
    )
    return failed


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="the cross-host checks")
    parser.add_argument("--measure", action="store_true", help="one host against two")
    parser.add_argument("--faults", action="store_true", help="a host, PostgreSQL, Redis down")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    options = parser.parse_args()
    if not (options.check or options.measure or options.faults):
        options.check = True
    if os.geteuid() != 0:
        sys.exit("make scale needs root: network namespaces and cgroups")
    nginx_path = find_nginx()
    for tool in ("ip", "redis-server", "redis-cli", "runuser"):
        if shutil.which(tool) is None or nginx_path is None or not PG_BIN.exists():
            sys.exit(f"make scale needs iproute2, redis-server, nginx and PostgreSQL 15 ({tool})")
    folder = Path(tempfile.mkdtemp(prefix="pastecms-hosts-"))
    os.chmod(folder, 0o755)  # the postgres user keeps its cluster in here
    failed = []
    receiver = Receiver()
    with contextlib.ExitStack() as stack:
        stack.enter_context(network())
        postgres = Postgres(folder)
        stack.callback(postgres.stop, "immediate", check=False)  # also after a failed start
        postgres.start()
        postgres.create_database()
        redis = Redis(folder)
        stack.callback(redis.stop)
        # The faults' steady load comes through nginx, from one address.
        limit = "100000 per minute" if options.faults else f"{SUBMIT_LIMIT} per hour"
        env = app_env("10.231.0.0/16", limit)
        key = upgrade_and_make_admin(env)
        quota = CPU_QUOTA if options.measure else None
        hosts = [Host(i, env, folder, quota) for i in range(len(HOSTS))]
        for host in hosts:
            stack.callback(host.stop)
            host.start()
        # The shipped site's one upstream server, as two.
        first, second = (f"{host_address(i)}:{APP_PORT}" for i in range(len(HOSTS)))
        upstream = f"{first} fail_timeout=0;\n    server {second}"
        front_port = stack.enter_context(nginx(nginx_path, upstream, folder / "nginx"))
        front = f"http://127.0.0.1:{front_port}"
        say(f"two hosts ({', '.join(h.url for h in hosts)}) behind nginx at {front}")
        if options.check:
            failed = check(hosts, front, key, receiver)
        if options.measure:
            measure(hosts, key, folder, options.runs, options.seconds)
        if options.faults:
            failed += faults(hosts, front, postgres, redis, key)
    shutil.rmtree(folder, ignore_errors=True)
    if failed:
        say(f"\n{len(failed)} check(s) failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
