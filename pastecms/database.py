"""Per-connection database settings."""

from flask import Flask
from sqlalchemy import event

from pastecms.extensions import db


def _tune_sqlite(dbapi_connection, _record):
    # WAL lets readers and one writer work at once across gunicorn workers; NORMAL
    # syncs at checkpoints rather than on every commit, safe in WAL; the busy timeout
    # makes a second writer wait for the lock instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _tune_sqlite)
