"""gunicorn's sync and threaded workers, with their own refusals of oversized requests
answered in JSON, and a refused start that halts the server once.

gunicorn refuses a request line longer than `limit_request_line` (414) and more or larger
headers than `limit_request_fields` / `limit_request_field_size` allow (431) before the
app sees the request, with an HTML page of its own. A script on the API expects JSON, as
every other failure it can meet is; this worker answers those two in the paste face's
failure envelope (the path may be unread, so no face can be chosen by it), as nginx's own
refusals on /api are (deploy/nginx/pastecms.conf). Every other error is gunicorn's.
Selected by `worker_class` in pastecms/gunicorn_conf.py.
"""

import json
import os
import sys
import tempfile
import time

from gunicorn.arbiter import Arbiter
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker
from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker

_REFUSALS = {
    LimitRequestLine: (414, "URI Too Long", "The request line is longer than this server accepts."),
    LimitRequestHeaders: (
        431,
        "Request Header Fields Too Large",
        "The request has more or larger headers than this server accepts.",
    ),
}


def refusal(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP response refusing a request, in the paste face's failure envelope."""
    body = json.dumps(
        {
            "success": False,
            "message": message,
            "failure_name": "invalid_params_failure",
            "failure": "invalid_params_failure",
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _PastecmsWorker:
    """What both kinds of worker add to gunicorn's: mixed in before gunicorn's class."""

    def load_wsgi(self):
        # Each worker loads the app (deploy/gunicorn.conf.py: preload_app is off). When
        # the app refuses to start (wsgi.py exits with one line saying why), the master
        # must halt rather than start a new worker every moment: exit as a worker that
        # failed to boot, after logging the line.
        try:
            super().load_wsgi()
        except SystemExit as refused:
            self.refuse_to_start(refused.code if isinstance(refused.code, str) else None)

    def refuse_to_start(self, message: str | None) -> None:
        """End this worker because the app refuses to start, saying why once.

        The first worker to refuse exits as failed to boot, and the master halts. Should
        a second one exit so before the master is done, gunicorn halts a second time,
        with a traceback; so every other worker waits for the master to stop it.
        """
        if self._first_to_refuse():
            if message:
                self.log.critical("%s", message)
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
        while self.alive:  # until the master's SIGTERM
            time.sleep(0.05)
        sys.exit(0)

    def _first_to_refuse(self) -> bool:
        try:
            os.close(os.open(refusal_marker(self.ppid), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        except OSError:
            pass  # no marker to be had: refuse as every worker would
        return True

    def handle_error(self, req, client, addr, exc):
        for kind, (status, reason, message) in _REFUSALS.items():
            if isinstance(exc, kind):
                # As gunicorn logs it; the connection is closed after this returns.
                self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
                try:
                    client.sendall(refusal(status, reason, message))
                except OSError:
                    self.log.debug("Failed to send the refusal.")
                return
        super().handle_error(req, client, addr, exc)


class SyncWorker(_PastecmsWorker, GunicornSyncWorker):
    """One request at a time: the leanest, when several workers answer side by side."""


class ThreadWorker(_PastecmsWorker, GunicornThreadWorker):
    """Requests in threads (gunicorn's `threads`): a request that waits holds a thread,
    not the worker."""


def refusal_marker(master_pid: int) -> str:
    """The file the first worker of a master to refuse its start creates. The master
    removes it when it starts and when it exits (pastecms/gunicorn_conf.py)."""
    return os.path.join(tempfile.gettempdir(), f"pastecms-refused-{master_pid}")
