"""The ceiling: a bare Flask route answering a JSON body as large as a paste's details.

Served by gunicorn exactly as pastecms is (same config, same worker count), it measures
what Flask, gunicorn, the sockets and the load generator cost on this machine in this
run; every pastecms figure is reported as a fraction of it.
"""

import os

from flask import Flask

app = Flask(__name__)
app.json.sort_keys = False

_SIZE = int(os.environ.get("BENCH_CEILING_BODY_SIZE", "1500"))
_PAYLOAD = {
    "success": True,
    "message": None,
    "paste_id_repr": "0123456789abcdefghijkl",
    "title": "Untitled",
    "language": "text",
    "contents": "",
    "post_time": 1_700_000_000,
    "expiry_time": None,
    "views": 1,
    "is_active": True,
    "is_password_protected": False,
    "poster_username": "Anonymous",
    "url": "http://127.0.0.1/paste/0123456789abcdefghijkl",
    "attachments": [],
}


def _body_size() -> int:
    with app.app_context():
        return len(app.json.response(_PAYLOAD).get_data())


# Pad the contents until the serialised body is exactly the details response's size.
_PAYLOAD["contents"] = "x" * max(0, _SIZE - _body_size())
assert _body_size() == _SIZE, "a details body is never smaller than this skeleton"


@app.post("/api/paste/details")
def details():
    return _PAYLOAD


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
