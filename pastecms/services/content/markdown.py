"""Markdown to HTML that is safe to put in a page: an article's preview in the console.

markdown-it-py renders CommonMark (with tables and strikethrough) with raw HTML turned
off, so a `<script>` typed in an article comes out as text; nh3 (the Ammonia sanitiser)
then keeps only harmless tags and attributes of what came out, so a link or an image
can never carry a `javascript:` URL, an event handler or a style. Two locks, not one:
the renderer's options are easy to change and the sanitiser is what the page relies on.
"""

import functools

import nh3
from markdown_it import MarkdownIt

#: What rendered Markdown may hold: its own tags, and nothing that runs or restyles.
TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


@functools.cache
def _renderer() -> MarkdownIt:
    # Built once: a MarkdownIt holds only its rules; each render has a state of its own.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def to_html(text: str) -> str:
    """`text` (Markdown) as sanitised HTML; links get `rel="noopener noreferrer"`."""
    return nh3.clean(
        _renderer().render(text),
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )
