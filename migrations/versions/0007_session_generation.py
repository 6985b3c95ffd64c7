"""A per-user session generation: bumping it ends every cookie session of the user.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Plain ALTER TABLE both ways, on SQLite too (ADD COLUMN with a constant default, and
# DROP COLUMN since SQLite 3.35): a batch "move and copy" would rebuild `users`, losing
# its expression index (uq_user_username_lower, which SQLite cannot reflect) and, with
# foreign keys on, cascading the drop of the old table to every paste and key.


def upgrade():
    # Sessions signed in before carry no generation, so this upgrade ends them: users
    # sign in once more.
    op.add_column(
        "users",
        sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_column("users", "session_generation")
