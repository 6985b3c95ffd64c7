"""Backups of the database, which holds everything pastecms stores: pastes, their
attachments, articles, CMS images and Qexo files are rows, never files on disk.

- SQLite: Python's `sqlite3` online backup API, in one step, so the copy is the database
  as it stood when the step began (a read transaction: in WAL mode the server's writers
  go on meanwhile, and what they commit after is not in the copy).
- PostgreSQL: `pg_dump --format=custom`, which dumps from one snapshot as well, run when
  it is on PATH; otherwise the exact command to run is the refusal's message.

What the database does not hold: the secret key (PASTECMS_SECRET_KEY, or
PASTECMS_PASTE_ID_KEY), which keys the paste id cipher. A restore under another key
gives every paste another public id, so the key is kept with the backups.
"""

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url

from pastecms.database import PRIVATE_FILE


class BackupError(Exception):
    """A backup that could not be made: the message says why and what to do."""


@dataclass(frozen=True)
class Made:
    """A backup written to `path`: `size` bytes, by `how` (what the command reports)."""

    path: str
    size: int
    how: str


def backup(database_uri: str, destination: str) -> Made:
    """Back up the database at `database_uri` to the file `destination`, which must not
    exist yet. Returns what was made; raises `BackupError`."""
    url = make_url(database_uri)
    if os.path.lexists(destination):
        raise BackupError(f"{destination} exists already: name a new file.")
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite(url, destination)
    if backend == "postgresql":
        return _postgresql(url, destination)
    raise BackupError(f"No backup for {backend} databases: use that database's own tools.")


def _sqlite(url: URL, destination: str) -> Made:
    source_path = url.database
    if not source_path or source_path == ":memory:" or source_path.startswith("file:"):
        raise BackupError("The database is not an SQLite file: there is nothing to copy.")
    if not os.path.exists(source_path):
        raise BackupError(f"There is no database at {source_path}.")
    partial = destination + ".partial"
    _create_private(partial)
    try:
        source = sqlite3.connect(source_path, timeout=30)
        copy = sqlite3.connect(partial)
        try:
            # pages=-1: every page in one step, from one read transaction. In steps, a
            # write by the server between two steps would restart the copy, and a busy
            # server could keep it from ever finishing.
            source.backup(copy, pages=-1)
            # One self-contained file: the copy leaves WAL mode (no -wal beside it).
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
            checked = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
            source.close()
        if checked != "ok":
            raise BackupError(f"The copy failed SQLite's check: {checked}.")
        _sync(partial)
        os.replace(partial, destination)
    except BaseException:
        _remove(partial)
        raise
    return Made(destination, os.path.getsize(destination), "SQLite's online backup")


def pg_dump_command(url: URL, destination: str) -> tuple[list[str], dict]:
    """The pg_dump command line that dumps the database at `url` to `destination`, and
    the environment it needs (the password, kept out of the command line, where every
    user of the machine could read it)."""
    conninfo = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    command = [
        "pg_dump",
        "--format=custom",
        "--no-password",
        f"--file={destination}",
        conninfo.render_as_string(hide_password=False),
    ]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return command, env


def shown(command: list[str], env: dict) -> str:
    """A command as a shell line, with the password as a variable to fill in."""
    import shlex

    prefix = 'PGPASSWORD="..." ' if env else ""
    return prefix + shlex.join(command)


def _postgresql(url: URL, destination: str) -> Made:
    command, env = pg_dump_command(url, destination + ".partial")
    final, _ = pg_dump_command(url, destination)
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError(
            "pg_dump is not installed here (Debian: apt-get install postgresql-client, of "
            f"the server's major version or newer). Run: {shown(final, env)}"
        )
    _create_private(destination + ".partial")
    try:
        result = subprocess.run(
            [program, *command[1:]],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        _sync(destination + ".partial")
        os.replace(destination + ".partial", destination)
    except BaseException:
        _remove(destination + ".partial")
        raise
    return Made(destination, os.path.getsize(destination), "pg_dump --format=custom")


def _create_private(path: str) -> None:
    # The copy holds paste contents and password hashes: the database's own permissions.
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE))
    except FileExistsError:
        raise BackupError(
            f"{path} exists: another backup is being written, or was cut short (remove it)."
        ) from None
    except OSError as error:
        raise BackupError(f"Cannot write {path}: {error.strerror}.") from None


def _sync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
