"""What one request costs PostgreSQL: round trips between the app and the server, counted
in psycopg's protocol trace (`PGconn.trace`): each simple Query (BEGIN, COMMIT, SET) and
each Sync ending an extended-protocol statement (the pool's ping, every statement) is
one wait for the server. And which transactions skip the WAL flush wait.

Counted rather than timed: the counts do not move with the load on a shared machine."""

import os
import tempfile

import pytest
from psycopg import pq
from sqlalchemy import event

from pastecms.extensions import db

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


def test_a_request_costs_no_ping_and_a_view_count_no_flush_wait(traced):
    app, trace = traced
    client = app.test_client()
    paste = client.post("/api/paste/submit", json={"contents": "hello"}).json
    details = {"paste_id": paste["paste_id_repr"]}
    client.post("/api/paste/details", json=details)  # the pool's connection is open

    # BEGIN, the counting UPDATE ... RETURNING, SET LOCAL synchronous_commit, COMMIT:
    # no SELECT 1 before them (the ping cost one more).
    assert trace.round_trips(lambda: client.post("/api/paste/details", json=details)) == 4
    # BEGIN, the INSERT ... RETURNING, COMMIT.
    assert trace.round_trips(lambda: client.post("/api/paste/submit", json={"contents": "x"})) == 3
    # BEGIN, the page, COMMIT.
    assert trace.round_trips(lambda: client.post("/api/paste/recent", json={})) == 3

    counted = trace.messages(lambda: client.post("/api/paste/details", json=details))
    assert any("synchronous_commit = off" in line for line in counted)
    submitted = trace.messages(lambda: client.post("/api/paste/submit", json={"contents": "y"}))
    assert not any("synchronous_commit" in line for line in submitted)


def test_a_users_pastes_cost_the_key_and_the_page_only(traced, make_user):
    app, trace = traced
    client = app.test_client()
    key = make_user("owner")[1]
    client.post("/api/paste/submit", json={"contents": "mine", "api_key": key})
    client.post("/api/paste/user", json={"api_key": key})
    # BEGIN, the key's owner, the page, COMMIT: no ping, and no second look at the
    # owner's row (the key's lookup says who they are).
    assert trace.round_trips(lambda: client.post("/api/paste/user", json={"api_key": key})) == 4


def test_a_counted_visit_does_not_wait_for_the_flush(traced):
    app, trace = traced
    client = app.test_client()

    def visit():
        answer = client.get("/pub/statistic/", headers={"Referer": f"https://{BLOG}/a/"})
        assert answer.json["status"] is True

    visit()
    lines = trace.messages(visit)
    assert any("synchronous_commit = off" in line for line in lines)
    # BEGIN, SET LOCAL, the visitor, the site's count, the page's count, COMMIT.
    assert round_trips(lines) == 6


def test_a_burning_read_stays_durable(traced):
    """The read that uses up a paste deletes it: that deletion waits for its flush, or a
    crash could bring back a paste that was already read."""
    app, trace = traced
    client = app.test_client()
    paste = client.post("/api/paste/submit", json={"contents": "once", "max_views": 1}).json
    burn = trace.messages(
        lambda: client.post("/api/paste/details", json={"paste_id": paste["paste_id_repr"]})
    )
    assert any("DELETE" in line for line in burn)
    assert not any("synchronous_commit" in line for line in burn)
