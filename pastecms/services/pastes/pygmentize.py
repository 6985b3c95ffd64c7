"""Pygments within a CPU budget, in this process or in a child process (one a paste, or
one that stays: `Highlighter`).

Pygments lexers are regular expressions tried in a loop, and several are quadratic on some
inputs (java, make, systemd... take tens of seconds on 32 KiB of "a "). A check between
tokens would not bound that, as one long match runs inside the regex engine. A timer
outside the loop does: on the main thread (gunicorn's sync workers, the CLI, the tests) a
CPU-time interval timer, whose signal the regex engine honours mid-match; on any other
thread (gunicorn's threaded workers, the development server), a child process that does
the same on its own main thread, and is killed if it outlives its budget anyway.

This file imports nothing of pastecms: the child runs it as a script (`python -P thisfile
LANGUAGE SECONDS`, contents on stdin; or `python -P thisfile --stay`, pastes one after
another: `Highlighter`), so that starting one costs Python and Pygments only, not the
app's imports.
"""

import contextlib
import functools
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

# Lines of HTML with no wrapping element; `services.highlight` numbers them. Pygments closes
# every span at the end of its line, so each line is HTML of its own.
_FORMATTER = HtmlFormatter(nowrap=True)
# A child needs this long to start (Python and Pygments) on top of its budget; it is
# killed after both, should its own timer have failed to stop it.
_CHILD_STARTUP_S = 5.0
_CHILD_NICENESS = 10
# How long past its budget `Highlighter` waits for its child's answer.
_STAYING_CHILD_GRACE_S = 30.0
# The child's exit status for "over budget": any other failure exits 1 (a traceback) or
# by a signal, and means no verdict.
_OVER_BUDGET_EXIT = 3

log = logging.getLogger("pastecms")


def highlighted(contents: str, language: str) -> str:
    """`contents` as HTML, highlighted by the lexer named `language` (no budget): a line of
    HTML for each line of text, each ending in a newline."""
    # stripnl=False keeps leading and trailing blank lines, which Pygments drops by
    # default: line 3 of the page (#L3) is line 3 of the raw text.
    return highlight(contents, get_lexer_by_name(language, stripnl=False), _FORMATTER)


class NoVerdict(Exception):
    """The child process could not say whether highlighting fits the budget: it could not
    start, the machine kept it from finishing in time, or it crashed. Unlike None (over
    budget), this says nothing about the paste, so nothing should be kept of it."""


def within_budget(contents: str, language: str, seconds: float) -> str | None:
    """`contents` highlighted as `language`, or None when that takes more than `seconds`
    of CPU time (or the lexer fails). Off the main thread, raises `NoVerdict` when the
    child process that does the work fails."""
    if seconds <= 0:  # no budget at all (a zero timer would be no timer)
        return None
    if threading.current_thread() is threading.main_thread():
        return _on_a_timer(functools.partial(highlighted, contents, language), seconds)
    return _in_a_child(contents, language, seconds)


class _OverBudget(Exception):
    pass


def _interrupt(signum, frame):
    raise _OverBudget()


def _settle() -> None:
    """Nothing; but calling it lets a signal already delivered run its handler here,
    inside the `try`, rather than after it."""


def _on_a_timer(work, seconds: float):
    """`work()`, or None when it takes more than `seconds` of this process's CPU time.

    Only on the main thread: Python runs signal handlers there. SIGPROF's timer counts CPU
    time, not wall time, so a busy machine does not make a paste fall back to plain text.
    """
    previous = signal.signal(signal.SIGPROF, _interrupt)
    try:
        signal.setitimer(signal.ITIMER_PROF, seconds)
        try:
            return work()
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            _settle()
    except _OverBudget:
        return None
    except Exception:  # a lexer's bug must not cost the page: plain text will do
        log.exception("highlighting failed; showing plain text")
        return None
    finally:
        signal.signal(signal.SIGPROF, previous)


def _in_a_child(contents: str, language: str, seconds: float) -> str | None:
    # -P: this file's folder is not put on sys.path, where the app's modules would shadow
    # ones Pygments needs; the interpreter finds Pygments where this process found it.
    command = [sys.executable, "-P", __file__, language, repr(seconds)]
    try:
        finished = subprocess.run(
            command,
            input=contents.encode("utf-8"),
            capture_output=True,
            timeout=seconds + _CHILD_STARTUP_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NoVerdict(str(error)) from error
    if finished.returncode == _OVER_BUDGET_EXIT:
        return None
    if finished.returncode != 0:
        raise NoVerdict(finished.stderr.decode("utf-8", "replace")[-500:])
    return finished.stdout.decode("utf-8")


class Highlighter:
    """A child process that stays and highlights pastes one after another, each within its
    budget, as `within_budget` does off the main thread: for a thread of the app's that
    highlights many pastes (`services.highlight`'s worker). A child a paste costs about
    90 ms of CPU to start Python and Pygments; highlighting 1 KiB of Python, about 2.5.

    Not thread-safe: one thread uses it. The child starts on the first paste, and again
    after it failed (`NoVerdict`) or after `close`; it is recycled after RECYCLE_AFTER
    pastes, since each new language's lexer stays loaded in it.
    """

    RECYCLE_AFTER = 1000

    def __init__(self):
        self._process: subprocess.Popen | None = None
        self._answers: _Answers | None = None
        self._made = 0

    def highlight(self, contents: str, language: str, seconds: float) -> str | None:
        """As `within_budget`: `contents` highlighted as `language`, or None over budget;
        `NoVerdict` when the child fails (it is then stopped, and the next paste starts
        another)."""
        if seconds <= 0:
            return None
        if self._process is None or self._made >= self.RECYCLE_AFTER:
            self.close()
            self._process = self._start()
            self._answers = _Answers(self._process.stdout)
        self._made += 1
        data = contents.encode("utf-8")
        try:
            header = f"{language} {seconds!r} {len(data)}\n".encode()
            _write_all(self._process.stdin.fileno(), header + data)
            # The child's own timer bounds its CPU; this only notices a child that hangs or
            # died. Niced, on a busy machine it may wait long for its CPU, and nobody waits
            # for it: generous.
            deadline = time.monotonic() + seconds + _STAYING_CHILD_GRACE_S
            answer = self._answers.line(deadline)
            if answer == b"over":
                return None
            return self._answers.exactly(int(answer), deadline).decode("utf-8")
        except (OSError, ValueError, NoVerdict) as error:
            self.close()
            raise NoVerdict(f"the highlighting child failed: {error!r}") from error

    def close(self) -> None:
        """Stop the child, if any (its memory goes back to the system)."""
        process, self._process, self._made = self._process, None, 0
        if process is None:
            return
        process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()

    @staticmethod
    def _start() -> subprocess.Popen:
        try:
            # stderr is the worker's: a lexer's traceback goes to its log.
            return subprocess.Popen(
                [sys.executable, "-P", __file__, "--stay"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
            )
        except OSError as error:
            raise NoVerdict(f"the highlighting child could not start: {error}") from error


def _write_all(fd: int, data: bytes) -> None:
    # The child reads each paste whole before it starts on it, so this never waits long.
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Answers:
    """What the child writes, read from its stdout's descriptor as it comes, each read
    bounded by a deadline (a buffered pipe's own reads cannot be)."""

    def __init__(self, pipe):
        self._fd = pipe.fileno()
        self._buffer = bytearray()

    def line(self, deadline: float) -> bytes:
        """The next line, without its newline."""
        while (end := self._buffer.find(b"\n")) < 0:
            self._fill(deadline)
        return self.exactly(end + 1, deadline)[:-1]

    def exactly(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([self._fd], [], [], remaining)[0]:
            raise NoVerdict("the child did not answer in time")
        chunk = os.read(self._fd, 1 << 16)
        if not chunk:
            raise NoVerdict("the child stopped")
        self._buffer += chunk


def _child_main(argv: list[str]) -> int:
    # Highlighting can wait; the requests of the worker that started this cannot: on a
    # busy machine the kernel serves them first. (Its CPU-time budget is unaffected.)
    with contextlib.suppress(OSError):  # a sandbox may forbid it; the work matters more
        os.nice(_CHILD_NICENESS)
    if argv[1:] == ["--stay"]:
        return _stay()
    language, seconds = argv[1], float(argv[2])
    contents = sys.stdin.buffer.read().decode("utf-8")
    html = _on_a_timer(functools.partial(highlighted, contents, language), seconds)
    if html is None:
        return _OVER_BUDGET_EXIT
    sys.stdout.buffer.write(html.encode("utf-8"))
    return 0


def _stay() -> int:
    """`Highlighter`'s child: for each paste read from stdin (a line "LANGUAGE SECONDS
    SIZE", then SIZE bytes of UTF-8), a line "over" (over budget), or a line with the
    size of the HTML and the HTML; until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while header := stdin.readline():
        language, seconds, size = header.split()
        contents = stdin.read(int(size)).decode("utf-8")
        work = functools.partial(highlighted, contents, language.decode())
        html = _on_a_timer(work, float(seconds))
        if html is None:
            stdout.write(b"over\n")
        else:
            data = html.encode("utf-8")
            stdout.write(b"%d\n%s" % (len(data), data))
        stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv))
