"""Pastes that delete themselves after a number of views (burn after reading: one).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pastes") as batch:
        batch.add_column(sa.Column("max_views", sa.Integer(), nullable=True))


def downgrade():
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the
    # table would reflect the users table's expression index, which SQLite cannot.
    op.drop_column("pastes", "max_views")
