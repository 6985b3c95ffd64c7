"""Highlighted HTML kept per paste, and the Idempotency-Keys of paste submissions.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "paste_highlights",
        sa.Column("paste_id", sa.Integer(), nullable=False),
        sa.Column("html", sa.LargeBinary(), nullable=True),
        sa.Column("made_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["paste_id"],
            ["pastes.id"],
            name=op.f("fk_paste_highlights_paste_id_pastes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paste_id", name=op.f("pk_paste_highlights")),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("paste_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paste_id"],
            ["pastes.id"],
            name=op.f("fk_idempotency_keys_paste_id_pastes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_paste_id"), "idempotency_keys", ["paste_id"])
    op.create_index(op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"])


def downgrade():
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_index(op.f("ix_idempotency_keys_paste_id"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("paste_highlights")
