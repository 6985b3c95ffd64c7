"""Wall time of a list page (`/api/paste/recent`, `/api/paste/top`) by the size of the
pastes listed, on SQLite (issue 30: where `pastes.contents` is stored).

    python bench/list_pages.py                         # 1,000 pastes of 64 KiB, then 1 KiB
    python bench/list_pages.py --sizes 65536 --requests 1000

A paste larger than SQLite's page keeps the rest of its row on overflow pages, a chain
that SQLite follows page by page to reach any column stored after the large value. A list
page reads the columns after `contents` of each paste it shows, even when it leaves the
contents themselves out (a paste over its share of MAX_PAGE_BYTES). This measures what
that costs where it shows: wall time per list request, in-process as a WSGI server calls
the app (bench/instructions.py's driver; its instruction counts take `--paste-bytes`).

Two cases per size: "reads only", list after list, where the app's connection keeps
the pages it read in its page cache; and "after a write", a view counted by another
connection (another worker, in production) before each timed list: the app's
connection then finds the database changed and starts its next read with an empty page
cache (SQLite drops it), so the pages come from the operating system's file cache again.
"""

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.instructions import Driver, app_env, contents_of  # noqa: E402

PASTES = 1000
PAGE = {"page_num": 0, "num_per_page": 20}


def run(database: Path, size: int, count: int, warmup: int) -> dict:
    """Seed `database` with PASTES pastes of `size` bytes and time the list routes."""
    from flask_migrate import upgrade

    import wsgi
    from pastecms.extensions import bind_migrations

    app = wsgi.app
    bind_migrations(app)
    with app.app_context():
        upgrade()
    send = Driver(app)
    for n in range(PASTES):
        send.json("POST", "/api/paste/submit", {"contents": contents_of(n, size)})
    other = sqlite3.connect(database, isolation_level=None)
    results = {}
    for name in ("recent", "top"):
        for case in ("reads only", "after a write"):
            times = []
            for n in range(warmup + count):
                if case == "after a write":
                    paste_id = n % PASTES + 1
                    other.execute("UPDATE pastes SET views = views + 1 WHERE id = ?", (paste_id,))
                started = time.perf_counter_ns()
                send.json("POST", f"/api/paste/{name}", PAGE)
                elapsed = time.perf_counter_ns() - started
                if n >= warmup:
                    times.append(elapsed / 1000)
            times.sort()
            results[(name, case)] = (
                statistics.median(times),
                times[int(len(times) * 0.99) - 1],
            )
    other.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="65536,1024", help="paste sizes in bytes")
    parser.add_argument("--requests", type=int, default=500, help="timed per case")
    parser.add_argument("--warmup", type=int, default=50, help="per case")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory(prefix="pastecms-list-pages-") as name:
            database = Path(name) / "pastecms.db"
            os.environ.update(app_env(str(database), "bench-list-pages-secret-not-for-production"))
            for (route, case), (median, p99) in run(
                database, args.one, args.requests, args.warmup
            ).items():
                print(f"{args.one:>9} {route:<7}{case:<15}{median:>10.0f}{p99:>10.0f}")
        return 0
    print(f"{PASTES} pastes a size; wall time of a list of 20, in µs")
    print(f"{'bytes':>9} {'route':<7}{'case':<15}{'median':>10}{'p99':>10}", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        # A process per size: a fresh app, its database in a folder of its own.
        subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--requests", str(args.requests)]
            + ["--warmup", str(args.warmup)],
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("PASTECMS_")},
            check=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
