"""Files the app creates are not readable by other users, whatever the umask: the
database holds paste contents and password hashes."""

import os
import stat

import pytest
from sqlalchemy import text

from config import TestConfig
from pastecms import create_app
from pastecms.extensions import db


@pytest.fixture
def open_umask():
    """The most permissive umask, so that only the app's own modes protect its files."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def others_may_read(path) -> bool:
    return bool(os.stat(path).st_mode & stat.S_IRWXO)


def test_the_sqlite_database_and_its_companions_are_private(tmp_path, open_umask):
    database = tmp_path / "private.db"
    app = create_app(TestConfig, {"DATABASE_URI": f"sqlite:///{database}"})
    with app.app_context():
        try:
            db.session.execute(text("CREATE TABLE t (x INTEGER)"))
            db.session.execute(text("INSERT INTO t VALUES (1)"))
            db.session.commit()
            names = sorted(path.name for path in tmp_path.iterdir())
            assert names == ["private.db", "private.db-shm", "private.db-wal", "private.db-writer"]
            for path in tmp_path.iterdir():
                assert not others_may_read(path), path
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_instance_folder_is_created_private(tmp_path, open_umask, monkeypatch):
    monkeypatch.setattr(
        "flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "instance")
    )
    create_app(TestConfig, {"DATABASE_URI": "sqlite://"})
    assert not others_may_read(tmp_path / "instance")


def test_shipped_units_set_a_umask():
    from tests.live import ROOT

    for unit in ("pastecms.service", "pastecms-purge.service"):
        assert "\nUMask=0027\n" in (ROOT / "deploy" / unit).read_text()
