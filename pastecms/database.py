"""Per-connection database settings, and SQLite writers taking turns across processes."""

import atexit
import fcntl
import functools
import itertools
import json
import logging
import os
import re
import sqlite3
import threading
import time
from pathlib import Path

from flask import Flask, g, has_app_context
from sqlalchemy import Table, case, event, func, literal, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from pastecms.extensions import db

log = logging.getLogger("pastecms")

#: Files the app creates: readable by its own group (a backup user, say), never by
#: everyone (the database holds paste contents and password hashes).
PRIVATE_FILE = 0o640
PRIVATE_DIRECTORY = 0o750

# How long a writer waits for another to finish before its write fails as "database is
# locked": far longer than any request's transaction.
BUSY_TIMEOUT_S = 10
# Statements after which pysqlite holds SQLite's write lock until commit or rollback (the
# ones it opens a transaction for itself).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# A process checkpoints a database's WAL after this many of its write transactions
# there: with a few pages each, about as often as SQLite's default of every 1,000 pages.
CHECKPOINT_EVERY = 100
_BACKSTOP_CHECKPOINT_PAGES = 10_000


def _tune_sqlite(dbapi_connection, _record):
    # WAL lets readers and one writer work at once across gunicorn workers; NORMAL
    # syncs at checkpoints rather than on every commit, safe in WAL; the busy timeout
    # makes a second writer wait for the lock instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Checkpoints are run by WalCheckpointer's thread; SQLite's own, which would run
    # inside a commit, with the writers' turn still held and the request waiting, is
    # only a backstop for a run of very large writes.
    cursor.execute(f"PRAGMA wal_autocheckpoint={_BACKSTOP_CHECKPOINT_PAGES}")
    cursor.close()


class WriterTurns:
    """A lock file beside an SQLite database that its writers take in turn.

    SQLite admits one writer at a time. A second writer that finds the lock taken is sent
    to SQLite's busy handler, which sleeps 1 ms, then 2, then 5... before it looks again,
    while the first writer is done in a tenth of that: with two gunicorn workers counting
    views, a third of their time went to those sleeps (`make bench`, issue 8). A writer
    here first takes an exclusive `flock` on this file, looking again after 20 µs and
    backing off to 1 ms, so that it starts soon after the last writer's commit and then
    finds SQLite's lock free.

    Every writer through this app takes the file lock before SQLite's lock, and nothing
    takes it in the other order, so the two cannot deadlock; a writer the file lock does
    not cover (the sqlite3 shell, say) still meets SQLite's busy handler as before. The
    kernel drops the lock of a process that dies. After `timeout` seconds the writer goes
    on without it and SQLite's own busy timeout decides, as it would without this.
    """

    timeout = BUSY_TIMEOUT_S

    @staticmethod
    def open(database_path: str) -> int | None:
        """The lock file's descriptor, or None when it cannot be opened (then this
        connection's writers meet SQLite's busy handler, as without turns).

        `flock` needs no write permission, so the file is opened read-only: one created
        by another user of the service's group still serves the service's workers.
        """
        try:
            return os.open(
                database_path + "-writer", os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE
            )
        except OSError as error:
            log.warning("SQLite writers will not take turns: %s", error)
            return None

    def take(self, fd: int) -> bool:
        deadline = None
        pause = 20e-6
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            now = time.monotonic()
            if deadline is None:
                deadline = now + self.timeout
            elif now >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 1e-3)

    @staticmethod
    def give_back(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class WalCheckpointer:
    """Checkpoints one SQLite database's WAL from a thread of its own, one per database
    file and process, woken after every CHECKPOINT_EVERY write transactions the process
    commits there.

    SQLite's automatic checkpoint runs inside the commit that crosses its threshold, with
    the writers' turn held, so every other writer waits for it to copy pages and sync the
    file (p99 of details 17 ms with it, 4 ms without; issue 8); and run by the connection
    that committed, after its turn, it still kept that request waiting (issue 30). Here
    the committing request only counts its write, and a PASSIVE checkpoint, which takes
    no writer's lock and waits for nobody, goes on beside the next requests (pysqlite lets
    go of the GIL while SQLite works). So the WAL is copied back and can start again from
    its beginning at least every CHECKPOINT_EVERY writes, and does not grow without bound;
    SQLite's own checkpoint stays off but as a backstop (`_tune_sqlite`).

    The thread starts with the first checkpoint it is needed for, in the process that
    needs it (a gunicorn worker, not the master it was forked from: a child forgets the
    parent's threads), opens a connection of its own for each checkpoint and closes it
    after, so that it holds nothing between checkpoints, and is stopped at exit. A write
    the thread is still catching up with is covered by the next checkpoint: wakes come
    together, never queue up.
    """

    _registry_lock = threading.Lock()
    _by_path: dict[str, "WalCheckpointer"] = {}

    def __init__(self, path: str):
        self.path = path
        self._writes = itertools.count(1)
        self._forget_thread()

    def _forget_thread(self) -> None:
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False

    @classmethod
    def of(cls, path: str) -> "WalCheckpointer":
        """The checkpointer of the database file at `path` in this process."""
        path = os.path.realpath(path)
        with cls._registry_lock:
            found = cls._by_path.get(path)
            if found is None:
                found = cls._by_path[path] = cls(path)
            return found

    def count_write(self) -> None:
        """Count a committed write transaction; every CHECKPOINT_EVERY-th wakes the
        thread. (`next` on a count is atomic under the GIL: no lock on this path.)"""
        if next(self._writes) % CHECKPOINT_EVERY == 0:
            self.wake()

    def wake(self) -> None:
        with self._registry_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"wal-checkpoint {self.path}", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            self.checkpoint()

    def checkpoint(self) -> tuple | None:
        """Run a PASSIVE checkpoint on a connection of its own and return SQLite's
        answer, (busy, frames in the WAL, frames checkpointed); None when it failed (the
        next checkpoint catches up)."""
        try:
            # Read-write, never create: a file removed since is not made anew, empty.
            uri = Path(self.path).as_uri() + "?mode=rw"
            connection = sqlite3.connect(uri, uri=True, isolation_level=None)
            try:
                return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                connection.close()
        except sqlite3.Error as error:
            log.warning("WAL checkpoint failed: %s", error)
            return None

    def stop(self, timeout: float = BUSY_TIMEOUT_S) -> None:
        """Stop the thread for good (at exit), letting a checkpoint under way finish."""
        thread = self._thread
        if thread is None:
            return
        self._stopping = True
        self._wake.set()
        thread.join(timeout)

    @classmethod
    def _stop_all(cls) -> None:
        for checkpointer in list(cls._by_path.values()):
            checkpointer.stop()

    @classmethod
    def _after_fork(cls) -> None:
        # The child has the parent's objects but none of its threads (and the lock may
        # have been held by one of them at the fork).
        cls._registry_lock = threading.Lock()
        for checkpointer in cls._by_path.values():
            checkpointer._forget_thread()


atexit.register(WalCheckpointer._stop_all)
os.register_at_fork(after_in_child=WalCheckpointer._after_fork)


class TurnTakingConnection(sqlite3.Connection):
    """pysqlite's connection to an SQLite file, taking the writers' turn before the first
    write of a transaction and giving it back when the transaction ends; each write
    transaction it commits is counted towards the file's next WAL checkpoint
    (WalCheckpointer), which runs off the request.
    """

    turns = WriterTurns()

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        path = os.fsdecode(database)
        in_memory = path in ("", ":memory:") or kwargs.get("uri")
        self._turn_fd = None if in_memory else self.turns.open(path)
        self._checkpointer = None if in_memory else WalCheckpointer.of(path)
        self._writing = False  # this transaction has written
        self._has_turn = False

    def cursor(self, factory=None):
        return super().cursor(factory or TurnTakingCursor)

    def before_statement(self, sql: str) -> None:
        if self._writing or self._checkpointer is None:
            return
        if sql.lstrip()[:7].upper().startswith(_WRITES):
            self._writing = True
            if self._turn_fd is not None:
                self._has_turn = self.turns.take(self._turn_fd)

    def _end_transaction(self) -> None:
        self._writing = False
        if self._has_turn:
            self._has_turn = False
            self.turns.give_back(self._turn_fd)

    def commit(self):
        wrote = self._writing
        try:
            super().commit()
        finally:
            self._end_transaction()
        if wrote:
            self._checkpointer.count_write()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._end_transaction()

    def close(self):
        try:
            super().close()
        finally:
            self._end_transaction()
            if self._turn_fd is not None:
                os.close(self._turn_fd)
                self._turn_fd = None


class TurnTakingCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=()):
        self.connection.before_statement(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        self.connection.before_statement(sql)
        return super().executemany(sql, seq_of_parameters)


#: Seconds a pooled PostgreSQL connection is used before it is replaced: a firewall or
#: proxy that drops idle connections after an hour never gets one.
POOL_RECYCLE_S = 1800


def engine_options(uri: str, pool_size: int, connect_timeout: float = 3) -> dict:
    """SQLAlchemy engine options for the database at `uri`.

    Statement parameters are kept out of errors and logs (`hide_parameters`): they hold
    paste contents and password hashes. JSON columns keep text outside ASCII as it is,
    so that searching them finds it.

    On PostgreSQL, no ping per checkout (`pool_pre_ping` cost a round trip on every
    request): connections are recycled every POOL_RECYCLE_S, and one found dead is met
    the way SQLAlchemy documents as optimistic disconnect handling: the error
    invalidates it and every pooled connection opened before it, the request is
    retried once when it is a safe read (`api.endpoint`) and otherwise answered with
    the named 503 (`is_unavailable`), and the next request gets a fresh connection.
    `connect_timeout` bounds opening a connection, and libpq's `tcp_user_timeout` how
    long the server may leave what was sent unacknowledged, so a dead host fails a
    request within seconds instead of hanging it.
    """
    common = {"hide_parameters": True, "json_serializer": _json_text}
    if uri.startswith("sqlite"):
        return {"connect_args": {"factory": TurnTakingConnection}, **common}
    timeout = max(1, round(connect_timeout))
    connect = {"connect_timeout": timeout, "tcp_user_timeout": timeout * 1000}
    if uri.startswith("postgresql+psycopg:"):
        connect["cursor_factory"] = _cursor_beginning_at_the_first_write()
    return {
        "pool_size": pool_size,
        "pool_recycle": POOL_RECYCLE_S,
        "connect_args": connect,
        **common,
    }


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be used now rather than that a statement
    is wrong: a connection refused, closed by the server, shut down by its administrator
    or timed out (psycopg's OperationalError, or any error SQLAlchemy took for a
    disconnect), or no pooled connection free in time; on SQLite, a file that cannot be
    opened or a write lock not had within the busy timeout. Answered with the named 503.
    SQLite's other OperationalErrors (no such table, say) are bugs, not outages."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.Error):
        return getattr(error.orig, "sqlite_errorname", "").startswith(_SQLITE_OUTAGES)
    return isinstance(error, OperationalError)


_SQLITE_OUTAGES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN")


def retryable(error: DBAPIError) -> bool:
    """Whether a request that met `error` may run again from the start on a new
    connection: its connection was found dead while running a statement (not its
    COMMIT, whose fate is unknown), so nothing of its transaction was kept, and no
    write of it had committed on its own before (`commits_alone`). A write that was to
    commit on its own and met the dead connection most likely never reached the server
    (a pooled connection ended while idle); at worst the server ran it before the
    connection broke, and a safe request's only such writes count a view or a visit,
    which then counts twice."""
    return (
        error.connection_invalidated
        and error.statement is not None
        and not g.get(_COMMITTED_ALONE, False)
    )


def outage_note(error: BaseException) -> str:
    """What an outage's log line says: the driver's message for a connection that failed
    or broke (it names a host and a reason, never data), else `without_values`'s."""
    if not isinstance(error, DBAPIError):
        return str(error)
    diagnosis = getattr(error.orig, "diag", None)
    if error.connection_invalidated or getattr(diagnosis, "sqlstate", "") is None:
        return f"{type(error.orig).__name__}: {str(error.orig).strip()}"
    return str(without_values(error).orig)


def relaxed_commit_if(condition):
    """A column for the RETURNING of a PostgreSQL write: where `condition` holds for the
    returned row, the transaction commits without waiting for its WAL flush
    (`set_config('synchronous_commit', 'off', true)` is `SET LOCAL synchronous_commit =
    off`: this transaction only), without a round trip of its own; elsewhere it sets the
    setting to what it is. For counters alone (views, visits): a crash of the server may
    lose their last fraction of a second of increments, never half-apply them, and every
    other transaction (pastes, users, keys, articles) stays durable. SQLite already
    syncs only at checkpoints. PostgreSQL only."""
    setting = "synchronous_commit"
    relaxed = case((condition, literal("off")), else_=func.current_setting(setting))
    return func.set_config(setting, relaxed, true()).label("relaxed_commit")


# What marks a write as `commits_alone`: a comment after its first keyword, which the
# cursor finds in the statement's text (and which a server's log shows).
_ALONE = "/* commits alone */"
# The flag (on `g`) of a request one of whose writes committed alone.
_COMMITTED_ALONE = "pastecms_committed_alone"
# Row locks a SELECT may take, which must last until its transaction's end.
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b", re.IGNORECASE)


def commits_alone(statement):
    """`statement`, a write, marked as one that may commit on its own: on PostgreSQL,
    run while the request has no transaction open (it has written nothing yet), it is a
    transaction of its own, committed as it runs, which saves the BEGIN and COMMIT
    round trips of an explicit one. Only for a write whose effect needs no atomicity
    with anything its request does after it, not even with the request's failing: a
    count (of a view, a visit). Run inside an open transaction, or on SQLite, it joins
    the transaction as any statement does."""
    return statement.prefix_with(_ALONE)


@functools.lru_cache(maxsize=1024)
def is_plain_read(sql: str) -> bool:
    """Whether `sql` only reads and locks nothing: a SELECT (or SHOW) without FOR UPDATE
    or FOR SHARE. Under READ COMMITTED every statement reads its own snapshot anyway,
    so such a statement run as a transaction of its own reads what it would have read
    in the request's. (Cached: SQLAlchemy hands over the same few statements' text.)"""
    head = sql.lstrip()[:6].upper()
    if head.startswith("SHOW"):
        return True
    return head == "SELECT" and _LOCKING.search(sql) is None


@functools.cache
def _cursor_beginning_at_the_first_write():
    """A psycopg cursor class that, before each statement while no transaction is open,
    picks the connection's `autocommit`: a plain read or a write marked
    `commits_alone` runs in autocommit (one round trip: the statement, committed by
    the server as it ends); any other write opens the transaction, which psycopg
    begins before it and every later statement joins until the commit. A read before
    the first write thus costs no BEGIN, and a request that writes nothing no BEGIN
    nor COMMIT. psycopg's `autocommit` is an attribute of the client: switching it
    costs no round trip, and it may only switch with no transaction open.

    Given to psycopg as its `cursor_factory`, as SQLAlchemy documents for psycopg's
    ClientCursor, rather than run from a SQLAlchemy event: with any statement event
    listened to, SQLAlchemy takes its slower path at every execution (about 0.3 M
    more instructions a request, bench/instructions.py on PostgreSQL)."""
    from psycopg import Cursor
    from psycopg.pq import TransactionStatus

    idle = TransactionStatus.IDLE

    class BeginAtTheFirstWrite(Cursor):
        def execute(self, query, params=None, **kwargs):
            alone = False
            connection = self.connection
            if connection.pgconn.transaction_status == idle:
                # SQLAlchemy sends text; anything else (psycopg's composed SQL) is
                # taken for a write.
                text = isinstance(query, str)
                alone = text and _ALONE in query
                autocommit = alone or (text and is_plain_read(query))
                if connection.autocommit != autocommit:
                    connection.autocommit = autocommit
            result = super().execute(query, params, **kwargs)
            if alone and has_app_context():
                setattr(g, _COMMITTED_ALONE, True)
            return result

        def executemany(self, query, params_seq, **kwargs):
            # Several rows of a write: always in the transaction.
            connection = self.connection
            if connection.pgconn.transaction_status == idle and connection.autocommit:
                connection.autocommit = False
            return super().executemany(query, params_seq, **kwargs)

    return BeginAtTheFirstWrite


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# SQLSTATE of a unique violation (PostgreSQL and the standard), and SQLite's names for
# the same (a unique index, or a primary key).
_UNIQUE_SQLSTATE = "23505"
_UNIQUE_SQLITE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether an IntegrityError is a unique constraint refusing a duplicate (a race for
    a name), rather than any other broken constraint (a bug)."""
    original = error.orig
    if getattr(original, "sqlstate", None) == _UNIQUE_SQLSTATE:
        return True
    return getattr(original, "sqlite_errorname", None) in _UNIQUE_SQLITE


class WithheldDatabaseError(Exception):
    """What a database's error said, less anything that may quote the data (the driver's
    message is replaced by `without_values`)."""


def without_values(error: DBAPIError) -> DBAPIError:
    """A copy of a database error fit for the log: the same class, statement and
    traceback, but neither the parameters (`hide_parameters` keeps them out already) nor
    the driver's message, which PostgreSQL fills with the failing row ("DETAIL: Failing
    row contains (...)": paste contents, password hashes). It keeps what names the fault:
    the SQLSTATE and the table, column and constraint, or SQLite's message, which names
    columns, never values."""
    original = error.orig
    diagnosis = getattr(original, "diag", None)
    if diagnosis is not None:
        names = (
            ("table", diagnosis.table_name),
            ("column", diagnosis.column_name),
            ("constraint", diagnosis.constraint_name),
        )
        said = f"SQLSTATE {diagnosis.sqlstate}" + "".join(
            f", {kind} {name}" for kind, name in names if name
        )
    elif isinstance(original, sqlite3.Error):
        said = f"{getattr(original, 'sqlite_errorname', 'SQLITE_ERROR')}: {original}"
    else:
        said = "(message withheld: it may quote the data)"
    withheld = WithheldDatabaseError(f"{type(original).__name__}: {said}")
    copy = type(error)(error.statement, None, withheld, hide_parameters=True)
    copy.__traceback__ = error.__traceback__
    copy.__suppress_context__ = True  # the driver's own error, chained, would say it all
    return copy


def dialect_insert(table: Table):
    """An INSERT into `table` for the session's database, with its `on_conflict_do_nothing`
    and `on_conflict_do_update` (SQLite and PostgreSQL spell them alike)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def create_private_file(path: str) -> None:
    """Create an empty file at `path` readable only by its owner and group, unless there is
    one already. SQLite takes an empty file as an empty database, and gives its -wal and
    -shm files the database file's permissions."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE))
    except OSError:
        # There already, or it cannot be made (no such folder, say): SQLite's own opening
        # tells, as the health check does.
        pass


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _tune_sqlite)
            path = engine.url.database
            # A database file of its own (not in memory, nor a URI naming its own mode).
            if path and path != ":memory:" and not path.startswith("file:"):
                create_private_file(path)
