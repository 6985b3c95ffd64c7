"""`pastecms backup DEST`: a backup taken while the server keeps writing restores into a
fresh instance where everything acknowledged before the backup began is there."""

import base64
import io
import os
import shutil
import subprocess
import threading
import time
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from config import TestConfig
from pastecms import create_app
from pastecms.cli import main
from pastecms.extensions import bind_migrations, db
from pastecms.services.identity import user as user_service
from pastecms.services.operations import backup as backup_service
from tests.live import empty_database

PNG = b"\x89PNG\r\n\x1a\n"
KEYS = {"SECRET_KEY": "backup-test-secret-" + "b" * 32, "RATELIMIT_ENABLED": False}


def migrated_app(uri):
    """An app on the database at `uri`, upgraded to the head revision (`db upgrade`)."""
    app = create_app(TestConfig, {"DATABASE_URI": uri, **KEYS})
    bind_migrations(app)
    with app.app_context():
        upgrade()
    return app


def close(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Writer(threading.Thread):
    """Submits pastes and CMS articles and images, one after another, until stopped;
    notes each the server acknowledged, and when."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.client = app.test_client()
        with app.app_context():
            key = user_service.create("editor", "correct horse", is_admin=True).api_key
            db.session.commit()
        self.bearer = {"Authorization": f"Bearer {key}"}
        self.acknowledged = []  # (when, kind, id, what was sent)
        self.stop = threading.Event()
        self.failed = None

    def run(self):
        try:
            while not self.stop.is_set():
                self.write_one()
        except Exception as error:  # shown by the test, never swallowed
            self.failed = error

    def write_one(self):
        mark = uuid.uuid4().hex
        answer = self.client.post("/api/paste/submit", json={"contents": f"paste {mark}"})
        assert answer.status_code == 200, answer.json
        self.note("paste", answer.json["paste_id_repr"], f"paste {mark}")
        answer = self.client.post(
            "/v1/articles",
            json={"title": f"Article {mark}", "content": f"Body {mark}"},
            headers=self.bearer,
        )
        assert answer.status_code == 201, answer.json
        self.note("article", answer.json["hash"], f"Body {mark}")
        image = PNG + mark.encode()
        answer = self.client.post(
            "/v1/images",
            data={"file": (io.BytesIO(image), f"{mark}.png", "image/png")},
            headers=self.bearer,
        )
        assert answer.status_code == 201, answer.json
        self.note("image", answer.json["id"], base64.b64encode(image).decode())

    def note(self, kind, key, what):
        self.acknowledged.append((time.monotonic(), kind, key, what))

    def wait_for(self, count):
        deadline = time.monotonic() + 60
        while len(self.acknowledged) < count and self.failed is None:
            assert time.monotonic() < deadline, "the writer is stuck"
            time.sleep(0.01)


def back_up_under_load(app, destination) -> tuple[float, Writer, str]:
    """Run `backup DEST` while a writer keeps writing; (when it began, the writer, what
    the command printed)."""
    writer = Writer(app)
    writer.start()
    try:
        writer.wait_for(30)
        began = time.monotonic()
        result = app.test_cli_runner().invoke(args=["backup", str(destination)])
        writer.wait_for(len(writer.acknowledged) + 6)  # and it still writes after
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.failed is None, writer.failed
    assert result.exit_code == 0, result.output
    return began, writer, result.output


def assert_restored(app, began, writer):
    """Every paste, article and image acknowledged before `began` reads back from `app`."""
    client = app.test_client()
    before = [entry for entry in writer.acknowledged if entry[0] < began]
    assert {kind for _, kind, _, _ in before} == {"paste", "article", "image"}
    for _, kind, key, what in before:
        if kind == "paste":
            answer = client.post("/api/paste/details", json={"paste_id": key})
            assert answer.status_code == 200, (key, answer.json)
            assert answer.json["contents"] == what
        elif kind == "article":
            answer = client.get(f"/v1/articles/{key}", headers=writer.bearer)
            assert answer.status_code == 200, (key, answer.json)
            assert answer.json["content"] == what
        else:
            answer = client.get(f"/v1/images/{key}/file")
            assert answer.status_code == 200, key
            assert answer.data == base64.b64decode(what)
    return len(before)


def test_a_sqlite_backup_under_writes_restores_everything_acknowledged(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    app = migrated_app(f"sqlite:///{served}/pastecms.db")
    try:
        began, writer, output = back_up_under_load(app, tmp_path / "backup.db")
    finally:
        close(app)
    assert "SQLite's online backup" in output and "PASTECMS_SECRET_KEY" in output
    assert oct(os.stat(tmp_path / "backup.db").st_mode & 0o777) == "0o640"
    assert not (tmp_path / "backup.db-wal").exists()

    # A fresh instance folder, the backup as its database, `db upgrade`, then read.
    fresh = tmp_path / "fresh-instance"
    fresh.mkdir()
    shutil.copy(tmp_path / "backup.db", fresh / "pastecms.db")
    restored = migrated_app(f"sqlite:///{fresh}/pastecms.db")
    try:
        assert assert_restored(restored, began, writer) >= 30
    finally:
        close(restored)


def test_a_backup_never_overwrites_a_file(tmp_path):
    (tmp_path / "there.db").write_text("keep me")
    with pytest.raises(backup_service.BackupError, match="exists already"):
        backup_service.backup(f"sqlite:///{tmp_path}/x.db", str(tmp_path / "there.db"))
    assert (tmp_path / "there.db").read_text() == "keep me"


def test_without_pg_dump_the_command_to_run_is_printed(monkeypatch, tmp_path):
    monkeypatch.setattr(backup_service.shutil, "which", lambda name: None)
    with pytest.raises(backup_service.BackupError) as refused:
        backup_service.backup(
            "postgresql+psycopg://pastecms:secret@db.example:5432/pastecms",
            str(tmp_path / "dump.pgc"),
        )
    said = str(refused.value)
    assert (
        'Run: PGPASSWORD="..." pg_dump --format=custom --no-password '
        f"--file={tmp_path}/dump.pgc postgresql://pastecms@db.example:5432/pastecms"
    ) in said
    assert "secret" not in said


def test_the_pastecms_command_has_backup():
    from click.testing import CliRunner

    listed = CliRunner().invoke(main, ["backup", "--help"])
    assert listed.exit_code == 0, listed.output
    assert "Back up the database" in listed.output


def _postgresql_uri():
    uri = os.environ.get("PASTECMS_TEST_DATABASE_URI", "")
    if not uri.startswith("postgresql"):
        pytest.skip("PostgreSQL only: set PASTECMS_TEST_DATABASE_URI to a postgresql URL")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed (postgresql-client)")
    return make_url(uri)


def _fresh_database(url, name):
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name)


def test_a_postgresql_dump_under_writes_restores_everything_acknowledged(tmp_path):
    url = _postgresql_uri()
    source = _fresh_database(url, f"{url.database}_backup_source")
    target = _fresh_database(url, f"{url.database}_backup_restored")
    source_uri = source.render_as_string(hide_password=False)
    target_uri = target.render_as_string(hide_password=False)
    app = migrated_app(source_uri)
    try:
        began, writer, output = back_up_under_load(app, tmp_path / "dump.pgc")
    finally:
        close(app)
    assert "pg_dump --format=custom" in output

    # As the README says: pg_restore into a new, empty database, then `db upgrade`.
    conninfo = backup_service.pg_dump_command(target, "-")[0][-1]  # no password in it
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(tmp_path / "dump.pgc"),
        ],
        env={**os.environ, **({"PGPASSWORD": target.password} if target.password else {})},
        check=True,
        capture_output=True,
    )
    restored = migrated_app(target_uri)
    try:
        assert assert_restored(restored, began, writer) >= 30
        with restored.app_context():
            # Sequences came along: a new paste gets an id no restored one has.
            assert db.session.execute(text("SELECT count(*) FROM pastes")).scalar() >= 10
            answer = restored.test_client().post("/api/paste/submit", json={"contents": "new"})
            assert answer.status_code == 200
    finally:
        close(restored)
        empty_database(source_uri)
        empty_database(target_uri)
