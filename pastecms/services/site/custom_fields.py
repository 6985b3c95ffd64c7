"""Custom fields: named pieces of text an admin stores, whose code `run` executes in the
sandbox (`pastecms.sandbox`) when the server allows it."""

import json
import logging
import signal
import subprocess
import sys

from sqlalchemy import delete, select

from pastecms import database, sandbox
from pastecms.config import settings
from pastecms.errors import (
    FeatureDisabledFailure,
    NonexistentCustomFieldFailure,
    SandboxErrorFailure,
    SandboxMemoryFailure,
    SandboxTimeoutFailure,
    SandboxViolationFailure,
)
from pastecms.extensions import db
from pastecms.models import CustomField

log = logging.getLogger("pastecms")

_FAILURES = {
    sandbox.VIOLATION: SandboxViolationFailure,
    sandbox.ERROR: SandboxErrorFailure,
    sandbox.MEMORY: SandboxMemoryFailure,
    sandbox.TIMEOUT: SandboxTimeoutFailure,
}
# Signals that end a process over its CPU time: the soft limit's, then the hard one's.
_CPU_SIGNALS = (-signal.SIGXCPU, -signal.SIGKILL)


def list_all() -> list[CustomField]:
    """Every custom field, by name."""
    return list(db.session.scalars(select(CustomField).order_by(CustomField.name)))


def save(name: str, content: str) -> None:
    """Store `content` under `name`, replacing what was there (also when two requests
    race to create it)."""
    table = CustomField.__table__
    statement = database.dialect_insert(table).values(name=name, content=content)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name], set_={"content": statement.excluded.content}
    )
    db.session.execute(statement)


def remove(name: str) -> None:
    """Delete the field `name`; `NonexistentCustomFieldFailure` when there is none."""
    removed = db.session.execute(delete(CustomField).where(CustomField.name == name)).rowcount
    if not removed:
        raise NonexistentCustomFieldFailure()


def run(name: str, variables: dict) -> str:
    """What the code of the field `name` prints, run with `variables` as its globals.

    Raises `FeatureDisabledFailure` unless CUSTOM_FIELDS_EXECUTE is on,
    `NonexistentCustomFieldFailure`, and for the run itself `SandboxViolationFailure`,
    `SandboxErrorFailure`, `SandboxMemoryFailure` or `SandboxTimeoutFailure`.
    """
    config = settings()
    if not config.custom_fields_execute:
        raise FeatureDisabledFailure("Running custom fields is switched off on this server.")
    content = db.session.scalar(select(CustomField.content).where(CustomField.name == name))
    if content is None:
        raise NonexistentCustomFieldFailure()
    answer = _sandboxed(
        {
            "code": content,
            "variables": variables,
            "cpu_seconds": config.custom_fields_cpu_seconds,
            "memory_bytes": config.custom_fields_memory_mib * 1024 * 1024,
            "max_output": config.custom_fields_max_output,
        },
        timeout=float(config.custom_fields_timeout),
    )
    if answer["outcome"] == sandbox.OK:
        return answer["output"]
    log.info("custom field %r refused: %s", name, answer["message"])
    failure = _FAILURES[answer["outcome"]]
    raise failure(f"{failure.message} {answer['message']}")


def _sandboxed(request: dict, timeout: float) -> dict:
    """Run the sandbox process on `request`; its answer, or one made for it when it was
    killed or broke down."""
    # -I: no environment variables, no user site, not the current directory on the path.
    command = [sys.executable, "-I", sandbox.__file__]
    try:
        finished = subprocess.run(
            command,
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=timeout,
            env={},
            cwd="/",
        )
    except subprocess.TimeoutExpired:
        return {"outcome": sandbox.TIMEOUT, "message": f"It ran longer than {timeout:g} s."}
    if finished.returncode in _CPU_SIGNALS:
        return {"outcome": sandbox.TIMEOUT, "message": "It used up its CPU time."}
    try:
        answer = json.loads(finished.stdout)
        if answer["outcome"] in (sandbox.OK, *_FAILURES):
            return answer
    except (ValueError, KeyError, TypeError):
        pass
    log.error(
        "custom field sandbox ended with %s: %s",
        finished.returncode,
        finished.stderr[-2000:].decode(errors="replace"),
    )
    # A process that ran out of memory outside Python's reach dies rather than answers.
    if b"MemoryError" in finished.stderr:
        return {"outcome": sandbox.MEMORY, "message": "It ran out of memory."}
    return {"outcome": sandbox.ERROR, "message": "The sandbox process broke down."}
