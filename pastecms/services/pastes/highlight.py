"""A paste's contents as HTML for its page: highlighted by Pygments within a CPU budget,
else escaped plain text; made on the first view and kept in the database
(`paste_highlights`), so every worker and host shares it and later views only read it.

Of viewers arriving together at a new paste, one makes its HTML and the others get plain
text that once (`_claim`).

The budget, and why it takes a timer or a child process: `services.pygmentize`.
"""

import logging
import zlib
from dataclasses import dataclass

import pygments
from limits import parse
from markupsafe import Markup, escape
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound
from sqlalchemy import select

from pastecms import database, ratelimit
from pastecms.config import settings
from pastecms.extensions import db
from pastecms.models import Highlight
from pastecms.services.pastes import language
from pastecms.services.pastes.pygmentize import NoVerdict, within_budget

# Bump when the stored HTML changes shape: stored HTML made otherwise is made again.
# 2: numbered lines with anchors (`numbered`), leading blank lines kept.
_FORMAT = 2
#: What stored HTML must have been made by to be used as it is.
MADE_BY = f"pygments {pygments.__version__}, format {_FORMAT}"
#: One request at a time makes a paste's HTML, for this long at most (`_claim`).
CLAIM_FOR = parse("1 per 10 seconds")
_HIGHLIGHTS = Highlight.__table__

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
    lexer = _lexer(name)
    if lexer is None or len(paste.contents) > config.highlight_max_size:
        return Rendering(paste.id, plain(paste.contents))
    row = db.session.execute(
        select(_HIGHLIGHTS.c.html, _HIGHLIGHTS.c.made_by).where(_HIGHLIGHTS.c.paste_id == paste.id)
    ).first()
    if row is not None and row.made_by == MADE_BY:
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
    if html is None:
        return Rendering(paste.id, plain(paste.contents), None, is_new=True)
    html = numbered(_lines(html))
    packed = zlib.compress(html.encode("utf-8"), 6)
    return Rendering(paste.id, Markup(html), packed, is_new=True)


def store(rendering: Rendering) -> None:
    """Keep newly made HTML (or that there is none) for the paste's next views. Two
    workers making the same paste's at once both store it; the last write wins."""
    if not rendering.is_new:
        return
    values = {"html": rendering.packed, "made_by": MADE_BY}
    statement = database.dialect_insert(_HIGHLIGHTS).values(paste_id=rendering.paste_id, **values)
    db.session.execute(
        statement.on_conflict_do_update(index_elements=[_HIGHLIGHTS.c.paste_id], set_=values)
    )
    _release(rendering.paste_id)


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
