"""Moderation: paste reports, hidden pastes, blocked address ranges and the moderation log.

A hidden paste is gone on every face but kept for the admins' console, so it is a flag
of its own beside `is_active` (which a purge deletes). The longest expiry allowed is a
row of the `settings` table and needs no schema.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# New integer-keyed tables never hand an id out twice on SQLite either (see 0011).
NEVER_REUSED = {"sqlite_autoincrement": True}


def upgrade():
    op.add_column(
        "pastes",
        sa.Column("is_hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "paste_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paste_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["paste_id"],
            ["pastes.id"],
            name=op.f("fk_paste_reports_paste_id_pastes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_paste_reports_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paste_reports")),
        **NEVER_REUSED,
    )
    op.create_index("ix_paste_report_open", "paste_reports", ["closed_at", "paste_id"])
    op.create_index("ix_paste_report_paste", "paste_reports", ["paste_id"])
    op.create_table(
        "blocked_networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_networks")),
        sa.UniqueConstraint("cidr", name=op.f("uq_blocked_networks_cidr")),
        **NEVER_REUSED,
    )
    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=256), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_moderation_log_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_log")),
        **NEVER_REUSED,
    )
    op.create_index("ix_moderation_log_at", "moderation_log", ["at", "id"])


def downgrade():
    op.drop_index("ix_moderation_log_at", table_name="moderation_log")
    op.drop_table("moderation_log")
    op.drop_table("blocked_networks")
    op.drop_index("ix_paste_report_paste", table_name="paste_reports")
    op.drop_index("ix_paste_report_open", table_name="paste_reports")
    op.drop_table("paste_reports")
    # SQLite drops a column in place since 3.35 (Python 3.11 ships 3.40 and later).
    op.drop_column("pastes", "is_hidden")
