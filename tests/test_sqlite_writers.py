"""SQLite writers take turns through a lock file (pastecms.database.WriterTurns)."""

import fcntl
import os
import threading

import pytest
from sqlalchemy import select, text, update

from pastecms import database
from pastecms.database import TurnTakingConnection
from pastecms.extensions import db
from pastecms.models import Paste


@pytest.fixture
def engine(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("writer turns are for SQLite files")
    with app.app_context():
        yield db.engine


@pytest.fixture
def turn_file(engine):
    path = engine.url.database + "-writer"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    yield fd
    os.close(fd)


def _turn_is_free(fd) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def _count_a_view():
    return update(Paste).values(views=Paste.views + 1)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_write_holds_the_turn_until_its_transaction_ends(engine, turn_file, make_paste, end):
    make_paste()
    connection = engine.connect()
    connection.execute(select(Paste.id)).all()
    assert _turn_is_free(turn_file), "a read must not take the writers' turn"

    connection.execute(_count_a_view())
    assert not _turn_is_free(turn_file)

    getattr(connection, end)()
    assert _turn_is_free(turn_file)
    connection.close()


def test_a_writer_waits_for_the_turn_and_then_writes(engine, turn_file, make_paste):
    make_paste()
    fcntl.flock(turn_file, fcntl.LOCK_EX)
    done = threading.Event()

    def write():
        with engine.begin() as connection:
            connection.execute(_count_a_view())
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert not done.wait(0.3), "the write went ahead while another writer had the turn"
    finally:
        fcntl.flock(turn_file, fcntl.LOCK_UN)
    writer.join(timeout=10)
    assert done.is_set()
    with engine.connect() as connection:
        assert connection.scalar(select(Paste.views)) == 1


def test_a_writer_goes_on_without_the_turn_after_the_timeout(
    engine, turn_file, make_paste, monkeypatch
):
    # A writer outside the app holding the lock file forever must not stop the app: after
    # the timeout it goes on, and SQLite's own locking decides as it always did.
    make_paste()
    monkeypatch.setattr(TurnTakingConnection.turns, "timeout", 0.05)
    fcntl.flock(turn_file, fcntl.LOCK_EX)
    try:
        with engine.begin() as connection:
            connection.execute(_count_a_view())
    finally:
        fcntl.flock(turn_file, fcntl.LOCK_UN)
    with engine.connect() as connection:
        assert connection.scalar(select(Paste.views)) == 1


def test_an_in_memory_database_takes_no_turns(tmp_path, monkeypatch):
    import sqlite3

    # A lock file for ":memory:" would be made relative to the working directory.
    monkeypatch.chdir(tmp_path)
    connection = sqlite3.connect(":memory:", factory=TurnTakingConnection)
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    assert connection.execute("SELECT n FROM t").fetchall() == [(1,)]
    connection.close()
    assert list(tmp_path.iterdir()) == []


def test_two_writers_through_the_app_never_fail(engine, make_paste):
    # Both connections write in turn; neither meets "database is locked".
    make_paste()
    errors = []

    def write_many():
        try:
            for _ in range(50):
                with engine.begin() as connection:
                    connection.execute(_count_a_view())
                    connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    writers = [threading.Thread(target=write_many) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert errors == []
    with engine.connect() as connection:
        assert connection.scalar(select(Paste.views)) == 100


def test_a_lock_file_that_cannot_be_opened_only_costs_the_turns(tmp_path, caplog):
    import sqlite3

    database = tmp_path / "site.db"
    (tmp_path / "site.db-writer").mkdir()  # in the way of the lock file
    connection = sqlite3.connect(database, factory=TurnTakingConnection)
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    assert connection.execute("SELECT n FROM t").fetchall() == [(1,)]
    connection.close()
    assert "will not take turns" in caplog.text


def test_the_wal_is_checkpointed_after_the_turn_is_given_back(
    engine, turn_file, make_paste, monkeypatch
):
    make_paste()
    engine.dispose()  # a fresh connection, its count of writes at zero
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 3)
    turn_free_at_checkpoint = []
    checkpoint = TurnTakingConnection._checkpoint

    def watched_checkpoint(connection):
        turn_free_at_checkpoint.append(_turn_is_free(turn_file))
        checkpoint(connection)

    monkeypatch.setattr(TurnTakingConnection, "_checkpoint", watched_checkpoint)
    with engine.connect() as connection:
        for _ in range(2):
            connection.execute(_count_a_view())
            connection.commit()
        connection.execute(select(Paste.id)).all()  # a read is no write
        connection.commit()
        connection.execute(_count_a_view())  # nor is a write rolled back
        connection.rollback()
        assert turn_free_at_checkpoint == []

        connection.execute(_count_a_view())
        connection.commit()
        # The third write checkpointed, with the turn already given back.
        assert turn_free_at_checkpoint == [True]
