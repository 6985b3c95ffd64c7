"""Fixtures: a fresh app per test on a schema built once per run by the migrations.

The database comes from PASTECMS_TEST_DATABASE_URI (an SQLite file in a temporary folder
when unset), the rate-limit storage from PASTECMS_TEST_RATELIMIT_STORAGE_URI, so the same
suite runs on SQLite and on PostgreSQL + Redis.
"""

import contextlib
import os
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from limits.errors import StorageError
from limits.storage import RedisStorage
from sqlalchemy import create_engine, event, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from config import TestConfig
from pastecms import create_app, ratelimit
from pastecms.extensions import bind_migrations, db
from pastecms.models import Paste, utcnow
from pastecms.services import refresh_token, tokens
from pastecms.services import user as user_service
from tests.live import empty_database


def _test_database_uri(tmp_path_factory) -> str:
    uri = os.environ.get("PASTECMS_TEST_DATABASE_URI")
    if uri:
        return uri
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """The test database, emptied and migrated to head once per run."""
    uri = _test_database_uri(tmp_path_factory)
    empty_database(uri)
    app = create_app(TestConfig, {"DATABASE_URI": uri})
    bind_migrations(app)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return uri


@contextlib.contextmanager
def _app_maker(database_uri):
    """Build apps with config overrides; when the block ends, each is cleaned up (its
    sessions, limit counters and connections) and the tables are emptied."""
    built = []

    def make(**overrides):
        app = create_app(TestConfig, {"DATABASE_URI": database_uri, **overrides})
        built.append(app)
        return app

    yield make
    for built_app in built:
        with built_app.app_context():
            db.session.remove()
            # An app pointed at a limit storage that is down has nothing to reset, nor one
            # with limits off.
            if built_app.config["RATELIMIT_ENABLED"]:
                with contextlib.suppress(StorageError):
                    ratelimit.limiter(built_app).reset()
                _close_limit_storage(built_app)
    if built:
        with built[0].app_context():
            empty_tables()
    for built_app in built:
        with built_app.app_context():
            db.engine.dispose()


@pytest.fixture
def make_app(database_uri):
    """Build apps with config overrides; every one is cleaned up after the test."""
    with _app_maker(database_uri) as make:
        yield make


@pytest.fixture(scope="module")
def make_module_app(database_uri):
    """Build apps that every test of a module shares (data seeded once for all of them);
    cleaned up, and the tables emptied, when the module ends."""
    with _app_maker(database_uri) as make:
        yield make


def _close_limit_storage(app) -> None:
    """Close the Redis connections of an app's limiter. Left to the garbage collector,
    a socket could be finalized before the connection that would close it, and warn
    (an unclosed socket at the end of a PostgreSQL + Redis run)."""
    storage = ratelimit.limiter(app).storage
    if isinstance(storage, RedisStorage):
        storage.storage.close()


def empty_tables() -> None:
    """Delete every row of every table (within an app context)."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Api:
    """Posts JSON to the paste face the way scripts do."""

    def __init__(self, client):
        self.client = client

    def post(self, path, payload=None, **kwargs):
        return self.client.post(path, json=payload if payload is not None else {}, **kwargs)

    def submit(self, contents="hello, world", **fields):
        response = self.post("/api/paste/submit", {"contents": contents, **fields})
        assert response.status_code == 200, response.json
        return response.json

    def details(self, paste_id, **fields):
        return self.post("/api/paste/details", {"paste_id": paste_id, **fields})


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def make_user(app):
    """Create a user directly through the service; returns (username, api_key)."""

    def make(username="alice", password="correct horse", **fields):
        with app.app_context():
            user = user_service.create(username, password, **fields)
            db.session.commit()
            return user.username, user.api_key

    return make


@pytest.fixture
def admin_token(make_user):
    """The API key of an admin, who owns the site content (the Qexo face's `token`)."""
    return make_user("admin", is_admin=True)[1]


@pytest.fixture
def pub(client):
    """/pub as an anonymous visitor's widgets call it."""
    from tests.qexo import Pub

    return Pub(client)


@pytest.fixture
def admin_pub(client, admin_token):
    """/pub as the admin's scripts call it, with `token`."""
    from tests.qexo import Pub

    return Pub(client, admin_token)


@pytest.fixture
def make_paste(api):
    """Submit a paste through the API; returns its JSON (with deactivation_token)."""
    return api.submit


@pytest.fixture
def live_env(database_uri, make_app):
    """Settings for a gunicorn server on the test database; the tables are emptied after
    the test like any other (the `make_app` teardown)."""
    make_app()

    def env(**settings):
        from tests.live import server_env

        return server_env(database_uri, **settings)

    return env


@pytest.fixture
def db_rows(app):
    """Every row of every table: two snapshots that compare equal show a request changed
    nothing in the database."""

    def snapshot() -> dict:
        with app.app_context():
            return {
                table.name: sorted(
                    (tuple(row) for row in db.session.execute(table.select())), key=repr
                )
                for table in db.metadata.sorted_tables
            }

    return snapshot


class Cms:
    """Calls the CMS face (/v1) as its clients do: JSON bodies, a Bearer key."""

    def __init__(self, client, key):
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"}

    def open(self, method, path, payload=None, **kwargs):
        if payload is not None:
            kwargs["json"] = payload
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, payload=None, **kwargs):
        return self.open("POST", path, payload, **kwargs)

    def put(self, path, payload=None, **kwargs):
        return self.open("PUT", path, payload, **kwargs)

    def patch(self, path, payload=None, **kwargs):
        return self.open("PATCH", path, payload, **kwargs)

    def delete(self, path, **kwargs):
        return self.open("DELETE", path, **kwargs)

    def article(self, title="Hello", content="# Hello\n\nWorld.", **fields):
        response = self.post("/v1/articles", {"title": title, "content": content, **fields})
        assert response.status_code == 201, response.json
        return response.json


@pytest.fixture
def cms_admin(client, make_user):
    """The CMS face as the site's admin."""
    _, key = make_user("editor", is_admin=True)
    return Cms(client, key)


@pytest.fixture
def cms_reader(client, make_user):
    """The CMS face as a signed-up user who is no admin."""
    _, key = make_user("reader")
    return Cms(client, key)


@pytest.fixture
def pastes_are_writable(database_uri):
    """Whether another connection could write every paste's row right now, without
    waiting: on SQLite, whether no write transaction is open at all (it locks the whole
    database); on PostgreSQL, whether no transaction holds a paste's row. Called from
    inside a slow step (bcrypt, highlighting), it shows whether the request holds a lock
    through it."""
    engine = create_engine(database_uri, poolclass=NullPool)

    def probe() -> bool:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout = 0")
            else:
                connection.exec_driver_sql("SET lock_timeout = '10ms'")
            try:
                connection.execute(update(Paste).values(views=Paste.views))
            except OperationalError:
                return False
            finally:
                connection.rollback()
            return True

    yield probe
    engine.dispose()


class Clock:
    """A clock the token services read instead of the real one, moved by the test."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def token_clock(monkeypatch):
    """Tokens issued, verified, renewed and purged by a clock the test moves (no sleeps)."""
    found = Clock()
    monkeypatch.setattr(tokens, "utcnow", found)
    monkeypatch.setattr(refresh_token, "utcnow", found)
    return found


@contextlib.contextmanager
def statements(app):
    """Collect the SQL statements (with their parameters) `app` runs inside the block."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
