"""Initial schema: users, API keys, pastes and their attachments.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("signup_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    # Usernames are unique whatever their case.
    op.create_index("uq_user_username_lower", "users", [sa.text("lower(username)")], unique=True)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"])

    op.create_table(
        "pastes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("language", sa.String(length=64), nullable=False),
        sa.Column("contents", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.String(length=128), nullable=True),
        sa.Column("deactivation_token_hash", sa.String(length=64), nullable=False),
        sa.Column("post_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expiry_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pastes_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pastes")),
    )
    # One index per list query (recent, top, a user's), filter first, then sort key.
    op.create_index("ix_paste_recent", "pastes", ["is_active", "post_time", "id"])
    op.create_index("ix_paste_top", "pastes", ["is_active", "views", "id"])
    op.create_index("ix_paste_user", "pastes", ["user_id", "is_active", "post_time", "id"])
    op.create_index("ix_paste_expiry_time", "pastes", ["expiry_time"])

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paste_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=255), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paste_id"],
            ["pastes.id"],
            name=op.f("fk_attachments_paste_id_pastes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("paste_id", "file_name", name=op.f("uq_attachments_paste_id")),
    )


def downgrade():
    op.drop_table("attachments")
    op.drop_index("ix_paste_expiry_time", table_name="pastes")
    op.drop_index("ix_paste_user", table_name="pastes")
    op.drop_index("ix_paste_top", table_name="pastes")
    op.drop_index("ix_paste_recent", table_name="pastes")
    op.drop_table("pastes")
    op.drop_index(op.f("ix_api_keys_user_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index("uq_user_username_lower", table_name="users")
    op.drop_table("users")
