"""Idempotency-Keys bound to the request they came with, and kept past their paste.

Each key gets `request_hash`, the fingerprint of its first request, which a retry must
match; `paste_id` and `token` become nullable, set to NULL when the paste is deleted, so
that a retry after a burn or a purge finds the paste gone instead of posting it again.

The table is made anew rather than altered (SQLite cannot change a foreign key in place),
and the keys kept so far are dropped: they have no fingerprint, so no retry could be
checked against them, and each was only a retry aid for a day. A submit retried across
the upgrade posts its paste once more.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _create(*, bound_to_request: bool) -> None:
    columns = [sa.Column("key_hash", sa.String(length=64), nullable=False)]
    if bound_to_request:
        columns.append(sa.Column("request_hash", sa.String(length=64), nullable=False))
    columns += [
        sa.Column("paste_id", sa.Integer(), nullable=bound_to_request),
        sa.Column("token", sa.LargeBinary(), nullable=bound_to_request),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    ]
    op.create_table(
        "idempotency_keys",
        *columns,
        sa.ForeignKeyConstraint(
            ["paste_id"],
            ["pastes.id"],
            name=op.f("fk_idempotency_keys_paste_id_pastes"),
            ondelete="SET NULL" if bound_to_request else "CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_paste_id"), "idempotency_keys", ["paste_id"])
    op.create_index(op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"])


def _drop() -> None:
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_index(op.f("ix_idempotency_keys_paste_id"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")


def upgrade():
    _drop()
    _create(bound_to_request=True)


def downgrade():
    # 0005's table again, empty: it has no room for a key whose paste is gone, and the
    # code before 0013 would answer a key's retry whatever request came with it.
    _drop()
    _create(bound_to_request=False)
