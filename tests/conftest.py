"""Fixtures: a fresh app per test on a schema built once per run by the migrations.

The database comes from PASTECMS_TEST_DATABASE_URI (an SQLite file in a temporary folder
when unset), the rate-limit storage from PASTECMS_TEST_RATELIMIT_STORAGE_URI, so the same
suite runs on SQLite and on PostgreSQL + Redis.
"""

import contextlib
import copy
import os
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from limits.errors import StorageError
from limits.storage import RedisStorage
from sqlalchemy import create_engine, event, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from config import TestConfig
from pastecms import create_app, ratelimit
from pastecms.extensions import bind_migrations, db
from pastecms.models import Paste, utcnow
from pastecms.queries import answers
from pastecms.services.content import webhook
from pastecms.services.identity import refresh_token, tokens
from pastecms.services.identity import user as user_service
from pastecms.services.pastes import highlight, paste_policy
from tests.live import empty_database

#: The xdist worker running this process ("gw0", "gw1"...), or "" without xdist. Each
#: worker has a database and a rate-limit key prefix of its own, so that workers never
#: see each other's rows or counters.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

# A developer's .env (`make run` writes one in the checkout) must not reach the suite:
# the commands under test (`pastecms`, `flask`) would load its settings into this process.
os.environ["FLASK_SKIP_DOTENV"] = "1"


def per_worker(name: str) -> str:
    """`name`, made this worker's own (unchanged without xdist)."""
    return f"{name}_{WORKER}" if WORKER else name


def _test_database_uri(tmp_path_factory) -> str:
    uri = os.environ.get("PASTECMS_TEST_DATABASE_URI")
    if not uri:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    url = make_url(uri)
    if not WORKER or not url.get_backend_name().startswith("postgresql"):
        return uri
    # A database of this worker's beside the configured one, made once and kept: it is
    # emptied and migrated at the start of every run like the configured one.
    name = per_worker(url.database)
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _limit_overrides() -> dict:
    """Settings that keep this worker's limit counters apart in a shared Redis: resetting
    one app's counters (after every test) deletes only keys under its storage prefix."""
    storage = os.environ.get("PASTECMS_TEST_RATELIMIT_STORAGE_URI", "")
    if not storage.startswith("redis"):
        return {}
    prefix = per_worker("pastecms-test")
    return {"RATELIMIT_STORAGE_OPTIONS": {"wrap_exceptions": True, "key_prefix": prefix}}


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


class AppPool:
    """Apps shared by the tests that ask for the same config overrides.

    Building an app costs about 70 ms (most of it registering the URL rules), more than
    most tests take; an app is built once per set of overrides and handed back after each
    test with its state reset (sessions, limit counters, kept answers) and the tables
    emptied. A test that changed the app's config has its app thrown away, never shared.
    """

    #: Apps whose database connections stay open between tests (the most recently
    #: used): each idle app's pool would hold a connection or two, and a hundred apps
    #: would use up PostgreSQL's connections.
    CONNECTED = 4

    def __init__(self, database_uri: str):
        self.base = {"DATABASE_URI": database_uri, **_limit_overrides()}
        self.idle: dict = {}
        self.config_at_build: dict = {}
        self.connected: list = []

    def take(self, overrides: dict):
        key = _overrides_key(overrides)
        app = self.idle.pop(key, None) if key is not None else None
        if app is None:
            app = create_app(TestConfig, {**self.base, **overrides})
            self.config_at_build[app] = _config_copy(app)
        return key, app

    def give_back(self, key, app) -> None:
        """Keep `app` for the next test that asks for its overrides, if it is still as
        built; else let it go."""
        unchanged = _config_copy(app) == self.config_at_build.get(app)
        if key is not None and unchanged and key not in self.idle:
            self.idle[key] = app
            if app in self.connected:
                self.connected.remove(app)
            self.connected.append(app)
            while len(self.connected) > self.CONNECTED:
                with self.connected.pop(0).app_context():
                    db.engine.dispose()  # it connects again when next used
            return
        self.config_at_build.pop(app, None)
        if app in self.connected:
            self.connected.remove(app)
        _dispose(app)

    def close(self) -> None:
        for app in self.idle.values():
            _dispose(app)
        self.idle.clear()


def _dispose(app) -> None:
    """Close an app's database and limit storage connections."""
    with app.app_context():
        db.engine.dispose()
    if app.config["RATELIMIT_ENABLED"]:
        _close_limit_storage(app)


def _overrides_key(overrides: dict):
    """A hashable key for a set of overrides, or None if one cannot be made (then the
    app is the test's alone)."""
    try:
        key = frozenset(overrides.items())
        hash(key)
    except TypeError:
        try:
            key = repr(sorted(overrides.items()))
        except TypeError:
            return None
    return key


def _config_copy(app) -> dict:
    try:
        return copy.deepcopy(dict(app.config))
    except Exception:  # an unpicklable setting: compared by identity only
        return dict(app.config)


@pytest.fixture(scope="session")
def app_pool(database_uri):
    pool = AppPool(database_uri)
    yield pool
    pool.close()


def reset_app(app) -> None:
    """Forget what a test left in `app` besides its rows: the session, the limit
    counters, the kept answers."""
    # A webhook delivery a test set off is recorded by its thread: not among the next
    # test's rows.
    webhook.wait_for_deliveries(timeout=10)
    # Nor HTML a test's new paste had made in the background (HIGHLIGHT_AHEAD).
    highlight.wait_ahead(timeout=10)
    with app.app_context():
        db.session.remove()
        paste_policy.forget()  # the policy a test's rows set
        # An app pointed at a limit storage that is down has nothing to reset, nor one
        # with limits off.
        if app.config["RATELIMIT_ENABLED"]:
            with contextlib.suppress(StorageError):
                ratelimit.limiter(app).reset()
    answers.init_app(app)


@contextlib.contextmanager
def _app_maker(pool: AppPool):
    """Build (or take from the pool) apps with config overrides; when the block ends,
    each is reset, the tables are emptied, and each goes back to the pool."""
    taken = []

    def make(**overrides):
        key, app = pool.take(overrides)
        taken.append((key, app))
        return app

    yield make
    for _, taken_app in taken:
        reset_app(taken_app)
    if taken:
        with taken[0][1].app_context():
            empty_tables()
    for key, taken_app in taken:
        pool.give_back(key, taken_app)


@pytest.fixture
def make_app(app_pool):
    """Build apps with config overrides; every one is reset after the test."""
    with _app_maker(app_pool) as make:
        yield make


@pytest.fixture(scope="module")
def make_module_app(app_pool):
    """Build apps that every test of a module shares (data seeded once for all of them);
    reset, and the tables emptied, when the module ends."""
    with _app_maker(app_pool) as make:
        yield make


def _close_limit_storage(app) -> None:
    """Close the Redis connections of an app's limiter. Left to the garbage collector,
    a socket could be finalized before the connection that would close it, and warn
    (an unclosed socket at the end of a PostgreSQL + Redis run)."""
    storage = ratelimit.limiter(app).storage
    if isinstance(storage, RedisStorage):
        storage.storage.close()


def empty_tables() -> None:
    """Delete every row of every table (within an app context), children first.

    DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table costs milliseconds a
    table whatever it holds, and a test leaves a few rows in a few tables. Ids are not
    restarted: no test may count on an id being reused (none ever is)."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
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
def resolver(monkeypatch):
    """Name resolution as the test maps it (`resolver["hook.test"] = ["93.184.215.14"]`),
    for the test's threads too: IP addresses answer themselves, other names do not
    resolve, and no real DNS server is ever asked (tests/hooks.py, `Resolver`)."""
    import socket

    from tests.hooks import Resolver

    fake = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


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
