"""Refresh tokens of the JWT login (seed 004), stored by guid so they can be revoked.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "refresh_tokens",
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("guid", name=op.f("pk_refresh_tokens")),
    )
    # A user's tokens (revoke all, list), then expired ones (purge).
    op.create_index("ix_refresh_token_user", "refresh_tokens", ["user_id", "issued_at"])
    op.create_index("ix_refresh_token_expires_at", "refresh_tokens", ["expires_at"])


def downgrade():
    op.drop_index("ix_refresh_token_expires_at", table_name="refresh_tokens")
    op.drop_index("ix_refresh_token_user", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
