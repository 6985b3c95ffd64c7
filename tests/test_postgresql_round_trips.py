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


def statements(messages: list[str]) -> list[str]:
    """What the app sent, in order: BEGIN or COMMIT, and the first word of each statement
    it parsed (a statement psycopg has prepared, after 5 runs on a connection, is bound
    without a Parse: these tests run each one fewer times on their fresh connections)."""
    sent = []
    for line in messages:
        kind, *text = line.split("\t")[2:4]
        quoted = "".join(text).split('"')
        if kind == "Query":
            sent.append(quoted[1])
        elif kind == "Parse":
            sent.append(quoted[3].split()[0])
    return sent


def test_a_one_statement_request_costs_one_round_trip(traced):
    app, trace = traced
    client = app.test_client()
    paste = client.post("/api/paste/submit", json={"contents": "hello"}).json
    details = {"paste_id": paste["paste_id_repr"]}
    client.post("/api/paste/details", json=details)  # the pool's connection is open

    # The counting UPDATE ... RETURNING alone, committed by the server as it ends: no
    # ping before it (one more round trip), no BEGIN and no COMMIT around it (two more).
    assert trace.round_trips(lambda: client.post("/api/paste/details", json=details)) == 1
    # BEGIN, the INSERT ... RETURNING, COMMIT: a new paste stays in a transaction of its
    # own, so that a request that fails after it leaves none.
    assert trace.round_trips(lambda: client.post("/api/paste/submit", json={"contents": "x"})) == 3
    # The page, read in no transaction.
    assert trace.round_trips(lambda: client.post("/api/paste/recent", json={})) == 1


def test_writes_that_belong_together_still_commit_together(traced):
    app, trace = traced
    client = app.test_client()
    client.post("/api/paste/submit", json={"contents": "warm"})
    attachment = {"name": "a.txt", "mime_type": "text/plain", "data": "YQ=="}
    with_attachment = {"contents": "x", "attachments": [attachment]}
    sent = statements(
        trace.messages(lambda: client.post("/api/paste/submit", json=with_attachment))
    )
    assert sent == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    # A paste read for the last time: its count and its deletion in one transaction
    # (the count of an open paste with views left to count, alone, matches nothing).
    limited = client.post("/api/paste/submit", json={"contents": "x", "max_views": 1}).json
    details = {"paste_id": limited["paste_id_repr"]}
    sent = statements(trace.messages(lambda: client.post("/api/paste/details", json=details)))
    begin = sent.index("BEGIN")
    assert sent[:begin] == ["UPDATE", "SELECT"]
    assert sent[begin + 1] == "UPDATE" and "DELETE" in sent[begin:] and sent[-1] == "COMMIT"
    assert client.post("/api/paste/details", json=details).status_code == 404


def test_a_paste_with_an_idempotency_key_commits_with_its_key(traced):
    app, trace = traced
    client = app.test_client()
    client.post("/api/paste/submit", json={"contents": "warm"})
    headers = {"Idempotency-Key": "one-key-for-one-paste"}
    sent = statements(
        trace.messages(
            lambda: client.post("/api/paste/submit", json={"contents": "x"}, headers=headers)
        )
    )
    # The paste and its key's row are written between one BEGIN and its COMMIT: nothing
    # is written before the transaction opens (reads may run on their own).
    begin = sent.index("BEGIN")
    assert not {"INSERT", "UPDATE", "DELETE"} & set(sent[:begin])
    assert sent.count("BEGIN") == 1 and sent[-1] == "COMMIT"
    assert sent[begin + 1 :].count("INSERT") + sent[begin + 1 :].count("UPDATE") >= 2


def test_a_page_of_pastes_is_planned_once_per_connection(traced):
    app, _ = traced
    client = app.test_client()
    client.post("/api/paste/submit", json={"contents": "x"})
    for _ in range(12):
        client.post("/api/paste/recent", json={"num_per_page": 20})
    # The one pooled connection the requests used: its statements psycopg prepared, and
    # how often the server ran each with its kept (generic) plan rather than planning
    # it anew. With LIMIT and OFFSET sent as parameters it planned the page every time.
    with app.app_context():
        prepared = db.session.execute(
            text("SELECT statement, generic_plans FROM pg_prepared_statements")
        ).all()
    pages = [row for row in prepared if "ORDER BY pastes.post_time DESC" in row.statement]
    assert len(pages) == 1
    assert "LIMIT 20 OFFSET 0" in pages[0].statement
    assert pages[0].generic_plans >= 1


def test_a_users_pastes_cost_the_key_and_the_page_only(traced, make_user):
    app, trace = traced
    client = app.test_client()
    key = make_user("owner")[1]
    client.post("/api/paste/submit", json={"contents": "mine", "api_key": key})
    client.post("/api/paste/user", json={"api_key": key})
    # The key's owner, the page, neither in a transaction: no ping, and no second look
    # at the owner's row (the key's lookup says who they are).
    assert trace.round_trips(lambda: client.post("/api/paste/user", json={"api_key": key})) == 2


def test_a_counted_visit_costs_one_round_trip(traced):
    app, trace = traced
    client = app.test_client()

    def visit():
        answer = client.get("/pub/statistic/", headers={"Referer": f"https://{BLOG}/a/"})
        assert answer.json["status"] is True
        return answer.json

    first = visit()
    # The visitor, the site's count, the day's count (which relaxes the commit) and the
    # page's count in one statement, alone: no ping, no BEGIN, no COMMIT, no SET LOCAL.
    assert trace.round_trips(visit) == 1
    again = visit()
    assert (again["page_pv"], again["site_pv"], again["site_uv"]) == (
        first["page_pv"] + 2,
        first["site_pv"] + 2,
        first["site_uv"],
    )


# A deferred constraint trigger runs at its transaction's commit, after the statements
# and before the commit record is written: what it reads of synchronous_commit is what
# that commit obeys, whether the transaction was explicit (BEGIN ... COMMIT) or one
# statement's own (autocommit).
_NOTE_COMMITS = """
CREATE TABLE commit_settings (setting text NOT NULL);
CREATE FUNCTION note_commit_setting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO commit_settings VALUES (current_setting('synchronous_commit'));
    RETURN NULL;
END $$;
"""
_NOTED_TABLES = ("pastes", "visit_counts", "site_visitors", "visit_days")


@pytest.fixture
def commits_noted(make_app):
    """An app whose commits that write a paste or a visit's counts each note, at the
    commit, whether it waits for the WAL flush (synchronous_commit "on") or not."""
    app = make_app(STATISTIC_DOMAINS=[BLOG], RATELIMIT_STATISTIC="100000 per minute")
    with app.app_context():
        engine = db.engine
    with engine.begin() as connection:
        connection.exec_driver_sql(_NOTE_COMMITS)
        for table in _NOTED_TABLES:
            connection.exec_driver_sql(
                f"CREATE CONSTRAINT TRIGGER note_commit AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"EXECUTE FUNCTION note_commit_setting()"
            )
    try:
        yield app
    finally:
        with engine.begin() as connection:
            for table in _NOTED_TABLES:
                connection.exec_driver_sql(f"DROP TRIGGER note_commit ON {table}")
            connection.exec_driver_sql("DROP FUNCTION note_commit_setting() CASCADE")
            connection.exec_driver_sql("DROP TABLE commit_settings")


def _commits_of(app, request) -> set[str]:
    """synchronous_commit as each commit of `request()` had it ("on": waited for the WAL
    flush), for the commits that wrote a paste or a visit's counts."""
    with app.app_context():
        db.session.execute(text("DELETE FROM commit_settings"))
        db.session.commit()
        request()
        noted = set(db.session.scalars(text("SELECT setting FROM commit_settings")))
        db.session.commit()
    return noted


def test_only_counts_skip_the_flush_wait(commits_noted):
    app = commits_noted
    client = app.test_client()

    def submit(**paste):
        return lambda: client.post("/api/paste/submit", json={"contents": "x", **paste})

    def read(paste, password=None):
        body = {"paste_id": paste["paste_id_repr"], "password": password}
        return lambda: client.post("/api/paste/details", json=body)

    # A new paste waits for its flush, with attachments or without.
    assert _commits_of(app, submit()) == {"on"}
    attachment = {"name": "a.txt", "mime_type": "text/plain", "data": "YQ=="}
    assert _commits_of(app, submit(attachments=[attachment])) == {"on"}
    open_paste = client.post("/api/paste/submit", json={"contents": "open"}).json
    limited = client.post("/api/paste/submit", json={"contents": "twice", "max_views": 2}).json
    protected = client.post(
        "/api/paste/submit", json={"contents": "locked", "password": "a good password"}
    ).json
    # A view counted, nothing else written: no wait, whether the count commits on its
    # own (an open paste) or in a transaction (a protected one, looked at first).
    assert _commits_of(app, read(open_paste)) == {"off"}
    assert _commits_of(app, read(protected, "a good password")) == {"off"}
    # A visit counted.
    visit = lambda: client.get("/pub/statistic/", headers={"Referer": f"https://{BLOG}/p/"})  # noqa: E731
    assert _commits_of(app, visit) == {"off"}
    # A limited paste's count decides when it burns, and a burn deletes it: durable.
    assert _commits_of(app, read(limited)) == {"on"}
    assert _commits_of(app, read(limited)) == {"on"}
    assert (
        client.post("/api/paste/details", json={"paste_id": limited["paste_id_repr"]}).status_code
        == 404
    )
