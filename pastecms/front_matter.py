"""Front matter from the network, read within bounds of size, shape and time.

YAML lets a document name a node (`&a`) and repeat it (`*a`). The loader shares the
repeated node instead of copying it, so a few hundred bytes can stand for a value with
billions of nodes (a "billion laughs"), or for a list that contains itself
(`categories: &a [*a]`): building it is cheap, but anything that walks it afterwards (the
services take the first category of a list of lists, marshmallow checks every tag) runs
for ever, and a threaded gunicorn worker is never recycled. Merge keys (`<<: *a`) copy
while loading, so they can blow up the loading itself.

So before anything is built, the front matter's YAML events (`yaml.parse`, which builds
nothing) are counted: at most MAX_FRONT_MATTER characters, MAX_ALIASES aliases, none
inside the node it names, and a value of at most MAX_NODES nodes and MAX_DEPTH levels
with every alias counted as all that it stands for. Only then is it loaded, by PyYAML's
safe loader, with no more work than those bounds allow; walking the result is bounded by
them too. Every refusal is `UnreadableFrontMatter`, a ValueError saying what is wrong.

Like python-frontmatter's default, a text opening with a `{` line has JSON front matter;
it has the same bounds (JSON has no aliases).

This module imports nothing of pastecms: a schema and a service both read front matter.
"""

import json

import frontmatter
import yaml
from frontmatter.default_handlers import JSONHandler, YAMLHandler

MAX_FRONT_MATTER = 64 * 1024  # characters between the `---` lines
MAX_ALIASES = 32
MAX_NODES = 5000  # scalars and collections of the value, aliases counted as expanded
MAX_DEPTH = 20  # levels of nesting, the top mapping being one

# libyaml's loader when PyYAML was built with it (python-frontmatter's default), else the
# pure-Python one; both are PyYAML's documented safe loaders.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnreadableFrontMatter(ValueError):
    """Front matter that is not YAML (or JSON), or not within the bounds; the message
    says which, in words for the person who wrote the file."""


def loads(text: str) -> frontmatter.Post:
    """`text` split into its front matter (`post.metadata`, a dict) and its content.

    A text without front matter has empty metadata. Raises `UnreadableFrontMatter`.
    """
    text = text.strip()  # python-frontmatter looks for the front matter in it stripped
    handler = next((handler for handler in _HANDLERS if handler.detect(text)), None)
    if handler is None:  # as python-frontmatter answers a text without front matter
        return frontmatter.Post(text)
    try:
        return frontmatter.loads(text, handler=handler)
    except UnreadableFrontMatter:
        raise
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        raise UnreadableFrontMatter("The front matter is not valid YAML.") from None


def _check_size(text: str) -> None:
    if len(text) > MAX_FRONT_MATTER:
        raise UnreadableFrontMatter(
            f"The front matter is longer than {MAX_FRONT_MATTER} characters."
        )


def _check_events(text: str) -> None:
    """Refuse a YAML text whose value, once built, would be over the bounds or contain
    itself, from its events alone (nothing is built, and the first excess stops it)."""
    expanded = 0  # nodes of the value so far, each alias counted as what it stands for
    aliases = 0
    named: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, height) of its node
    # The collections open around the current event: (anchor, `expanded` at its start,
    # tallest child so far).
    open_: list[list] = []

    def add(nodes: int, height: int) -> None:
        nonlocal expanded
        expanded += nodes
        if expanded > MAX_NODES:
            raise UnreadableFrontMatter(
                f"The front matter has more than {MAX_NODES} values (aliases count as "
                "what they repeat)."
            )
        if len(open_) + height > MAX_DEPTH:
            raise UnreadableFrontMatter(
                f"The front matter is nested more than {MAX_DEPTH} levels deep."
            )
        if open_:
            open_[-1][2] = max(open_[-1][2], height)

    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise UnreadableFrontMatter(
                    f"The front matter has more than {MAX_ALIASES} aliases (*name)."
                )
            if any(frame[0] == event.anchor for frame in open_):
                raise UnreadableFrontMatter(
                    f"The front matter's alias *{event.anchor} is inside the value it names."
                )
            # An undefined alias counts as one: loading refuses it with YAML's own words.
            add(*named.get(event.anchor, (1, 1)))
        elif isinstance(event, yaml.ScalarEvent):
            add(1, 1)
            if event.anchor is not None:
                named[event.anchor] = (1, 1)
        elif isinstance(event, yaml.CollectionStartEvent):
            # Counted now, so that a deep or long collection stops at the first excess.
            add(1, 1)
            open_.append([event.anchor, expanded, 0])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, start, tallest = open_.pop()
            height = tallest + 1
            if open_:
                open_[-1][2] = max(open_[-1][2], height)
            if anchor is not None:
                named[anchor] = (expanded - start + 1, height)


def _check_shape(value, depth: int = 1) -> int:
    """The number of nodes of a value built from JSON (which cannot repeat one), refusing
    one over the bounds."""
    if depth > MAX_DEPTH:
        raise UnreadableFrontMatter(
            f"The front matter is nested more than {MAX_DEPTH} levels deep."
        )
    if not isinstance(value, dict | list):
        return 1
    count = 1
    for child in value.values() if isinstance(value, dict) else value:
        count += _check_shape(child, depth + 1)
        if count > MAX_NODES:
            raise UnreadableFrontMatter(f"The front matter has more than {MAX_NODES} values.")
    return count


class _BoundedYAML(YAMLHandler):
    def load(self, fm: str, **kwargs):
        _check_size(fm)
        _check_events(fm)
        return yaml.load(fm, Loader=_LOADER)


class _BoundedJSON(JSONHandler):
    def load(self, fm: str, **kwargs):
        _check_size(fm)
        value = json.loads(fm)
        _check_shape(value)
        return value


_HANDLERS = (_BoundedYAML(), _BoundedJSON())
