"""Pastes that delete themselves after a number of views (burn after reading: one).

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pastes") as batch:
        batch.add_column(sa.Column("max_views", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("pastes") as batch:
        batch.drop_column("max_views")
