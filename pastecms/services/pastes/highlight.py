"""A paste's contents as HTML for its page: highlighted by Pygments within a CPU budget,
else escaped plain text; kept in the database (`paste_highlights`), so every worker and
host shares it and views only read it.

Made ahead: once a new paste is committed, a background thread of the process makes its
HTML (`ahead`), so its first reader does not pay for Pygments (`bench/instructions.py`:
33.6 M instructions for a first view that highlights 1 KiB of Python, 5.1 M for one that
reads the HTML). A reader who
arrives before the HTML is made makes it on the request, as every first view did before;
of viewers arriving together, one makes it and the others get plain text that once
(`_claim`).

The budget, and why it takes a timer or a child process: `services.pygmentize`.
"""

import collections
import functools
import logging
import os
import threading
import zlib
from dataclasses import dataclass

import pygments
from flask import current_app
from limits import parse
from markupsafe import Markup, escape
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from pastecms import database, metrics, ratelimit
from pastecms.config import settings
from pastecms.extensions import db
from pastecms.models import Highlight, Paste
from pastecms.services.pastes import language
from pastecms.services.pastes.pygmentize import Highlighter, NoVerdict, within_budget

# Bump when the stored HTML changes shape: stored HTML made otherwise is made again.
# 2: numbered lines with anchors (`numbered`), leading blank lines kept.
_FORMAT = 2
#: What stored HTML must have been made by to be used as it is.
MADE_BY = f"pygments {pygments.__version__}, format {_FORMAT}"
#: One request at a time makes a paste's HTML, for this long at most (`_claim`).
CLAIM_FOR = parse("1 per 10 seconds")
_HIGHLIGHTS = Highlight.__table__
_PASTES = Paste.__table__

log = logging.getLogger("pastecms")


@dataclass
class Rendering:
    """A paste's contents as HTML, and whether it is new and still to be stored."""

    paste_id: int
    html: Markup
    #: What `store` writes: zlib-compressed HTML, or None for "shown as plain text".
    packed: bytes | None = None
    is_new: bool = False


def render(paste) -> Rendering:
    """The contents of `paste` (a record with `id`, `language`, `contents`) as HTML.

    Highlighted when its language has a lexer, it is at most HIGHLIGHT_MAX_SIZE characters
    and Pygments finishes within HIGHLIGHT_TIME_LIMIT seconds of CPU; escaped plain text
    otherwise. Stored HTML is read back; what is made here is only written by `store`, so
    a caller can make it before its transaction writes anything.
    """
    config = settings()
    name = language.highlighter(paste.language, paste.contents)
    if not _has_lexer(name) or len(paste.contents) > config.highlight_max_size:
        return Rendering(paste.id, plain(paste.contents))
    row = _stored(paste.id)
    if row is not None:
        if row.html is None:
            return Rendering(paste.id, plain(paste.contents))
        return Rendering(paste.id, Markup(zlib.decompress(row.html).decode("utf-8")))
    if not _claim(paste.id):
        # Another request is making it: plain text this once, and nothing stored.
        return Rendering(paste.id, plain(paste.contents))
    try:
        html = within_budget(paste.contents, name, config.highlight_time_limit)
    except NoVerdict as error:
        # Plain text this once, nothing kept: a later view tries again.
        log.warning("highlighting paste %s failed, shown as plain text: %s", paste.id, error)
        _release(paste.id)
        return Rendering(paste.id, plain(paste.contents))
    return _made(paste.id, paste.contents, html)


def _stored(paste_id: int):
    """The paste's kept HTML (a row with `html`, None for "shown as plain text"), or None
    when there is none made by this highlighter."""
    row = db.session.execute(
        select(_HIGHLIGHTS.c.html, _HIGHLIGHTS.c.made_by).where(_HIGHLIGHTS.c.paste_id == paste_id)
    ).first()
    return row if row is not None and row.made_by == MADE_BY else None


def _made(paste_id: int, contents: str, html: str | None) -> Rendering:
    """The rendering of Pygments' `html` (None: over budget), to be stored."""
    if html is None:
        metrics.note_highlight_budget_hit()
        return Rendering(paste_id, plain(contents), None, is_new=True)
    html = numbered(_lines(html))
    packed = zlib.compress(html.encode("utf-8"), 6)
    return Rendering(paste_id, Markup(html), packed, is_new=True)


def store(rendering: Rendering) -> None:
    """Keep newly made HTML (or that there is none) for the paste's next views. Two
    workers making the same paste's at once both store it; the last write wins."""
    if not rendering.is_new:
        return
    _write(rendering)
    _release(rendering.paste_id)


def _write(rendering: Rendering) -> None:
    values = {"html": rendering.packed, "made_by": MADE_BY}
    statement = database.dialect_insert(_HIGHLIGHTS).values(paste_id=rendering.paste_id, **values)
    db.session.execute(
        statement.on_conflict_do_update(index_elements=[_HIGHLIGHTS.c.paste_id], set_=values)
    )


def _claim(paste_id: int) -> bool:
    """Whether this request may make a paste's HTML now: one at a time per paste, so that
    viewers of a new paste arriving together do not each spend the budget. Storing the
    HTML releases the claim; it lapses after CLAIM_FOR in case its request never gets
    that far."""
    return ratelimit.claim(CLAIM_FOR, "highlighting claims", "highlight", str(paste_id))


def _release(paste_id: int) -> None:
    ratelimit.release(CLAIM_FOR, "highlighting claims", "highlight", str(paste_id))


def plain(contents: str) -> Markup:
    """Contents as escaped plain text, numbered like highlighted code (`numbered`)."""
    # Line breaks as Pygments and HTML parsers count them: CR LF and a lone CR are one.
    text = contents.replace("\r\n", "\n").replace("\r", "\n")
    return numbered(_lines(str(escape(text))))  # str: Markup's split makes a Markup a line


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # the newline ending the last line starts no line of its own
    return lines


def numbered(lines: list[str]) -> Markup:
    """Lines of HTML (each closing what it opens) as a paste's page shows them: beside
    them a column of line numbers, each a link to its line (`#L3`), and each line a span
    with that id (`L3`), so that following a link marks its line with CSS `:target`
    alone; `static/lines.js` adds ranges (`#L3-L7`).

    About 14 bytes a line more than Pygments' own numbered table (a link in place of its
    number's span, and the line's span): 7% more for 1000 lines of highlighted Python,
    35% more gzipped (the numbers, now three to a line, compress least). Made once for
    highlighted code (stored); on every view for plain text: about 2 µs a line, 40 ms
    for a paste of 1 MiB in 25,000 lines.
    """
    count = len(lines)
    numbers = "\n".join(f'<a href="#L{n}">{n}</a>' for n in range(1, count + 1))
    code = "\n".join(f'<span id="L{n}">{line}</span>' for n, line in enumerate(lines, 1))
    return Markup(
        '<div class="highlight"><table class="lines"><tr>'
        f'<td class="linenos"><pre>{numbers}</pre></td>'
        f'<td class="code"><pre><code>{code}\n</code></pre></td>'
        "</tr></table></div>"
    )


def _lexer(language: str):
    """The lexer for a language name, or None for plain text (and for names Pygments
    does not know)."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return None
    return None if isinstance(lexer, TextLexer) else lexer


# Bounded: names come from posters (any 64 characters of the language field).
@functools.lru_cache(maxsize=1024)
def _has_lexer(name: str) -> bool:
    """Whether a lexer name highlights (`_lexer`); Pygments builds a lexer to say, which
    costs more than the rest of deciding."""
    return _lexer(name) is not None


def _may_highlight(language_name: str) -> bool:
    """Whether a paste stored with `language_name` may be highlighted, without guessing
    within a CodeMirror family (each member has a lexer)."""
    mapped = language.CODEMIRROR_MODES.get(language_name, language_name)
    return isinstance(mapped, tuple) or _has_lexer(mapped)


# -- made ahead ---------------------------------------------------------------------------
#
# A paste is highlighted ahead by a thread of the process that took it, once its
# transaction commits (a rolled-back paste is none): one thread a process, fed by a bounded
# queue of paste ids, that reads the paste, has Pygments run in a child process that stays
# (`pygmentize.Highlighter`: a thread cannot be stopped by a timer, and a child a paste
# would cost 90 ms of CPU to start, against 2.5 ms to highlight 1 KiB of Python) and stores
# the HTML as a reader would. It takes no claim: a reader who arrives first makes the HTML
# as before, rather than waiting or seeing plain text because of the thread.

_AHEAD = "highlight_ahead"
#: Paste ids waiting for the thread, at most: past it, a paste's first view makes its HTML.
AHEAD_QUEUE = 1000
#: Seconds without a paste after which the child process stops (its memory is freed).
AHEAD_IDLE_S = 60.0


def ahead(paste) -> None:
    """Have the HTML of `paste` (a new paste's record, in the request's transaction) made
    in the background once that transaction commits, when HIGHLIGHT_AHEAD is on and the
    paste would be highlighted: its first reader then finds it made."""
    if not _may_highlight(paste.language):  # first: the API's plain text stops here
        return
    config = settings()
    if not config.highlight_ahead or len(paste.contents) > config.highlight_max_size:
        return
    pending = db.session.info.get(_AHEAD)
    if pending is None:
        # The app itself, for the thread's app context (Flask's documented way).
        pending = db.session.info[_AHEAD] = (current_app._get_current_object(), [])
    pending[1].append(paste.id)


@event.listens_for(db.session, "after_commit")
def _hand_over(session) -> None:
    pending = session.info.pop(_AHEAD, None)
    if pending is None:
        return
    app, paste_ids = pending
    for paste_id in paste_ids:
        if not _worker.put(app, paste_id):
            log.info("highlighting queue full: paste %s is highlighted at its first view", paste_id)


@event.listens_for(db.session, "after_soft_rollback")
def _forget(session, previous_transaction) -> None:
    session.info.pop(_AHEAD, None)


def wait_ahead(timeout: float) -> bool:
    """Wait up to `timeout` seconds for this process's thread to have made the HTML of
    every paste handed to it so far (or given up on it); whether it did. Tests wait so
    before they look, and a stopping worker gives it this grace (`finish_ahead`)."""
    return _worker.wait(timeout)


def finish_ahead(timeout: float) -> int:
    """For a process that stops: `wait_ahead`, then log the pastes still waiting (their
    first views make their HTML) and answer how many."""
    _worker.wait(timeout)
    left = _worker.unfinished()
    if left:
        log.warning("%d new pastes left unhighlighted: their first views will highlight them", left)
    return left


def _highlight_ahead(app, paste_id: int, highlighter: Highlighter) -> None:
    """Make and store a paste's HTML, as its first view would have, unless it is made
    already or the paste is gone; in the thread, in an app context of its own."""
    with app.app_context():
        config = settings()
        paste = db.session.execute(
            select(_PASTES.c.language, _PASTES.c.contents).where(
                _PASTES.c.id == paste_id, _PASTES.c.is_active.is_(True)
            )
        ).first()
        if paste is None or _stored(paste_id) is not None:
            return  # deleted, or a reader was first
        name = language.highlighter(paste.language, paste.contents)
        if not _has_lexer(name) or len(paste.contents) > config.highlight_max_size:
            return  # shown as plain text (a setting may have changed since)
        db.session.rollback()  # no transaction held through the highlighting
        try:
            html = highlighter.highlight(paste.contents, name, config.highlight_time_limit)
        except NoVerdict as error:
            log.warning("highlighting paste %s ahead failed: %s", paste_id, error)
            return
        _write(_made(paste_id, paste.contents, html))
        try:
            db.session.commit()
        except IntegrityError:  # the paste was deleted meanwhile: nothing to keep
            db.session.rollback()


class _Worker:
    """This process's highlighting thread and its queue; the thread starts with the first
    paste handed to it."""

    def __init__(self):
        self._changed = threading.Condition()
        self._waiting: collections.deque = collections.deque()
        self._unfinished = 0
        self._thread: threading.Thread | None = None

    def put(self, app, paste_id: int) -> bool:
        """Queue a paste; False when the queue is full."""
        with self._changed:
            if len(self._waiting) >= AHEAD_QUEUE:
                return False
            self._waiting.append((app, paste_id))
            self._unfinished += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pastecms-highlight", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()
        return True

    def wait(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._unfinished, timeout)

    def unfinished(self) -> int:
        with self._changed:
            return self._unfinished

    def _run(self) -> None:
        highlighter = Highlighter()
        while True:
            with self._changed:
                if self._changed.wait_for(lambda: self._waiting, AHEAD_IDLE_S):
                    app, paste_id = self._waiting.popleft()
                else:
                    app = None
            if app is None:
                highlighter.close()  # idle: the child's memory goes back to the system
                continue
            try:
                _highlight_ahead(app, paste_id, highlighter)
            except Exception:  # one paste's failure (the database away) stops no other
                log.exception("highlighting paste %s ahead failed", paste_id)
            finally:
                with self._changed:
                    self._unfinished -= 1
                    self._changed.notify_all()


_worker = _Worker()


def _after_fork() -> None:
    # A forked child has none of its parent's threads: its own worker, started when needed.
    global _worker
    _worker = _Worker()


os.register_at_fork(after_in_child=_after_fork)
