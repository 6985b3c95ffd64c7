"""gunicorn's sync and threaded workers, with their own refusals of oversized requests
answered in JSON.

gunicorn refuses a request line longer than `limit_request_line` (414) and more or larger
headers than `limit_request_fields` / `limit_request_field_size` allow (431) before the
app sees the request, with an HTML page of its own. A script on the API expects JSON, as
every other failure it can meet is; this worker answers those two in the paste face's
failure envelope (the path may be unread, so no face can be chosen by it), as nginx's own
refusals on /api are (deploy/nginx/pastecms.conf). Every other error is gunicorn's.
Selected by `worker_class` in pastecms/gunicorn_conf.py.
"""

import json

from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker
from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker

from pastecms.errors import InvalidParamsFailure
from pastecms.views.envelopes import ModernPaste

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
    body = json.dumps(ModernPaste.failure_body(InvalidParamsFailure(message))).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _PastecmsWorker:
    """What both kinds of worker add to gunicorn's: mixed in before gunicorn's class."""

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
