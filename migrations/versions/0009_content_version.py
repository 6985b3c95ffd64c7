"""The content version: a number the database moves on every change to what an article's
answer is made from, so that answers made before can be kept until it moves.

Triggers do the moving (one per table and verb on SQLite, one statement-level trigger per
table on PostgreSQL, TRUNCATE included), so every way of writing moves it. The write is an
upsert: a row deleted by hand is written again by the next change.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# As pastecms.models.content.VERSIONED_TABLES was when this migration was written.
TABLES = ("articles", "article_tags", "tags", "categories", "images")
VERBS = ("INSERT", "UPDATE", "DELETE")
FUNCTION = "content_version_moves"
# A row written anew starts from the time in microseconds, not from 1: a version the row
# had before it was deleted must never come back, or answers kept under it would be
# taken for current.
NOW_US = {
    "postgresql": "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
}


def _upsert(dialect: str) -> str:
    return (
        f"INSERT INTO content_version (id, version) VALUES (1, {NOW_US[dialect]}) "
        "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
    )


def _trigger(table: str, verb: str | None = None) -> str:
    return f"content_version_{table}" + (f"_{verb.lower()}" if verb else "")


def upgrade():
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_version")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(_upsert(dialect))
    if dialect == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_upsert(dialect)}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {_trigger(table)} "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
        return
    for table in TABLES:
        for verb in VERBS:
            op.execute(
                f"CREATE TRIGGER {_trigger(table, verb)} AFTER {verb} ON {table} "
                f"BEGIN {_upsert(dialect)}; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {_trigger(table)} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    else:
        for table in TABLES:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER {_trigger(table, verb)}")
    op.drop_table("content_version")
