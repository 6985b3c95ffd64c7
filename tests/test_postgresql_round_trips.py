"""What one request costs PostgreSQL: round trips between the app and the server, counted
in psycopg's protocol trace (`PGconn.trace`): each simple Query (BEGIN, COMMIT, SET) and
each Sync ending an extended-protocol statement (the pool's ping, every statement) is
one wait for the server. And which transactions skip the WAL flush wait.

Counted rather than timed: the counts do not move with the load on a shared machine."""

import os
import tempfile

import pytest
from psycopg import pq
from sqlalchemy import event, text

from pastecms.extensions import db
from pastecms.services.identity.auth import ANONYMOUS
from pastecms.services.pastes import paste as paste_service
from pastecms.services.site import site_stats

pytestmark = pytest.mark.skipif(
    not os.environ.get("PASTECMS_TEST_DATABASE_URI", "").startswith("postgresql"),
    reason="PostgreSQL's wire protocol",
)

BLOG = "blog.example"


def round_trips(messages: list[str]) -> int:
    return sum(1 for line in messages if line.split("\t")[2] in ("Query", "Sync"))


class Trace:
    """Every connection of an app's pool traced into one file, from its opening."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.file = tempfile.TemporaryFile()
        event.listen(self.engine, "connect", self._trace)
        self.engine.dispose()  # the connections opened from now on are traced

    def _trace(self, dbapi_connection, _record):
        dbapi_connection.pgconn.trace(self.file.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    def messages(self, request) -> list[str]:
        """The protocol lines the app sent while `request()` ran (libpq writes the
        server's answers to the trace later, so only the app's own lines are sure to
        fall in the request's window)."""
        start = self.file.seek(0, os.SEEK_END)
        request()
        self.file.seek(start)
        lines = self.file.read().decode(errors="replace").splitlines()
        return [line for line in lines if line.startswith("F\t")]

    def round_trips(self, request) -> int:
        return round_trips(self.messages(request))

    def close(self):
        event.remove(self.engine, "connect", self._trace)
        self.engine.dispose()
        self.file.close()


@pytest.fixture
def traced(make_app):
    app = make_app(
        STATISTIC_DOMAINS=[BLOG],
        RATELIMIT_STATISTIC="100000 per minute",
        ANSWER_CACHE_MAX_BYTES=0,
    )
    trace = Trace(app)
    yield app, trace
    trace.close()


def test_a_request_costs_no_ping(traced):
    app, trace = traced
    client = app.test_client()
    paste = client.post("/api/paste/submit", json={"contents": "hello"}).json
    details = {"paste_id": paste["paste_id_repr"]}
    client.post("/api/paste/details", json=details)  # the pool's connection is open

    # BEGIN, the counting UPDATE ... RETURNING (which also relaxes its commit), COMMIT:
    # no SELECT 1 before them (the ping cost one more).
    assert trace.round_trips(lambda: client.post("/api/paste/details", json=details)) == 3
    # BEGIN, the INSERT ... RETURNING, COMMIT.
    assert trace.round_trips(lambda: client.post("/api/paste/submit", json={"contents": "x"})) == 3
    # BEGIN, the page, COMMIT.
    assert trace.round_trips(lambda: client.post("/api/paste/recent", json={})) == 3


def test_a_users_pastes_cost_the_key_and_the_page_only(traced, make_user):
    app, trace = traced
    client = app.test_client()
    key = make_user("owner")[1]
    client.post("/api/paste/submit", json={"contents": "mine", "api_key": key})
    client.post("/api/paste/user", json={"api_key": key})
    # BEGIN, the key's owner, the page, COMMIT: no ping, and no second look at the
    # owner's row (the key's lookup says who they are).
    assert trace.round_trips(lambda: client.post("/api/paste/user", json={"api_key": key})) == 4


def test_a_counted_visit_costs_one_round_trip_per_count(traced):
    app, trace = traced
    client = app.test_client()

    def visit():
        answer = client.get("/pub/statistic/", headers={"Referer": f"https://{BLOG}/a/"})
        assert answer.json["status"] is True

    visit()
    # BEGIN, the visitor (whether new to the site, or today), the site's count, the
    # day's count (which relaxes the commit), the page's count, COMMIT: no ping, and no
    # SET LOCAL of its own.
    assert trace.round_trips(visit) == 6


def _commit_waits_after(app, work) -> str:
    """What this transaction's COMMIT would do after `work()`: PostgreSQL's
    synchronous_commit as the transaction has it then ("on": wait for the WAL flush)."""
    with app.test_request_context():
        try:
            work()
            return db.session.execute(text("SHOW synchronous_commit")).scalar()
        finally:
            db.session.rollback()


def test_only_counts_skip_the_flush_wait(make_app):
    app = make_app(STATISTIC_DOMAINS=[BLOG], RATELIMIT_STATISTIC="100000 per minute")
    client = app.test_client()
    open_paste = client.post("/api/paste/submit", json={"contents": "open"}).json
    limited = client.post("/api/paste/submit", json={"contents": "twice", "max_views": 2}).json
    protected = client.post(
        "/api/paste/submit", json={"contents": "locked", "password": "a good password"}
    ).json

    def read(paste, password=None):
        return lambda: paste_service.read(paste["paste_id_repr"], ANONYMOUS, password)

    assert _commit_waits_after(app, lambda: None) == "on"
    # A view counted, nothing else written: no wait.
    assert _commit_waits_after(app, read(open_paste)) == "off"
    assert _commit_waits_after(app, read(protected, "a good password")) == "off"
    # A visit counted.
    visit = lambda: site_stats.count_visit(f"https://{BLOG}/p/", "192.0.2.9")  # noqa: E731
    assert _commit_waits_after(app, visit) == "off"
    # A limited paste's count decides when it burns, and a burn deletes it: durable.
    assert _commit_waits_after(app, read(limited)) == "on"
    # So is a new paste.
    submit = lambda: paste_service.submit("new", ANONYMOUS)  # noqa: E731
    assert _commit_waits_after(app, submit) == "on"
