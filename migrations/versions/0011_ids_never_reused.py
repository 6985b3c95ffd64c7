"""Ids are never handed out twice on SQLite either: the integer-keyed tables get
AUTOINCREMENT.

Without it SQLite gives a new row the largest id in the table plus one, so deleting the
newest row (a paste burnt after reading, purged, or deleted) hands its id to the next
row, and a link to the old paste shows the new one. With AUTOINCREMENT the table's
largest id ever is kept in `sqlite_sequence` and never used again. PostgreSQL's sequences
never go back: nothing changes there.

SQLite adds AUTOINCREMENT only when a table is made, so each table is made anew (a batch
copy) with every row and id. Ids deleted from the top of a table before this migration
ran are not known to it: the counter starts at the largest id still stored.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import contextlib
import re
import warnings

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# As the models' integer-keyed tables were when this migration was written.
TABLES = (
    "users",
    "api_keys",
    "pastes",
    "attachments",
    "friend_links",
    "notifications",
    "custom_fields",
    "site_files",
)
# SQLAlchemy cannot reflect users' index on lower(username) and says so; it is put back
# from its own SQL below, with anything else the copy leaves out.
EXPRESSION_INDEX_SKIPPED = re.escape(
    "Skipped unsupported reflection of expression-based index uq_user_username_lower"
)


def upgrade():
    _rebuild_all(autoincrement=True)


def downgrade():
    _rebuild_all(autoincrement=False)


def _rebuild_all(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with _foreign_keys_off(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=EXPRESSION_INDEX_SKIPPED)
        for table in TABLES:
            _rebuild(table, autoincrement)


def _rebuild(table: str, autoincrement: bool) -> None:
    """Make `table` anew with its rows, ids, indexes and triggers, with or without
    AUTOINCREMENT."""
    connection = op.get_bind()
    # A batch copy leaves out what SQLAlchemy cannot reflect (an index on an expression)
    # and every trigger on the table: each is made again from the SQL it was made with.
    kept = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master "
        "WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    with op.batch_alter_table(
        table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    present = {
        name
        for (name,) in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE tbl_name = ?", (table,)
        )
    }
    for name, sql in kept:
        if name not in present:
            connection.exec_driver_sql(sql)


@contextlib.contextmanager
def _foreign_keys_off():
    """Foreign keys off while the tables are copied: dropping the old `users` or `pastes`
    with them on deletes every row that refers to it (ON DELETE CASCADE), api keys and
    attachments included, before the copy takes its place.

    SQLite ignores `PRAGMA foreign_keys` inside a transaction, so it is set between
    transactions, and the copies are checked before it is set back.
    """
    context = op.get_context()
    connection = op.get_bind()
    was_on = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    # pysqlite opens a transaction at the first INSERT only, so the first copy's CREATE
    # TABLE would be committed alone: one transaction from here makes the copies all or
    # nothing, and a failed upgrade leaves the database as it was.
    op.execute("BEGIN")
    try:
        yield
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows refer to rows that are not there: {broken[:10]}")
    except BaseException:
        # Thrown away, not given back to the pool with its foreign keys off; the
        # migration's transaction is rolled back with it.
        connection.invalidate()
        raise
    with context.autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if was_on else 'OFF'}")
