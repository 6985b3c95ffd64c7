"""The database unreachable: every face answers a named 503 with Retry-After within
seconds, never a 500 or a hang; a connection found dead is dropped, and a read that
met it runs again on a new one."""

import logging
import os
import time

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.pool import NullPool

from config import TestConfig
from pastecms import create_app
from pastecms.extensions import db

# Nothing listens on port 1; 192.0.2.1 (TEST-NET-1) is routed nowhere, so a connection
# to it is never refused, only unanswered: the dead host a timeout must bound.
CLOSED_PORT = "postgresql+psycopg://postgres@127.0.0.1:1/pastecms"
DEAD_HOST = "postgresql+psycopg://postgres@192.0.2.1:5432/pastecms"

# One request per face, each of which needs the database.
FACES = [
    ("post", "/api/paste/details", {"json": {"paste_id": "1"}}),
    ("post", "/api/paste/submit", {"json": {"contents": "hello"}}),
    ("get", "/paste/1", {}),
    ("get", "/archive", {}),
    ("get", "/pub/talks/", {"query_string": {"page": 1, "limit": 5}}),
    ("get", "/v1/articles", {"headers": {"Authorization": "Bearer pcms_not_a_real_key"}}),
    ("get", "/api/content/list/article", {"headers": {"Authorization": "Bearer not_a_key"}}),
    ("post", "/api/auth/auth", {"json": {"username": "someone", "password": "secret"}}),
]


@pytest.fixture(scope="module")
def unreachable_app():
    app = create_app(TestConfig, {"DATABASE_URI": CLOSED_PORT, "ENCRYPT_PASTE_IDS": False})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(("method", "path", "options"), FACES)
def test_every_face_answers_a_named_503_without_the_database(
    unreachable_app, caplog, method, path, options
):
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        response = getattr(unreachable_app.test_client(), method)(path, **options)
    assert time.monotonic() - started < 5
    # The Qexo face answers every failure with HTTP 200, as its widgets need; its body
    # names the failure like every other face's.
    expected = 200 if path.startswith("/pub/") else 503
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    if response.is_json:
        assert response.json["failure_name"] == "service_unavailable_failure"
    else:
        assert "service_unavailable_failure" in response.get_data(as_text=True)
    assert "database unavailable" in caplog.text
    assert "Traceback" not in caplog.text


def test_a_dead_host_fails_within_the_connect_timeout():
    app = create_app(TestConfig, {"DATABASE_URI": DEAD_HOST, "DATABASE_CONNECT_TIMEOUT": 2})
    try:
        started = time.monotonic()
        response = app.test_client().post("/api/paste/recent", json={})
        took = time.monotonic() - started
    finally:
        with app.app_context():
            db.engine.dispose()
    assert response.status_code == 503
    assert response.json["failure_name"] == "service_unavailable_failure"
    assert took < 4.5


def test_a_missing_table_is_a_bug_not_an_outage(make_app, caplog):
    """Only an outage is a 503: a statement the database refuses stays a logged 500."""
    app = make_app()
    with app.app_context():
        engine = db.engine

    def broken(conn, cursor, statement, parameters, context, executemany):
        if "FROM pastes" in statement:
            return statement.replace("FROM pastes", "FROM no_such_table_here"), parameters
        return statement, parameters

    event.listen(engine, "before_cursor_execute", broken, retval=True)
    try:
        with caplog.at_level(logging.ERROR):
            response = app.test_client().post("/api/paste/recent", json={})
    finally:
        event.remove(engine, "before_cursor_execute", broken)
    assert response.status_code == 500
    assert response.json["failure_name"] == "undefined_failure"


needs_postgresql = pytest.mark.skipif(
    not os.environ.get("PASTECMS_TEST_DATABASE_URI", "").startswith("postgresql"),
    reason="a PostgreSQL server that can end a connection",
)


def _drop_pooled_connections(app) -> None:
    """End, from the server's side, every connection the app's pool holds: as a
    PostgreSQL restart does, without restarting anything."""
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = create_engine(engine.url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    admin.dispose()


@needs_postgresql
def test_a_read_that_meets_a_dropped_connection_is_answered_from_a_new_one(make_app):
    app = make_app(DATABASE_POOL_SIZE=1)  # one pooled connection: the one ended
    client = app.test_client()
    paste = client.post("/api/paste/submit", json={"contents": "kept"}).json
    raw = f"/paste/{paste['paste_id_repr']}/raw"
    assert client.get(raw).status_code == 200
    _drop_pooled_connections(app)
    again = client.get(raw)
    assert again.status_code == 200
    assert again.get_data(as_text=True) == "kept"


@needs_postgresql
def test_a_write_that_meets_a_dropped_connection_is_a_named_503_then_served(make_app, caplog):
    app = make_app(DATABASE_POOL_SIZE=1)
    client = app.test_client()
    assert client.post("/api/paste/submit", json={"contents": "first"}).status_code == 200
    _drop_pooled_connections(app)
    with caplog.at_level(logging.WARNING):
        refused = client.post("/api/paste/submit", json={"contents": "second"})
    assert refused.status_code == 503
    assert refused.json["failure_name"] == "service_unavailable_failure"
    assert refused.headers["Retry-After"]
    assert "database unavailable" in caplog.text
    # The pool dropped the dead connection: the next request opens a new one.
    assert client.post("/api/paste/submit", json={"contents": "third"}).status_code == 200
