"""Each paste's size in bytes, stored: a list weighs its pastes without reading them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The UTF-8 length of the contents, as the app counts it.
UTF8_LENGTH = {
    "postgresql": "octet_length(contents)",
    "sqlite": "length(CAST(contents AS BLOB))",
}


def upgrade():
    op.add_column("pastes", sa.Column("size", sa.Integer(), nullable=False, server_default="0"))
    op.execute(f"UPDATE pastes SET size = {UTF8_LENGTH[op.get_bind().dialect.name]}")


def downgrade():
    # A plain ALTER TABLE ... DROP COLUMN, as 0006's downgrade does and for its reason.
    op.drop_column("pastes", "size")
