"""Email addresses are unique whatever their case.

One signs in with a username or an email address; an address that two accounts claimed
named neither, so anyone could switch off another user's email login by claiming their
address (nothing verifies one). An address claimed by several accounts stays with the
earliest of them, the first claim; the later claims are cleared before the index is made.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE users SET email = NULL WHERE email IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM users AS earlier "
        "WHERE lower(earlier.email) = lower(users.email) AND earlier.id < users.id)"
    )
    op.create_index("uq_user_email_lower", "users", [sa.text("lower(email)")], unique=True)


def downgrade():
    op.drop_index("uq_user_email_lower", table_name="users")
