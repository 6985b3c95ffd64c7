"""SQLite writers take turns through a lock file (pastecms.database.WriterTurns)."""

import fcntl
import os
import sqlite3
import threading

import pytest
from sqlalchemy import event, select, text, update

from pastecms import database
from pastecms.database import TurnTakingConnection, WalCheckpointer
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
    database = tmp_path / "site.db"
    (tmp_path / "site.db-writer").mkdir()  # in the way of the lock file
    connection = sqlite3.connect(database, factory=TurnTakingConnection)
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    assert connection.execute("SELECT n FROM t").fetchall() == [(1,)]
    connection.close()
    assert "will not take turns" in caplog.text


@pytest.fixture
def checkpoints(monkeypatch):
    """Each checkpoint WalCheckpointer runs, as (thread, SQLite's answer), and an event
    set after each."""
    seen = []
    done = threading.Event()
    checkpoint = WalCheckpointer.checkpoint

    def watched(checkpointer):
        answer = checkpoint(checkpointer)
        seen.append((threading.current_thread(), answer))
        done.set()
        return answer

    monkeypatch.setattr(WalCheckpointer, "checkpoint", watched)
    return seen, done


def test_the_wal_is_checkpointed_off_the_committing_thread_every_nth_write(
    tmp_path, monkeypatch, checkpoints
):
    # A file of its own: its count of writes starts at zero.
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 3)
    wakes = []
    wake = WalCheckpointer.wake

    def watched_wake(checkpointer):
        wakes.append(threading.current_thread())
        wake(checkpointer)

    monkeypatch.setattr(WalCheckpointer, "wake", watched_wake)
    seen, done = checkpoints
    connection = sqlite3.connect(tmp_path / "site.db", factory=TurnTakingConnection)
    cursor = connection.cursor()  # the app's way in (Connection.execute bypasses it)
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("CREATE TABLE t (n INTEGER)")
    for n in range(2):
        cursor.execute("INSERT INTO t VALUES (?)", (n,))
        connection.commit()
    cursor.execute("SELECT n FROM t").fetchall()  # a read is no write
    connection.commit()
    cursor.execute("INSERT INTO t VALUES (9)")  # nor is a write rolled back
    connection.rollback()
    assert wakes == []

    cursor.execute("INSERT INTO t VALUES (2)")
    connection.commit()
    # The third write woke the checkpointer and went on; its thread checkpointed the WAL.
    assert wakes == [threading.current_thread()]
    assert done.wait(timeout=10), "no checkpoint after the third write"
    [(thread, (busy, frames, checkpointed))] = seen
    assert thread is not threading.current_thread()
    assert busy == 0 and frames > 0 and checkpointed == frames
    connection.close()


def test_the_request_making_the_nth_write_does_not_run_the_checkpoint(
    engine, client, monkeypatch, checkpoints
):
    # Every statement the app's connections run, seen from new connections on.
    statements = []

    def trace(dbapi_connection, _record):
        dbapi_connection.set_trace_callback(statements.append)

    engine.dispose()
    event.listen(engine, "connect", trace)
    monkeypatch.setattr(database, "CHECKPOINT_EVERY", 1)  # every write is the Nth
    seen, done = checkpoints
    try:
        response = client.post("/api/paste/submit", json={"contents": "hello"})
    finally:
        event.remove(engine, "connect", trace)
    assert response.json["success"] is True
    assert any(statement.startswith("INSERT INTO pastes") for statement in statements)
    assert not [statement for statement in statements if "wal_checkpoint" in statement]
    assert done.wait(timeout=10), "the WAL was not checkpointed after the write"
    assert all(thread is not threading.current_thread() for thread, _ in seen)
