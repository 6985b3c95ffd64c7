"""Visits per day, for the console's statistics; friend applications told apart.

/pub/statistic kept totals only. A visit now also counts in its site's row of the day
(`visit_days`), and a visitor row remembers the first and the last day its client was
seen, so the statement that records a visitor also says whether it is new today. Visitor
rows from before read 1970-01-01 for both: their next visit is new that day, and not new
to the site.

A friend link made by a visitor's application (ask_friend) is marked until an admin shows
it, so the console can list the applications waiting apart from the links an admin hid.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

EPOCH_DAY = "1970-01-01"


def upgrade():
    op.create_table(
        "visit_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site", sa.String(length=1024), nullable=False),
        sa.Column("pv", sa.BigInteger(), nullable=False),
        sa.Column("uv", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "site", name=op.f("pk_visit_days")),
    )
    for column in ("first_day", "last_day"):
        op.add_column(
            "site_visitors",
            sa.Column(column, sa.Date(), nullable=False, server_default=EPOCH_DAY),
        )
    op.add_column(
        "friend_links",
        sa.Column("is_application", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    # SQLite drops a column in place since 3.35 (Python 3.11 ships 3.40 and later).
    op.drop_column("friend_links", "is_application")
    op.drop_column("site_visitors", "last_day")
    op.drop_column("site_visitors", "first_day")
    op.drop_table("visit_days")
