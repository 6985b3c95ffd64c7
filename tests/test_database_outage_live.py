"""PostgreSQL stopped under a real gunicorn and started again (issue 31): during the
outage a read and a submit are a named 503 with Retry-After, in seconds, never a 500 or
a hang; within 5 s of the database being back both are served, and a paste acknowledged
before the outage is still there.

The PostgreSQL server is a private one, made for this test with initdb in a temporary
folder on a free port, and the only one stopped: never the shared server the suite and
other people use."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.live import ROOT, free_port, gunicorn, server_env

pytestmark = [pytest.mark.live, pytest.mark.database]

PG_BIN = Path(os.environ.get("PASTECMS_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
# How soon after PostgreSQL is back both a read and a submit must be served again.
RESUMES_WITHIN_S = 5
# The longest an answer may take while PostgreSQL is down: the connect timeout and a bit.
ANSWERS_WITHIN_S = 4


class PrivateCluster:
    """A PostgreSQL cluster of this test's own, trust auth on 127.0.0.1:`port`. Run as
    the postgres user when this process is root (initdb refuses root)."""

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="pastecms-pg-"))
        self.data = self.folder / "data"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(PG_BIN / tool), *args],
            check=True,
            capture_output=True,
            cwd=self.folder,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", log, "-o", options)

    def stop(self) -> None:
        # "fast": every session is ended by an administrator command (57P01), as a
        # restart or a failover ends them.
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def uri(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
    made = PrivateCluster()
    made.start()
    yield made
    made.remove()


def post(base_url: str, path: str, body: dict) -> tuple[int, dict, dict, float]:
    """(status, JSON body, headers, seconds taken) of a POST of `body` as JSON."""
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = response.status, json.load(response), dict(response.headers)
    except urllib.error.HTTPError as error:
        answer = error.code, json.load(error), dict(error.headers)
    return (*answer, time.monotonic() - started)


def test_an_outage_is_a_named_503_and_service_resumes_at_once(cluster, tmp_path):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    admin = create_engine(cluster.uri("postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql("CREATE DATABASE pastecms")
    admin.dispose()
    env = server_env(cluster.uri("pastecms"), DATABASE_CONNECT_TIMEOUT=2)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as base_url:
        status, kept, _, _ = post(base_url, "/api/paste/submit", {"contents": "acknowledged"})
        assert status == 200
        details = {"paste_id": kept["paste_id_repr"]}
        for _ in range(4):  # both workers have pooled connections
            assert post(base_url, "/api/paste/details", details)[0] == 200

        cluster.stop()
        for _ in range(3):  # each worker, and each more than once
            for path, body in (
                ("/api/paste/details", details),
                ("/api/paste/submit", {"contents": "during the outage"}),
            ):
                status, answer, headers, took = post(base_url, path, body)
                assert status == 503, (path, status, answer)
                assert answer["failure_name"] == "service_unavailable_failure"
                assert int(headers["Retry-After"]) > 0
                assert took < ANSWERS_WITHIN_S, (path, took)

        cluster.start()
        back = time.monotonic()
        served = set()
        while time.monotonic() - back < RESUMES_WITHIN_S and len(served) < 2:
            served = {
                path
                for path, body in (
                    ("/api/paste/details", details),
                    ("/api/paste/submit", {"contents": "after the outage"}),
                )
                if post(base_url, path, body)[0] == 200
            }
        took = time.monotonic() - back
        assert len(served) == 2, f"not served again within {RESUMES_WITHIN_S} s"
        # Served at once, by every worker, from then on.
        for _ in range(4):
            status, answer, _, _ = post(base_url, "/api/paste/details", details)
            assert status == 200
            assert answer["contents"] == "acknowledged"
        print(f"served again {took:.2f} s after PostgreSQL was back")
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log
