"""Site content for the Qexo face: friend links, talks and likes, notifications, custom
fields, visit counts.

Revision ID: 0003
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "friend_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("time", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("image", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_shown", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friend_links")),
        sa.UniqueConstraint("time", name=op.f("uq_friend_links_time")),
    )
    # The public list: shown links, oldest first.
    op.create_index("ix_friend_link_shown", "friend_links", ["is_shown", "time"])

    op.create_table(
        "talks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talks")),
    )
    op.create_index("ix_talk_time", "talks", ["time", "id"])

    op.create_table(
        "talk_likes",
        sa.Column("talk_id", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["talk_id"], ["talks.id"], name=op.f("fk_talk_likes_talk_id_talks"), ondelete="CASCADE"
        ),
        # One like per client and talk, whatever the race.
        sa.PrimaryKeyConstraint("talk_id", "client", name=op.f("pk_talk_likes")),
    )

    op.create_table(
        "site_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_counters")),
    )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=512), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notification_created_at", "notifications", ["created_at", "id"])

    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("name", name=op.f("uq_custom_fields_name")),
    )

    op.create_table(
        "visit_counts",
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("pv", sa.BigInteger(), nullable=False),
        sa.Column("uv", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("target", name=op.f("pk_visit_counts")),
    )

    op.create_table(
        "site_visitors",
        sa.Column("site", sa.String(length=1024), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        # A client address counts once per site.
        sa.PrimaryKeyConstraint("site", "client", name=op.f("pk_site_visitors")),
    )


def downgrade():
    op.drop_table("site_visitors")
    op.drop_table("visit_counts")
    op.drop_table("custom_fields")
    op.drop_index("ix_notification_created_at", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("site_counters")
    op.drop_table("talk_likes")
    op.drop_index("ix_talk_time", table_name="talks")
    op.drop_table("talks")
    op.drop_index("ix_friend_link_shown", table_name="friend_links")
    op.drop_table("friend_links")
