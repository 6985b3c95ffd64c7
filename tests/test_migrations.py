"""The migrations build exactly what the models declare, on SQLite and PostgreSQL."""

import os
import re
import warnings
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.exc import IntegrityError

from config import TestConfig
from pastecms import create_app
from pastecms.extensions import bind_migrations, db
from pastecms.models import User
from tests.conftest import per_worker
from tests.live import empty_database

# SQLite cannot reflect an index on an expression: SQLAlchemy skips it and alembic leaves
# it out of the comparison, each with a warning naming it. PostgreSQL compares it.
EXPRESSION_INDEX = "uq_user_username_lower"
EXPRESSION_INDEXES = (EXPRESSION_INDEX, "uq_user_email_lower")
SQLITE_ONLY_WARNINGS = [
    message
    for name in EXPRESSION_INDEXES
    for message in (
        f"Skipped unsupported reflection of expression-based index {name}",
        f"autogenerate skipping metadata-specified expression-based index '{name}'",
    )
]


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            if connection.dialect.name == "sqlite":
                for message in SQLITE_ONLY_WARNINGS:
                    warnings.filterwarnings("ignore", message=re.escape(message))
            differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.parametrize(
    ("name", "column"), [(EXPRESSION_INDEX, "username"), ("uq_user_email_lower", "email")]
)
def test_case_insensitive_unique_indexes_exist(app, name, column):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                sql = connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
                ).scalar_one()
            assert "UNIQUE" in sql.upper() and f"lower({column})" in sql.lower()
        else:
            indexes = {index["name"]: index for index in inspect(db.engine).get_indexes("users")}
            assert indexes[name]["unique"] is True


def test_database_refuses_usernames_differing_only_in_case(app):
    with app.app_context():
        db.session.add(User(username="Carol", password_hash="x"))
        db.session.commit()
        db.session.add(User(username="cAROL", password_hash="x"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_the_database_is_at_the_newest_revision(app):
    bind_migrations(app)
    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert current == script.get_current_head()


@pytest.fixture
def scratch_database_uri(tmp_path):
    """An empty database of the suite's kind: a new SQLite file, or on PostgreSQL a
    scratch database beside the test one (named after it), dropped afterwards."""
    uri = os.environ.get("PASTECMS_TEST_DATABASE_URI", "")
    if not uri.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'roundtrip.db'}"
        return
    url = make_url(uri)
    name = per_worker(f"{url.database}_migrations_roundtrip")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def test_sizes_of_pastes_stored_before_the_size_column_are_their_utf8_bytes(
    scratch_database_uri,
):
    app = create_app(TestConfig, {"DATABASE_URI": scratch_database_uri})
    bind_migrations(app)
    with app.app_context():
        try:
            upgrade(revision="0009")
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO pastes (title, language, contents, deactivation_token_hash,"
                        " post_time, views, is_active, attachment_count) VALUES "
                        "('t', 'text', :contents, 'h', :now, 0, true, 0)"
                    ),
                    [{"contents": text_, "now": datetime.now(UTC)} for text_ in ("ab", "é€😀")],
                )
            upgrade(revision="0010")
            with db.engine.connect() as connection:
                sizes = connection.execute(text("SELECT size FROM pastes ORDER BY id")).scalars()
                assert list(sizes) == [2, 2 + 3 + 4]
        finally:
            db.engine.dispose()


def test_idempotency_keys_kept_without_a_fingerprint_are_dropped(scratch_database_uri):
    # A key kept before 0013 would answer a retry with any body: none survives it.
    app = create_app(TestConfig, {"DATABASE_URI": scratch_database_uri})
    bind_migrations(app)
    with app.app_context():
        try:
            upgrade(revision="0012")
            now = datetime.now(UTC)
            with db.engine.begin() as connection:
                paste_id = connection.execute(
                    text(
                        "INSERT INTO pastes (title, language, contents, size,"
                        " deactivation_token_hash, post_time, views, is_active,"
                        " attachment_count) VALUES ('t', 'text', 'x', 1, 'h', :now, 0, true, 0)"
                        " RETURNING id"
                    ),
                    {"now": now},
                ).scalar_one()
                connection.execute(
                    text(
                        "INSERT INTO idempotency_keys (key_hash, paste_id, token, expires_at)"
                        " VALUES ('k', :paste_id, :token, :now)"
                    ),
                    {"paste_id": paste_id, "token": b"sealed", "now": now},
                )
            upgrade(revision="0013")
            with db.engine.connect() as connection:
                kept = connection.execute(text("SELECT count(*) FROM idempotency_keys"))
                assert kept.scalar_one() == 0
                assert connection.execute(text("SELECT count(*) FROM pastes")).scalar_one() == 1
        finally:
            db.engine.dispose()


def test_migrations_go_down_and_up_again(scratch_database_uri):
    app = create_app(TestConfig, {"DATABASE_URI": scratch_database_uri})
    bind_migrations(app)
    with app.app_context():
        try:
            upgrade()
            downgrade(revision="base")
            assert inspect(db.engine).get_table_names() == ["alembic_version"]
            upgrade()
            assert set(inspect(db.engine).get_table_names()) == {
                "alembic_version",
                *db.metadata.tables,
            }
            if db.engine.dialect.name == "postgresql":
                # A database whose tables were dropped (as the suite and the benchmarks
                # empty theirs) migrates again: the trigger function outlives them.
                db.engine.dispose()
                empty_database(scratch_database_uri)
                upgrade()
            with db.engine.begin() as connection:
                version = text("SELECT sum(version) FROM content_version")
                before = connection.execute(version).scalar()
                connection.execute(
                    text(
                        "INSERT INTO categories VALUES "
                        "('c', 'C', 'c', '#000000', 0, 0, 0, :now, :now)"
                    ),
                    {"now": datetime.now(UTC)},
                )
                after = connection.execute(version).scalar()
            assert after != before
        finally:
            db.engine.dispose()


def _rows(connection) -> dict:
    """Every row of every table (as the database has them, whatever the models say) but
    the version's."""
    return {
        name: sorted(tuple(row) for row in connection.exec_driver_sql(f"SELECT * FROM {name}"))
        for name in inspect(connection).get_table_names()
        if name != "alembic_version"
    }


def _schema_objects(connection, kind: str) -> set:
    """The names and SQL of an SQLite database's indexes or triggers."""
    return set(
        connection.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = ?", (kind,)
        )
    )


ID_TABLES = (
    "users",
    "api_keys",
    "pastes",
    "attachments",
    "friend_links",
    "notifications",
    "custom_fields",
    "site_files",
)


def test_ids_migration_keeps_every_row_and_id_and_makes_ids_count_up(scratch_database_uri):
    app = create_app(TestConfig, {"DATABASE_URI": scratch_database_uri})
    bind_migrations(app)
    now = datetime.now(UTC)
    with app.app_context():
        try:
            upgrade(revision="0010")
            with db.engine.begin() as connection:
                for name in ("ann", "bob", "cat"):
                    connection.execute(
                        text(
                            "INSERT INTO users (username, password_hash, is_admin, is_active,"
                            " signup_time) VALUES (:name, 'h', false, true, :now)"
                        ),
                        {"name": name, "now": now},
                    )
                # Children of the rows the copies replace: dropping a parent with foreign
                # keys on would delete them.
                connection.execute(
                    text(
                        "INSERT INTO api_keys (user_id, key_hash, prefix, is_enabled,"
                        " created_at) VALUES (1, 'k', 'p', true, :now)"
                    ),
                    {"now": now},
                )
                for user_id in (1, 2, None):
                    connection.execute(
                        text(
                            "INSERT INTO pastes (user_id, title, language, contents,"
                            " deactivation_token_hash, post_time, views, is_active,"
                            " attachment_count) VALUES (:user_id, 't', 'text', 'c', 'h', :now,"
                            " 0, true, 1)"
                        ),
                        {"user_id": user_id, "now": now},
                    )
                connection.execute(
                    text(
                        "INSERT INTO attachments (paste_id, file_name, mime_type, file_size, data)"
                        " VALUES (2, 'a.txt', 'text/plain', 1, :data)"
                    ),
                    {"data": b"a"},
                )
                connection.execute(text("DELETE FROM pastes WHERE id = 3"))
                connection.execute(text("DELETE FROM users WHERE id = 3"))
            sqlite = db.engine.dialect.name == "sqlite"
            with db.engine.connect() as connection:
                before = _rows(connection)
                if sqlite:
                    indexes = _schema_objects(connection, "index")
                    triggers = _schema_objects(connection, "trigger")
            assert len(before["api_keys"]) == len(before["attachments"]) == 1

            upgrade(revision="0011")
            with db.engine.connect() as connection:
                assert _rows(connection) == before
                if sqlite:
                    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                    assert _schema_objects(connection, "index") == indexes
                    assert _schema_objects(connection, "trigger") == triggers
                    for name in ID_TABLES:
                        sql = connection.exec_driver_sql(
                            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                            (name,),
                        ).scalar_one()
                        assert "AUTOINCREMENT" in sql, name
            with db.engine.begin() as connection:
                connection.execute(text("DELETE FROM pastes WHERE id = 2"))
                new = connection.execute(
                    text(
                        "INSERT INTO pastes (title, language, contents, deactivation_token_hash,"
                        " post_time, views, is_active, attachment_count) VALUES"
                        " ('t', 'text', 'c', 'h', :now, 0, true, 0) RETURNING id"
                    ),
                    {"now": now},
                ).scalar_one()
            assert new > 2

            downgrade(revision="0010")
            with db.engine.connect() as connection:
                after = _rows(connection)
                if sqlite:
                    assert _schema_objects(connection, "index") == indexes
                    assert _schema_objects(connection, "trigger") == triggers
                    tables = connection.exec_driver_sql(
                        "SELECT group_concat(sql) FROM sqlite_master WHERE type = 'table'"
                    ).scalar_one()
                    assert "AUTOINCREMENT" not in tables
            for name in ("users", "api_keys"):
                assert after[name] == before[name]
        finally:
            db.engine.dispose()


def _rows_by_column(connection) -> dict:
    """Every row of every table but the version's, each as its (column, value) pairs:
    alike whatever order the table keeps its columns in."""
    return {
        name: sorted(
            (
                tuple(sorted(row._mapping.items()))
                for row in connection.execute(text(f"SELECT * FROM {name}"))
            ),
            key=repr,
        )
        for name in inspect(connection).get_table_names()
        if name != "alembic_version"
    }


def _paste_columns(connection) -> list:
    return [column["name"] for column in inspect(connection).get_columns("pastes")]


def test_contents_migration_keeps_every_paste_and_what_refers_to_it(scratch_database_uri):
    app = create_app(TestConfig, {"DATABASE_URI": scratch_database_uri})
    bind_migrations(app)
    now = datetime.now(UTC)
    paste = (
        "INSERT INTO pastes (user_id, title, language, contents, deactivation_token_hash,"
        " post_time, views, is_active, attachment_count, size) VALUES (:user_id, 't', 'text',"
        " :contents, 'h', :now, 3, true, 0, :size) RETURNING id"
    )
    with app.app_context():
        try:
            upgrade(revision="0018")
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO users (username, password_hash, is_admin, is_active,"
                        " signup_time) VALUES ('ann', 'h', false, true, :now)"
                    ),
                    {"now": now},
                )
                large, small, newest = (
                    connection.execute(
                        text(paste),
                        {
                            "user_id": user_id,
                            "contents": contents,
                            "size": len(contents),
                            "now": now,
                        },
                    ).scalar_one()
                    for user_id, contents in ((1, "x" * 65536), (None, "small"), (1, "gone"))
                )
                # What refers to pastes: dropping the old table with foreign keys on
                # would delete (CASCADE) or forget (SET NULL) each.
                connection.execute(
                    text(
                        "INSERT INTO attachments (paste_id, file_name, mime_type, file_size, data)"
                        " VALUES (:id, 'a.txt', 'text/plain', 1, :data)"
                    ),
                    {"id": large, "data": b"a"},
                )
                connection.execute(
                    text(
                        "INSERT INTO paste_highlights (paste_id, html, made_by)"
                        " VALUES (:id, :html, 'pygments')"
                    ),
                    {"id": large, "html": b"<pre>x</pre>"},
                )
                connection.execute(
                    text(
                        "INSERT INTO paste_reports (paste_id, reason, created_at)"
                        " VALUES (:id, 'spam', :now)"
                    ),
                    {"id": small, "now": now},
                )
                connection.execute(
                    text(
                        "INSERT INTO idempotency_keys (key_hash, request_hash, paste_id,"
                        " expires_at) VALUES ('k', 'r', :id, :now)"
                    ),
                    {"id": large, "now": now},
                )
                connection.execute(text("DELETE FROM pastes WHERE id = :id"), {"id": newest})
            sqlite = db.engine.dialect.name == "sqlite"
            with db.engine.connect() as connection:
                before = _rows_by_column(connection)
                columns = _paste_columns(connection)
                if sqlite:
                    indexes = _schema_objects(connection, "index")
                    triggers = _schema_objects(connection, "trigger")
            assert len(before["pastes"]) == 2 and len(before["paste_reports"]) == 1

            upgrade(revision="0019")
            with db.engine.connect() as connection:
                assert _rows_by_column(connection) == before
                if sqlite:
                    assert _paste_columns(connection)[-1] == "contents"
                    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                    assert _schema_objects(connection, "index") == indexes
                    assert _schema_objects(connection, "trigger") == triggers
                    sql = connection.exec_driver_sql(
                        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'pastes'"
                    ).scalar_one()
                    assert "AUTOINCREMENT" in sql and "REFERENCES users" in sql
            with db.engine.begin() as connection:
                # The id of the newest paste, deleted before the copy, is not handed out.
                again = connection.execute(
                    text(paste), {"user_id": None, "contents": "new", "size": 3, "now": now}
                ).scalar_one()
                assert again > newest
                connection.execute(
                    text(
                        "INSERT INTO paste_reports (paste_id, reason, created_at)"
                        " VALUES (:id, 'spam', :now)"
                    ),
                    {"id": again, "now": now},
                )
                # Deleting a paste still deletes what hangs on it.
                connection.execute(text("DELETE FROM pastes WHERE id = :id"), {"id": again})
            with db.engine.connect() as connection:
                assert _rows_by_column(connection) == before

            downgrade(revision="0018")
            with db.engine.connect() as connection:
                after = _rows_by_column(connection)
                assert _paste_columns(connection) == columns
                if sqlite:
                    assert _schema_objects(connection, "index") == indexes
                    assert _schema_objects(connection, "trigger") == triggers
            assert after == before
        finally:
            db.engine.dispose()
