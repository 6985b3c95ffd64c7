"""The read model: how the faces' reads are made fast, apart from the rules that say what
may be read (`pastecms.services`, which call in here).

What is here buys speed and nothing else: prebuilt Core statements run on the session's
connection (`run`), plain records instead of ORM entities, pages and their totals read
off counters, and answers kept whole. Every module says what it buys. A service asks a
question here and applies its rules to the answer; a view calls the service.
"""

from pastecms.extensions import db


def run(statement, params: dict):
    """Run a prebuilt Core statement in the request's transaction, on the session's
    connection: past the ORM's execution path, which has nothing to add to a Core
    statement and costs more than SQLite takes to answer one."""
    return db.session.connection().execute(statement, params)
