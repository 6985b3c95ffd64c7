"""The content version in slots on PostgreSQL: concurrent content writes no longer lock
one row.

Every write to an article, tag, category or image moved the one content_version row
(0009), so on PostgreSQL every such transaction held that row's lock until it committed
and the next writer waited for it: content writes ran one at a time. Now a writer moves
the row of its own slot, 1 + its server process id modulo SLOTS (each connection always
the same one), and the version is the sum of the slots: two writers on different
connections lock different rows. The sum only grows (a slot row written anew starts from
the time in microseconds, far above what its writes added), so it still moves with every
committed change, in every process and on every host. SQLite admits one writer at a
time anyway: its triggers keep moving row 1, whose sum is itself.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# As migration 0009 names them.
FUNCTION = "content_version_moves"
NOW_US = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
SLOTS = 16


def _function(slot: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN INSERT INTO content_version (id, version) VALUES ({slot}, {NOW_US}) "
        "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1; "
        "RETURN NULL; END $$"
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(f"1 + pg_backend_pid() % {SLOTS}"))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_function("1"))
    # Back to one row, holding at least the sum: the version never moves backwards.
    op.execute(
        "INSERT INTO content_version (id, version) "
        "SELECT 1, sum(version) FROM content_version HAVING count(*) > 0 "
        "ON CONFLICT (id) DO UPDATE SET version = excluded.version"
    )
    op.execute("DELETE FROM content_version WHERE id <> 1")
