"""A paste's contents stored after its other columns on SQLite, so that a list reads them
without walking the contents' overflow pages.

SQLite stores a row's columns in the order of the table, and keeps what does not fit in
its page on a chain of overflow pages that it follows one page at a time: to read any
column stored after a large paste's contents (its size, post time, views...) it reads
every overflow page of the contents first. A list page (recent, top, a user's pastes)
reads those columns for each paste it shows, contents or not. Stored last, the contents
are reached only by a read that wants them.

On SQLite the table is made anew (a batch copy) with its rows, ids, indexes, triggers,
foreign keys and AUTOINCREMENT, and with its `sqlite_sequence` counter as it was (a
copy alone would set it back to the largest id still stored, and hand out again the id
of the newest paste if it was deleted). On PostgreSQL nothing changes: a value over
about 2 KB goes out of line to the table's TOAST storage, and the row keeps an 18-byte
pointer in its place, so reading the columns after it never touches the contents.

Revision ID: 0019
Revises: 0018
"""

import contextlib
import warnings

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The columns of `pastes` on SQLite as 0018 left them (added ones at the end), and then
# with the contents last.
BEFORE = (
    "id",
    "user_id",
    "title",
    "language",
    "contents",
    "password_hash",
    "deactivation_token_hash",
    "post_time",
    "expiry_time",
    "views",
    "is_active",
    "attachment_count",
    "max_views",
    "size",
    "is_hidden",
)
AFTER = tuple(name for name in BEFORE if name != "contents") + ("contents",)
# Copying `pastes` reflects `users`, which its foreign key names: SQLAlchemy cannot reflect
# users' indexes on lower(username) and lower(email) and says so. The copy of `pastes` needs
# neither.
USERS_EXPRESSION_INDEXES = r"Skipped unsupported reflection of expression-based index uq_user_"


def upgrade():
    _rebuild(AFTER)


def downgrade():
    _rebuild(BEFORE)


def _rebuild(order: tuple) -> None:
    """Make `pastes` anew with its columns in `order` and everything else as it was."""
    if op.get_bind().dialect.name != "sqlite":
        return
    connection = op.get_bind()
    with _foreign_keys_off(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=USERS_EXPRESSION_INDEXES)
        # A batch copy leaves out every trigger on the table (and any index SQLAlchemy
        # cannot reflect): each is made again from the SQL it was made with.
        kept = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master "
            "WHERE tbl_name = 'pastes' AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        ).fetchall()
        sequence = connection.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = 'pastes'"
        ).scalar()
        with op.batch_alter_table(
            "pastes",
            recreate="always",
            partial_reordering=[order],
            table_kwargs={"sqlite_autoincrement": True},
        ):
            pass
        present = {
            name
            for (name,) in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'pastes'"
            )
        }
        for name, sql in kept:
            if name not in present:
                connection.exec_driver_sql(sql)
        if sequence is not None:
            # The copy's counter is the largest id copied: the largest id ever given
            # out is put back (SQLite documents sqlite_sequence as writable).
            connection.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'pastes'")
            connection.exec_driver_sql(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('pastes', ?)", (sequence,)
            )


@contextlib.contextmanager
def _foreign_keys_off():
    """Foreign keys off while the table is copied: dropping the old `pastes` with them on
    deletes every row that refers to it (ON DELETE CASCADE: attachments, highlights,
    reports) or forgets the paste (SET NULL: idempotency keys), before the copy takes
    its place. As in 0011: SQLite ignores `PRAGMA foreign_keys` inside a transaction, so
    it is set between transactions, the copy made in one transaction (all or nothing),
    and the references checked before it is set back."""
    context = op.get_context()
    connection = op.get_bind()
    was_on = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
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
