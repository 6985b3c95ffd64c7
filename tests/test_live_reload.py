"""A reload serves the code installed since the start, and fails no request meanwhile.

The upgrade path in README, Deploy step 8 ends with `systemctl reload pastecms`, which
sends gunicorn HUP. gunicorn runs here with the shipped deploy/gunicorn.conf.py on a copy
of the code; the test changes a value the copy serves, sends HUP, and sees the new value,
while a client keeps asking throughout and never meets a failure.
"""

import http.client
import json
import os
import shutil
import signal
import threading

import pytest

from tests.live import ROOT, gunicorn

pytestmark = pytest.mark.live

# A value served on every unknown API route, from pastecms/errors.py: a module the
# gunicorn master itself imports (to load the worker class), so a stale copy would show.
OLD = "There is nothing at this URL."
NEW = "There is nothing at this URL (new release)."


def copy_checkout(target):
    for name in ("pastecms", "migrations", "deploy"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("wsgi.py", "config.py"):
        shutil.copy2(ROOT / name, target / name)


class Asker(threading.Thread):
    """Asks an unknown API route, one request after another, until stopped; keeps every
    message answered and every failure met."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.saw_new = threading.Event()
        #: Set once 50 answers have come after the first new one.
        self.settled = threading.Event()
        self.after_new = 0
        self.messages: list[str] = []
        self.failures: list[str] = []

    def ask(self) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(
                "POST", "/api/paste/nothing", b"{}", {"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 404:
            raise AssertionError(f"HTTP {response.status}: {body[:200]!r}")
        answer = json.loads(body)
        if answer["failure_name"] != "not_found_failure":
            raise AssertionError(f"unexpected answer {answer}")
        return answer["message"]

    def run(self):
        while not self.stop.is_set():
            try:
                message = self.ask()
            except Exception as error:  # every kind of failure is what the test counts
                self.failures.append(repr(error))
                continue
            self.messages.append(message)
            if message == NEW:
                self.saw_new.set()
            if self.saw_new.is_set():
                self.after_new += 1
                if self.after_new >= 50:
                    self.settled.set()


def test_a_reload_serves_the_new_code_and_fails_no_request(live_env, tmp_path):
    checkout = tmp_path / "checkout"
    copy_checkout(checkout)
    pidfile = tmp_path / "gunicorn.pid"
    env = {**live_env(), "GUNICORN_CMD_ARGS": f"--pid {pidfile}"}
    log = tmp_path / "gunicorn.log"
    config = checkout / "deploy" / "gunicorn.conf.py"
    with gunicorn(env, log, config_file=config, workers=2, root=checkout) as url:
        asker = Asker(int(url.rsplit(":", 1)[1]))
        assert asker.ask() == OLD
        asker.start()
        try:
            errors = checkout / "pastecms" / "errors.py"
            errors.write_text(errors.read_text().replace(f'"{OLD}"', f'"{NEW}"'))
            os.kill(int(pidfile.read_text()), signal.SIGHUP)
            assert asker.saw_new.wait(timeout=60), log.read_text()[-3000:]
            # Keep asking while the old workers finish and leave.
            assert asker.settled.wait(timeout=60)
        finally:
            asker.stop.set()
            asker.join(timeout=60)
        assert asker.failures == []
        assert asker.messages[0] == OLD
        assert asker.messages[-10:] == [NEW] * 10
        assert all(asker.ask() == NEW for _ in range(10))
    assert "Traceback" not in log.read_text()
