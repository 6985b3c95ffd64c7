"""`make bench-instructions`: instructions per request, counted by valgrind's callgrind.

    python bench/instructions.py                   # every route, two runs
    python bench/instructions.py --runs 1 --only details,recent
    python bench/instructions.py --requests 50 --warmup 10
    PASTECMS_BENCH_DATABASE_URI=postgresql+psycopg://... python bench/instructions.py
                                                   # on PostgreSQL (the app's side only)

Wall-clock figures (`make bench`) move with whatever else the machine is doing; a count
of instructions does not, so a change that saves 3 % shows as 3 %. What is counted:

- The app as a gunicorn worker builds it (`wsgi:app`: ProdConfig with a secret key,
  limits on with `memory://` storage, SQLite in a temporary folder), seeded as `make
  bench` seeds it (1,000 pastes and articles of 1 KiB, 50 talks, 20 friend links), plus
  200 pastes of 1 KiB of Python for the web pages; seeded in a plain process first. The
  seed waits for their HTML, made in the background (`highlight.ahead`), then deletes
  that of the second hundred: `page first` views pastes as their readers almost always
  find them, `page cold` as a reader ahead of the background thread does (highlighting
  on the request, as every first view did before).
  `--paste-bytes` sets the size of those 1,000 pastes and, when not 1 KiB, seeds them
  after the Python ones, so that recent and top list them (a list over large pastes).
- Called in-process as a WSGI server calls it: a plain environ dict and a
  `start_response`, the body iterated and closed. Not Flask's test client, whose own
  work (about half a million instructions a request) would hide the differences.
- Against a bare Flask route (bench/ceiling.py) answering a JSON body as large as a
  paste's details, driven the same way: the ratio is what pastecms costs over Flask.
- Beside plain code (bench/plain.py): details and recent written as the plainest code on
  the design card's packages would write them (Flask-SQLAlchemy running one statement
  and committing, a Flask-Limiter whose hooks run on every request, the rows as JSON,
  nothing else). What details costs above `plain details` is pastecms's own work (input
  and output schemas, the envelope, the id cipher, limits, headers); what recent costs
  below `plain recent` is what the read model saves.

How: one process runs under `valgrind --tool=callgrind --dump-before=getppid
--separate-threads=yes`, with PYTHONHASHSEED fixed (hash randomisation moves counts by
several per cent). For each route it sends the warm-up requests, calls `os.getppid()`
(libc's `getppid`: nothing else in the process calls it) so that callgrind writes out and
zeroes its counters, sends N requests, and calls it again. The second dump holds
exactly the instructions of warm-up + N requests minus those of the warm-up alone; that
divided by N is the figure. Only the main thread, which runs the requests, is counted: the
limiter's memory storage expires its counters from a timer thread whose work follows the
wall clock, not the requests.

The settings the bench changes from production: rate limits and the anonymous storage
quota raised so that they never refuse (they are still counted, which costs the same),
an access token that does not expire mid-run, and HIGHLIGHT_TIME_LIMIT raised to a
minute, since under valgrind Pygments runs some fifty times slower than its CPU budget
assumes (a first view would otherwise be shown as plain text).
"""

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))  # wsgi.py and bench/ceiling.py, as gunicorn finds them
HASH_SEED = "0"
NEVER_REFUSED = "100000000 per minute"
NEVER_EXHAUSTED = f"{1 << 40} per hour"  # bytes stored: 1,000 pastes of 64 KiB pass too
BLOG_HOST = "blog.example"
PASTES = 1000
ARTICLES = 1000
TALKS = 50
FRIENDS = 20
PYTHON_PASTES = 200
#: The python pastes from this one on have no HTML made ahead (`page cold`).
COLD = PYTHON_PASTES // 2
ROUTES = (
    "bare",
    "plain details",
    "plain recent",
    "details",
    "submit",
    "recent",
    "top",
    "articles",
    "article",
    "content",
    "talks",
    "friends",
    "statistic",
    "page again",
    "page first",
    "page cold",
)
JSON = "application/json"
WIDGET = "text/plain"  # what Qexo's widgets send with their GETs


#: A PostgreSQL database to measure on instead of SQLite (emptied first, seeded once:
#: each run then starts where the last left off, a few more pastes and views).
POSTGRESQL = os.environ.get("PASTECMS_BENCH_DATABASE_URI", "")
if not POSTGRESQL.startswith("postgresql"):
    POSTGRESQL = ""


def app_env(database: str, secret: str) -> dict:
    """The environment of the app under measurement (and of its seeding)."""
    return {
        "PASTECMS_CONFIG": "ProdConfig",
        "PASTECMS_SECRET_KEY": secret,
        "PASTECMS_DATABASE_URI": POSTGRESQL or "sqlite:///" + database,
        "PASTECMS_RATELIMIT_SUBMIT": NEVER_REFUSED,
        "PASTECMS_RATELIMIT_CMS_READ": NEVER_REFUSED,
        "PASTECMS_RATELIMIT_CMS_WRITE": NEVER_REFUSED,
        "PASTECMS_RATELIMIT_STATISTIC": NEVER_REFUSED,
        "PASTECMS_RATELIMIT_ACCOUNT": NEVER_REFUSED,
        "PASTECMS_QUOTA_ANONYMOUS": NEVER_EXHAUSTED,
        "PASTECMS_RATELIMIT_REQUIRE_SHARED_STORAGE": "false",
        "PASTECMS_STATISTIC_DOMAINS": json.dumps([BLOG_HOST]),
        "PASTECMS_JWT_ACCESS_EXPIRES": "86400",
        "PASTECMS_HIGHLIGHT_TIME_LIMIT": "60",
    }


# --- the WSGI driver -------------------------------------------------------------------


class Driver:
    """Calls a WSGI app as a server does, one request at a time."""

    def __init__(self, app):
        self.app = app
        self.status = None

    def _start_response(self, status, headers, exc_info=None):
        self.status = status
        return self._write

    def _write(self, data):  # the legacy write() callable; nothing uses it
        raise AssertionError("write() called")

    def __call__(self, method, path, content_type=None, body=b"", headers=()):
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "40000",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": "bench",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if content_type:
            environ["CONTENT_TYPE"] = content_type
        if body:
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in headers:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        result = self.app(environ, self._start_response)
        try:
            data = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return self.status, data

    def json(self, method, path, payload, headers=()):
        body = json.dumps(payload).encode()
        status, data = self(method, path, JSON, body, headers)
        if not status.startswith(("200", "201")):
            raise SystemExit(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)


# --- seeding (a plain process, before any measurement) ---------------------------------


def contents_of(n: int, size: int = 1024) -> str:
    line = f"paste {n}: the quick brown fox jumps over the lazy dog {n * 7919 % 10007}\n"
    return (line * (size // len(line) + 1))[:size]


def python_of(n: int, size: int = 1024) -> str:
    """1 KiB of Python, different for each n: what a first view highlights."""
    block = (
        f"def fibonacci_{n}(count: int) -> list[int]:\n"
        f'    """The first `count` numbers, {n}."""\n'
        "    found = [0, 1]\n"
        "    while len(found) < count:\n"
        "        found.append(found[-1] + found[-2])  # the next one\n"
        f"    return found[:count] if count > {n % 7} else []\n\n\n"
    )
    return (block * (size // len(block) + 1))[:size]


def ids_of(app, public_id: str) -> int:
    from pastecms.services.ids import paste_ids

    return paste_ids().decode(public_id)


def seed(directory: Path, paste_bytes: int = 1024) -> None:
    """Fill the database of `directory` and write what the measurement sends to
    plan.json."""
    from flask_migrate import upgrade

    import wsgi
    from pastecms.extensions import bind_migrations, db
    from pastecms.services.identity import user as user_service

    app = wsgi.app
    print(f"the app of {Path(sys.modules['pastecms'].__file__).parent}")
    bind_migrations(app)
    send = Driver(app)
    password = "bench-password-not-secret"
    with app.app_context():
        upgrade()
        key = user_service.create("bench-admin", password, is_admin=True).api_key
        db.session.commit()
    bearer = [("Authorization", f"Bearer {key}")]

    ids = []
    python_ids = []

    def seed_pastes():
        for n in range(PASTES):
            payload = {"contents": contents_of(n, paste_bytes)}
            ids.append(send.json("POST", "/api/paste/submit", payload)["paste_id_repr"])

    def seed_python():
        for n in range(PYTHON_PASTES):
            payload = {"contents": python_of(n), "language": "python", "title": f"p{n}.py"}
            python_ids.append(send.json("POST", "/api/paste/submit", payload)["paste_id_repr"])

    # Pastes of another size are the newest, so that recent and top list them.
    for step in (seed_pastes, seed_python) if paste_bytes == 1024 else (seed_python, seed_pastes):
        step()

    categories = [
        send.json("POST", "/v1/categories", {"name": name, "slug": name.lower()}, bearer)["id"]
        for name in ("Tech", "Life", "Notes", "Talks")
    ]
    hashes = []
    for n in range(ARTICLES):
        article = {
            "title": f"Article {n}",
            "description": f"About article {n}",
            "content": contents_of(n),
            "status": "draft" if n % 5 == 0 else "published",
            "tags": [f"tag-{(n * k) % 20}" for k in (1, 7, 13)],
            "categoryId": categories[n % len(categories)] if n % 9 else None,
        }
        found = send.json("POST", "/v1/articles", article, bearer)
        if n % 5:
            hashes.append(found["hash"])

    form = "application/x-www-form-urlencoded"
    from urllib.parse import urlencode

    for n in range(TALKS):
        fields = {"token": key, "content": f"<p>talk {n}</p>", "tags": '["bench"]'}
        body = urlencode({**fields, "time": 1_700_000_000 + n}).encode()
        status, data = send("POST", "/pub/save_talk/", form, body)
        assert b'"status":true' in data, data[:300]
    for n in range(FRIENDS):
        fields = {"token": key, "name": f"Friend {n}", "url": f"https://f{n}.example/"}
        body = urlencode({**fields, "status": "true"}).encode()
        status, data = send("POST", "/pub/add_friend/", form, body)
        assert b'"status":true' in data, data[:300]

    from sqlalchemy import delete

    from pastecms.models import Highlight
    from pastecms.services.pastes import highlight

    assert highlight.wait_ahead(timeout=600), "the python pastes' HTML was not made"
    with app.app_context():
        cold = [ids_of(app, public) for public in python_ids[COLD:]]
        db.session.execute(delete(Highlight).where(Highlight.paste_id.in_(cold)))
        db.session.commit()

    tokens = send.json("POST", "/api/auth/auth", {"username": "bench-admin", "password": password})
    access = tokens["data"]["access_token"]
    body = json.dumps({"paste_id": ids[0]}).encode()
    status, details = send("POST", "/api/paste/details", JSON, body)
    with app.app_context():
        db.engine.dispose()
    plan = {
        "key": key,
        "access": access,
        "ids": ids,
        "python_ids": python_ids,
        "hashes": hashes,
        "details_size": len(details),
    }
    (directory / "plan.json").write_text(json.dumps(plan))


# --- the measured process (under callgrind) --------------------------------------------


def requests_for(name: str, plan: dict, count: int) -> list:
    """`count` requests of route `name`: (method, path, content type, body, headers)."""
    bearer = (("Authorization", f"Bearer {plan['key']}"),)
    jwt = (("Authorization", f"Bearer {plan['access']}"),)

    def rotate(items):
        return [items[n % len(items)] for n in range(count)]

    def post(path, payload):
        return ("POST", path, JSON, json.dumps(payload).encode(), ())

    page = {"page_num": 0, "num_per_page": 20}
    if name == "plain details":
        # Row ids, which the plain route takes as they are: the first 1,000 are pastes.
        return [post("/api/paste/details", {"paste_id": i}) for i in rotate(range(1, 1001, 7))]
    if name == "plain recent":
        return [post("/api/paste/recent", {})] * count
    if name in ("bare", "details"):
        ids = plan["ids"][::7] if name == "details" else plan["ids"][:1]
        return [post("/api/paste/details", {"paste_id": i}) for i in rotate(ids)]
    if name == "submit":
        return [
            post("/api/paste/submit", {"contents": contents_of(100_000 + n), "title": f"b{n}"})
            for n in range(count)
        ]
    if name in ("recent", "top"):
        return [post(f"/api/paste/{name}", page)] * count
    if name == "articles":
        return [("GET", "/v1/articles?perPage=10", None, b"", bearer)] * count
    if name == "article":
        # Ten articles, each read by the warm-up: answered from the answer cache, as in
        # `make bench` once the cache has them.
        hashes = plan["hashes"][:10]
        return [("GET", f"/v1/articles/{h}", None, b"", bearer) for h in rotate(hashes)]
    if name == "content":
        hashes = plan["hashes"][::-1]
        return [("GET", f"/api/content/get/{h}", None, b"", jwt) for h in rotate(hashes)]
    if name == "talks":
        return [("GET", "/pub/talks/?page=1&limit=5", WIDGET, b"", ())] * count
    if name == "friends":
        return [("GET", "/pub/friends/", WIDGET, b"", ())] * count
    if name == "statistic":
        # Visits to ten pages the warm-up has counted once: a page's row exists, as
        # for every visit but a page's first.
        pages = [f"https://{BLOG_HOST}/posts/{n}/" for n in range(10)]
        return [
            ("GET", "/pub/statistic/", WIDGET, b"", (("Referer", page),)) for page in rotate(pages)
        ]
    if name == "page again":
        return [("GET", f"/paste/{plan['python_ids'][-1]}", None, b"", ())] * count
    if name in ("page first", "page cold"):
        # Each a paste nobody has viewed: the warm-up and the measured requests take
        # different ones (`measure` hands them out in order). First: its HTML made ahead.
        ids = plan["python_ids"][:COLD] if name == "page first" else plan["python_ids"][COLD:]
        return [("GET", f"/paste/{i}", None, b"", ()) for i in ids[:count]]
    raise ValueError(name)


def measure(directory: Path, names: list, warmup: int, count: int) -> None:
    """Run under callgrind: per route, warm-up, dump, N requests, dump."""
    plan = json.loads((directory / "plan.json").read_text())
    # Callgrind writes out and zeroes its counters on entering libc's getppid, which
    # nothing else here calls. (Called through ctypes, a function is never seen entered:
    # libffi jumps into it.)
    dump = os.getppid
    import wsgi
    from bench import ceiling, plain

    apps = {"app": Driver(wsgi.app), "bare": Driver(ceiling.app), "plain": Driver(plain.app)}
    failures = []
    for name in names:
        send = apps[name.split()[0] if name.startswith(("bare", "plain")) else "app"]
        requests = requests_for(name, plan, warmup + count)
        for request in requests[:warmup]:
            send(*request)
        dump()
        for request in requests[warmup:]:
            status, data = send(*request)
            if not status.startswith("200") or b'"status":false' in data:
                failures.append(f"{name}: {status} {data[:200]!r}")
        dump()
    (directory / "failures.json").write_text(json.dumps(failures))


# --- the orchestration -----------------------------------------------------------------


def _main_thread_totals(out: Path) -> list[int]:
    """Instructions of each dump of the main thread, in order (callgrind names each dump
    `<file>.<n>-<thread>`; thread 01 is the main one)."""
    totals = []
    for path in sorted(out.parent.glob(out.name + ".*-01"), key=_dump_number):
        text = path.read_text()
        found = re.search(r"^(?:totals|summary): (\d+)", text, re.MULTILINE)
        totals.append(int(found.group(1)) if found else 0)
    return totals


def _dump_number(path: Path) -> int:
    return int(path.name.rsplit(".", 1)[1].split("-")[0])


def counted_run(directory: Path, env: dict, names: list, warmup: int, count: int) -> dict:
    """One process under callgrind: instructions per request of each route."""
    run = directory / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir()
    if not POSTGRESQL:
        shutil.copy(directory / "seeded.db", run / "pastecms.db")
    out = run / "callgrind.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        "--dump-before=getppid",
        "--separate-threads=yes",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        str(directory),
        "--warmup",
        str(warmup),
        "--requests",
        str(count),
        "--only",
        ",".join(names),
    ]
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit(f"the measured process failed:\n{finished.stderr[-3000:]}")
    failures = json.loads((directory / "failures.json").read_text())
    if failures:
        sys.exit("requests failed under measurement:\n" + "\n".join(failures[:10]))
    totals = _main_thread_totals(out)
    # Dumps: warm-up 1 (and the start), route 1, warm-up 2, route 2, ..., the rest.
    measured = totals[1 : 2 * len(names) : 2]
    if len(totals) != 2 * len(names):
        found = sorted(path.name for path in run.iterdir())
        sys.exit(f"expected {2 * len(names)} dumps, found {len(totals)}: {found}")
    return {name: total / count for name, total in zip(names, measured, strict=True)}


def report(runs: list[dict], names: list) -> None:
    heads = [f"run {n + 1}" for n in range(len(runs))]
    print(f"{'route':<12}" + "".join(f"{h:>13}{'x bare':>8}" for h in heads) + "  spread")
    for name in names:
        cells = ""
        values = []
        for run in runs:
            value = run[name]
            values.append(value)
            ratio = value / run["bare"] if "bare" in run else float("nan")
            cells += f"{value / 1e6:>11.3f} M{ratio:>8.2f}"
        spread = (max(values) - min(values)) / min(values) * 100 if values else 0
        print(f"{name:<12}{cells}  {spread:.2f} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="measured processes (default 2)")
    parser.add_argument("--requests", type=int, default=40, help="N per route (default 40)")
    parser.add_argument("--warmup", type=int, default=10, help="per route (default 10)")
    parser.add_argument("--only", help="comma-separated routes: " + ", ".join(ROUTES))
    parser.add_argument(
        "--paste-bytes", type=int, default=1024, help="size of the 1,000 pastes (default 1024)"
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--seed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = [n for n in ROUTES if n in args.only.split(",")] if args.only else list(ROUTES)
    if args.measure:
        measure(Path(args.measure), names, args.warmup, args.requests)
        return 0
    if args.seed:
        seed(Path(args.seed), args.paste_bytes)
        return 0
    if "bare" not in names:
        names.insert(0, "bare")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: sudo apt-get install valgrind")
    if args.warmup + args.requests > COLD:
        sys.exit(f"at most {COLD} requests a route (warm-up included): as many pastes a page")
    with tempfile.TemporaryDirectory(prefix="pastecms-instructions-") as name:
        directory = Path(name)
        secret = "bench-instructions-secret-key-not-for-production-use"
        base = {k: v for k, v in os.environ.items() if not k.startswith("PASTECMS_")}
        env = {**base, **app_env(str(directory / "seeded.db"), secret), "PYTHONHASHSEED": "0"}
        print(
            f"seeding {PASTES} pastes of {args.paste_bytes} bytes, {ARTICLES} articles, "
            f"{TALKS} talks, {FRIENDS} friends"
        )
        if POSTGRESQL:
            from tests.live import empty_database

            empty_database(POSTGRESQL)  # it belongs to the benchmark
        seeding = [sys.executable, str(Path(__file__).resolve()), "--seed", str(directory)]
        subprocess.run(
            [*seeding, "--paste-bytes", str(args.paste_bytes)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        if POSTGRESQL:
            from bench.run import refresh_statistics

            refresh_statistics(POSTGRESQL)
        plan = json.loads((directory / "plan.json").read_text())
        env = {
            **env,
            **app_env(str(directory / "run" / "pastecms.db"), secret),
            "PYTHONHASHSEED": HASH_SEED,
            "BENCH_CEILING_BODY_SIZE": str(plan["details_size"]),
        }
        print(
            f"counting {args.requests} requests a route after {args.warmup} of warm-up, "
            f"{args.runs} runs under callgrind (minutes each)"
        )
        runs = []
        for n in range(args.runs):
            runs.append(counted_run(directory, env, names, args.warmup, args.requests))
            print(f"run {n + 1} done", flush=True)
    print("instructions per request (main thread), and the ratio to the bare Flask route")
    report(runs, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
