"""The reference: pastecms's four benchmarked requests done with stdlib sqlite3 alone.

Flask routes over the same SQLite file and schema, in WAL mode with the app's pragmas, but
no ORM, no schemas, no validation, no id cipher (plain integer ids). Served by gunicorn
like the app, it shows what SQLite itself allows on this machine, and so what the layers
above it cost. Not a second implementation: it skips every check the app must make.
"""

import hashlib
import os
import secrets
import sqlite3
from datetime import UTC, datetime

from flask import Flask, request

app = Flask(__name__)
app.json.sort_keys = False

_PATH = os.environ.get("BENCH_SQLITE_PATH", "")
_COLUMNS = (
    "p.id, p.title, p.language, p.contents, p.post_time, p.expiry_time, p.views, "
    "p.is_active, p.password_hash, u.username"
)
_connection = None


def _db() -> sqlite3.Connection:
    # One connection per worker, opened after the fork.
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(_PATH, isolation_level=None, check_same_thread=False)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=10000",
            "foreign_keys=ON",
        ):
            _connection.execute("PRAGMA " + pragma)
    return _connection


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(" ")


def _unix(value):
    if value is None:
        return None
    return int(datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp())


def _paste(row, listed=False) -> dict:
    paste_id, title, language, contents, post_time, expiry, views, active, pw, user = row
    return {
        "paste_id_repr": paste_id,
        "title": title,
        "language": language,
        "contents": None if listed and pw else contents,
        "post_time": _unix(post_time),
        "expiry_time": _unix(expiry),
        "views": views,
        "is_active": bool(active),
        "is_password_protected": pw is not None,
        "poster_username": user or "Anonymous",
        "url": f"{request.host_url}paste/{paste_id}",
        "attachments": [],
    }


@app.post("/api/paste/details")
def details():
    paste_id = request.get_json()["paste_id"]
    row = (
        _db()
        .execute(
            "UPDATE pastes SET views = views + 1 WHERE id = ? AND is_active = 1 "
            "AND (expiry_time IS NULL OR expiry_time > ?) "
            "RETURNING id, title, language, contents, post_time, expiry_time, views, "
            "is_active, password_hash, (SELECT username FROM users WHERE id = user_id)",
            (paste_id, _now()),
        )
        .fetchone()
    )
    if row is None:
        return {"success": False, "failure_name": "nonexistent_paste_failure"}, 404
    return {"success": True, "message": None, **_paste(row)}


@app.post("/api/paste/submit")
def submit():
    data = request.get_json()
    token = secrets.token_urlsafe(32)
    now = _now()
    row = (
        _db()
        .execute(
            "INSERT INTO pastes (title, language, contents, deactivation_token_hash, "
            "post_time, views, is_active, attachment_count) VALUES (?, ?, ?, ?, ?, 0, 1, 0) "
            "RETURNING id, title, language, contents, post_time, expiry_time, views, "
            "is_active, password_hash, NULL",
            (
                data.get("title") or "Untitled",
                data.get("language") or "text",
                data["contents"],
                hashlib.sha256(token.encode()).hexdigest(),
                now,
            ),
        )
        .fetchone()
    )
    return {"success": True, "message": None, **_paste(row), "deactivation_token": token}


def _page(order: str):
    data = request.get_json()
    per_page = min(int(data.get("num_per_page", 20)), 100)
    offset = int(data.get("page_num", 0)) * per_page
    rows = (
        _db()
        .execute(
            f"SELECT {_COLUMNS} FROM pastes p LEFT JOIN users u ON u.id = p.user_id "
            "WHERE p.is_active = 1 AND (p.expiry_time IS NULL OR p.expiry_time > ?) "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            (_now(), per_page, offset),
        )
        .fetchall()
    )
    return {"success": True, "message": None, "pastes": [_paste(r, listed=True) for r in rows]}


@app.post("/api/paste/recent")
def recent():
    return _page("p.post_time DESC, p.id DESC")


@app.post("/api/paste/top")
def top():
    return _page("p.views DESC, p.id DESC")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
