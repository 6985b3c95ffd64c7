"""The read model: how the faces' reads are made fast, apart from the rules that say what
may be read (`pastecms.services`, which call in here).

What is here buys speed and nothing else: prebuilt Core statements run on the session's
connection (`run`), plain records instead of ORM entities, pages and their totals read
off counters, and answers kept whole. Every module says what it buys. A service asks a
question here and applies its rules to the answer; a view calls the service.

Speed that belongs to another layer stays in it, since it works on that layer's terms:
the URL templates of the answers' links (`views.links`: `url_for` and the request's
host), the memo of dumped articles (`schemas.fields.MemoizedNested`: a schema field),
the paste id cipher's and the JWT checks' memos (`services.ids`, `services.identity.tokens`),
and the per-app values (`pastecms.app_cache`). The statements a write path runs
(the visit counters of `services.site.site_stats`, a like's) stay with the rule that
writes them.
"""

from sqlalchemy import Integer, bindparam

from pastecms.extensions import db


def run(statement, params: dict | None = None):
    """Run a prebuilt Core statement in the request's transaction, on the session's
    connection: past the ORM's execution path, which has nothing to add to a Core
    statement and costs more than SQLite takes to answer one.

    `statement` may also be a function of the connection's dialect that returns the
    statement, for one written to a database's own features: the dialect is read off
    the connection the statement runs on, not looked up a second time."""
    connection = db.session.connection()
    if callable(statement):
        statement = statement(connection.dialect)
    return connection.execute(statement, params)


def paged(statement, limit: int | None = None, offset: int | None = None):
    """`statement` limited to one page: `limit` rows from `offset`, given here or, when
    None, as the parameters `limit` and `offset` of each run.

    The two numbers are written into the statement's text at each run instead of being
    sent as parameters. PostgreSQL plans a prepared statement anew on every run unless a
    plan made without the parameters' values costs no more than one made with them; with
    the LIMIT unknown it expects a tenth of the table and finds the kept plan dear, so
    recent's page was planned again on every request: 125 µs of the server's CPU a page,
    60 µs with the plan kept. Page sizes are a few numbers and most reads are of the first
    page, so the texts stay few (psycopg prepares a text from its fifth run on).
    """
    return statement.limit(bindparam("limit", limit, Integer, literal_execute=True)).offset(
        bindparam("offset", offset, Integer, literal_execute=True)
    )
