"""A paste's language when its poster leaves it to the server: from its file name when
there is one, else guessed from its contents (Pygments' own guesses among the languages
the form offers, helped by a few unmistakable line patterns), else plain text."""

import functools
import json
import re

from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

#: What a poster may pick from; `AUTO` leaves it to `choose`.
AUTO = "auto"
LANGUAGES = [
    "text", "bash", "c", "cpp", "csharp", "css", "diff", "go", "haskell", "html", "ini",
    "java", "javascript", "json", "kotlin", "lua", "make", "markdown", "perl", "php",
    "python", "ruby", "rust", "scala", "sql", "swift", "toml", "typescript", "xml", "yaml",
]  # fmt: skip
FALLBACK = "text"
#: Only the start of a paste is looked at: guessing must stay cheap on a large one.
SAMPLE = 8192
#: A guess weaker than this is no guess: plain text is better than wrong colours.
THRESHOLD = 0.25


def _lines(*patterns: str) -> list[re.Pattern]:
    return [re.compile(pattern, re.MULTILINE) for pattern in patterns]


#: Line patterns that Pygments' guessers miss; each one found adds `_SIGNATURE_WEIGHT`.
#: Every pattern is anchored at a line start and has no nested repetition (cheap).
_SIGNATURES = {
    "python": _lines(
        r"^\s*def \w+\(.*\)( -> .+)?:\s*$",
        r"^\s*class \w+(\(.*\))?:\s*$",
        r"^\s*(from [\w.]+ )?import [\w., ]+$",
        r"^if __name__ == .__main__.:",
    ),
    "go": _lines(r"^package \w+\s*$", r"^func (\(.*\) )?\w+\(.*\{\s*$"),
    "rust": _lines(r"^\s*(pub )?fn \w+.*\{\s*$", r"^\s*let (mut )?\w+.*;\s*$", r"^use \w+::"),
    "javascript": _lines(
        r"^\s*(const|let|var) \w+ = ", r"^\s*function \w*\(.*\)\s*\{", r"console\.log\("
    ),
    "c": _lines(r"^#include <\w+\.h>", r"^int main\(.*\)"),
    "cpp": _lines(r"^#include <\w+>\s*$", r"std::", r"^using namespace \w+;"),
    "java": _lines(r"^\s*public (static )?(class|void|final) ", r"System\.out\.print"),
    "sql": _lines(
        r"^\s*(?i:select) .+ (?i:from) \w+", r"^\s*(?i:create table|insert into|update \w+ set) "
    ),
    "bash": _lines(r"^#!/(usr/)?bin/(env )?(ba|z)?sh", r"^\s*(echo|export|cd|sudo) "),
    "php": _lines(r"^<\?php"),
    "html": _lines(r"^\s*<!(?i:doctype html)", r"^\s*<(?i:html)[ >]"),
    "diff": _lines(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", r"^diff --git "),
    "yaml": _lines(r"^---\s*$", r"^[\w-]+:( .+)?$", r"^\s*- [\w-]+: "),
    "ini": _lines(r"^\[[\w .-]+\]\s*$"),
    "markdown": _lines(r"^#{1,6} \S", r"^```", r"^\s*[-*] \[[ x]\] "),
    "css": _lines(r"^[.#]?[\w-]+(:\w+)? \{\s*$", r"^\s*[\w-]+: [^;]+;\s*$"),
}
_SIGNATURE_WEIGHT = 0.3


@functools.cache
def _guessing_lexers() -> dict:
    """A lexer for each language a guess weighs, made on the first guess rather than at
    import: a worker that only answers scripts (the paste API never guesses) does not
    load their thirty-odd Pygments modules (9 MiB of its resident memory at start)."""
    return {name: get_lexer_by_name(name) for name in LANGUAGES if name != FALLBACK}


#: Modern Paste's language names are CodeMirror 5's modes (fpaste sends them). Most are
#: Pygments names too; these are not, and map to the lexer that highlights them. A tuple is
#: a family one mode stands for (`clike`: C, C++, Java, C#...), guessed among by the
#: contents. A mode Pygments has no lexer for, nor a near one, maps to plain text.
CODEMIRROR_MODES = {
    "asciiarmor": FALLBACK,
    "asn.1": FALLBACK,
    "asterisk": "ini",
    "clike": ("c", "cpp", "java", "csharp", "scala", "kotlin", "objective-c"),
    "commonlisp": "common-lisp",
    "fcl": FALLBACK,
    "gfm": "markdown",
    "haskell-literate": "literate-haskell",
    "htmlembedded": "html+erb",
    "htmlmixed": "html",
    "jinja2": "html+jinja",
    "mbox": "email",
    "mirc": FALLBACK,
    "mllike": ("ocaml", "fsharp", "sml"),
    "mumps": FALLBACK,
    "ntriples": "turtle",
    "oz": FALLBACK,
    "pegjs": "javascript",
    "rpm": "spec",
    "solr": FALLBACK,
    "soy": "html",
    "spreadsheet": FALLBACK,
    "stex": "latex",
    "stylus": "css",
    "textile": FALLBACK,
    "tiddlywiki": FALLBACK,
    "tiki": FALLBACK,
    "tornado": "html+django",
    "troff": "groff",
    "ttcn": FALLBACK,
    "ttcn-cfg": "ini",
    "vb": "vb.net",
    "yacas": FALLBACK,
    "yaml-frontmatter": "markdown",
    "z80": FALLBACK,
}


def highlighter(language: str, contents: str) -> str:
    """The Pygments lexer name that highlights a paste stored with `language`: a
    CodeMirror mode's lexer (for a family, the member its contents look most like; the
    first when none stands out), else `language` itself. The paste keeps the name it was
    sent with; only the highlighting reads this."""
    mapped = CODEMIRROR_MODES.get(language, language)
    if isinstance(mapped, str):
        return mapped
    sample = contents[:SAMPLE]
    scores = {name: _score(name, get_lexer_by_name(name), sample) for name in mapped}
    best = max(scores, key=scores.get)
    return best if scores[best] >= THRESHOLD else mapped[0]


def choose(
    language: str | None, contents: str, file_name: str | None = None, *, may_guess: bool
) -> str:
    """The language a new paste is stored with, on every face (`services.paste.submit`):
    `language` as named; for none, with `may_guess` (the web form, a shell: AUTO too) the
    `guess` from the contents and the file name, else `FALLBACK`. The paste API never
    guesses: Modern Paste's documents none as plain text, and answers carry the name sent,
    AUTO included."""
    if not may_guess:
        return language or FALLBACK
    if language and language != AUTO:
        return language
    return guess(contents, file_name)


def guess(contents: str, file_name: str | None = None) -> str:
    """The language of `contents`: the one its file name says, if that names one, else
    the best guess from the contents, else `FALLBACK`."""
    sample = contents[:SAMPLE]
    by_name = _by_file_name(file_name, sample) if file_name else None
    if by_name:
        return by_name
    if _is_json(contents):
        return "json"
    scores = {name: _score(name, lexer, sample) for name, lexer in _guessing_lexers().items()}
    best = max(scores, key=scores.get)
    return best if scores[best] >= THRESHOLD else FALLBACK


def _by_file_name(file_name: str, sample: str) -> str | None:
    try:
        lexer = get_lexer_for_filename(file_name, code=sample)
    except ClassNotFound:
        return None
    if isinstance(lexer, TextLexer) or not lexer.aliases:
        return None
    return lexer.aliases[0]


def _is_json(contents: str) -> bool:
    text = contents.strip()
    if len(text) > SAMPLE or not text.startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):  # nested too deep to read: not worth a guess
        return False
    return True


def _score(name: str, lexer, sample: str) -> float:
    try:
        score = float(lexer.analyse_text(sample) or 0.0)
    except Exception:  # a guesser's bug is no guess
        score = 0.0
    found = sum(1 for pattern in _SIGNATURES.get(name, ()) if pattern.search(sample))
    # Pygments' guessers count half: some answer 1.0 on a single keyword ("import ").
    return min(1.0, score) * 0.5 + found * _SIGNATURE_WEIGHT
