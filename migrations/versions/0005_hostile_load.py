"""Highlighted HTML kept per paste, made once rather than on every view.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
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


def downgrade():
    op.drop_table("paste_highlights")
