"""API keys made by the CMS face's /v1/api-key/generate are additional keys.

The CMS's generate replaced the very key it was called with, so a blog that pressed its
"Generate" button with its own key went offline until redeployed. As in the original, the
key a client calls with is never touched: generate makes (or replaces) an additional key
of the caller's, which status describes and disable/enable switch. Keys stored before are
the users' own keys.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "api_keys",
        sa.Column("is_additional", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    # SQLite drops a column in place since 3.35 (Python 3.11 ships 3.40 and later).
    op.drop_column("api_keys", "is_additional")
