"""The site as the files of a static-site generator (Hexo's layout), over our own store.

- `source/_posts/<slug>.md` is the post with that slug, `source/<name>/index.md` the page
  with slug `<name>`: saving one parses its front matter (title, date, tags, categories,
  published, then Markdown) and creates or updates the article through the article
  service; deleting one deletes the article.
- Any other path is a plain file, kept as text in `site_files`.

A path is relative, `/`-separated, without empty, `.` or `..` parts, backslashes or
control characters, and at most MAX_PATH long; anything else is `InvalidParamsFailure`.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, or_, select

from pastecms import front_matter
from pastecms.errors import (
    ConflictFailure,
    InvalidParamsFailure,
    NonexistentArticleFailure,
    NonexistentFileFailure,
)
from pastecms.extensions import db
from pastecms.models import Article, SiteFile
from pastecms.services import clock
from pastecms.services.content import article as article_service
from pastecms.services.content import taxonomy, transfer, webhook

MAX_PATH = 512
MAX_SLUG = 200
MAX_TITLE = 255
MAX_TAG = 64
MAX_TAGS = 50
MAX_CATEGORY = 100
MAX_DESCRIPTION = 2000

_POST = re.compile(r"source/_posts/([^/]+)\.md\Z")
_PAGE = re.compile(r"source/([^/_][^/]*)/index\.md\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
CONFIG_SUFFIXES = (".yml", ".yaml")


@dataclass
class Listed:
    """A file as a list shows it."""

    name: str
    path: str
    size: int
    updated_at: datetime

    @property
    def fullname(self) -> str:
        return self.path


def _refuse(field: str, message: str):
    raise InvalidParamsFailure(f"{field}: {message}", details={field: message})


def check_path(path: str) -> str:
    """The path if it is one a site may have; `InvalidParamsFailure` otherwise."""
    if not isinstance(path, str) or not path:
        _refuse("file", "Must be a file's path.")
    if len(path) > MAX_PATH:
        _refuse("file", f"Longer than {MAX_PATH} characters.")
    if _CONTROL.search(path) or "\\" in path:
        _refuse("file", "Must not contain control characters or backslashes.")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        _refuse("file", "Must be a relative path.")
    if any(part in ("", ".", "..") for part in path.split("/")):
        _refuse("file", "Must not have empty, '.' or '..' parts.")
    return path


def _article_of(path: str) -> tuple[str, str] | None:
    """(kind, slug) when the path is a post's or a page's, else None."""
    for kind, pattern in (("post", _POST), ("page", _PAGE)):
        found = pattern.match(path)
        if found:
            slug = found.group(1)
            if len(slug) > MAX_SLUG:
                _refuse("file", f"A post's or page's name is at most {MAX_SLUG} characters.")
            return kind, slug
    return None


def article_path(kind: str, slug: str) -> str:
    return f"source/_posts/{slug}.md" if kind == "post" else f"source/{slug}/index.md"


# -- writing ----------------------------------------------------------------------------


def save(path: str, content: str) -> None:
    """Store `content` at `path`: a post or a page is created or updated from its front
    matter, any other file stored as it is. Raises `InvalidParamsFailure` (bad path or
    front matter) and `ConflictFailure` (the slug belongs to an article of another kind)."""
    target = _article_of(check_path(path))
    if target is not None:
        _save_article(*target, content)
        return
    stamp = clock.now()
    size = len(content.encode("utf-8", "surrogatepass"))
    stored = db.session.scalar(select(SiteFile).where(SiteFile.path == path))
    if stored is None:
        db.session.add(SiteFile(path=path, content=content, size=size, updated_at=stamp))
    else:
        stored.content, stored.size, stored.updated_at = content, size, stamp
    db.session.flush()
    webhook.content_changed("file", "saved", path)


def delete(path: str) -> None:
    """Delete what `path` holds: its post, its page or its file. Raises
    `InvalidParamsFailure` (bad path), `NonexistentArticleFailure` (no such post or page)
    and `NonexistentFileFailure` (no such file)."""
    target = _article_of(check_path(path))
    if target is not None:
        kind, slug = target
        article_service.delete_article(article_service.get_by_slug(slug, kind).hash)
        return
    stored = db.session.scalar(select(SiteFile).where(SiteFile.path == path))
    if stored is None:
        raise NonexistentFileFailure()
    db.session.delete(stored)
    db.session.flush()
    webhook.content_changed("file", "deleted", path)


def _save_article(kind: str, slug: str, text: str) -> None:
    fields = _front_matter(text, slug)
    try:
        found = article_service.get_by_slug(slug)
    except NonexistentArticleFailure:
        found = None
    if found is None:
        transfer.import_article(
            fields["title"],
            fields["content"],
            description=fields["description"],
            status=fields["status"],
            tags=fields["tags"],
            category=fields["category"],
            published_at=fields["published_at"],
            slug=slug,
            kind=kind,
        )
        return
    if found.kind != kind:
        raise ConflictFailure(f"A {found.kind} already has the name {slug!r}.")
    category = fields["category"]
    article_service.update(
        found.hash,
        title=fields["title"],
        content=fields["content"],
        description=fields["description"],
        status=fields["status"],
        tags=fields["tags"],
        published_at=fields["published_at"],
        category_id=taxonomy.category_for_name(category).id if category else None,
    )


def _front_matter(text: str, slug: str) -> dict:
    """The article a Hexo file describes: title (the slug when none), description,
    Markdown, status (published unless `published: false`), tags, first category,
    publication date."""
    try:
        post = front_matter.loads(text)
    except front_matter.UnreadableFrontMatter as unreadable:
        _refuse("content", str(unreadable))
    meta = dict(post.metadata)
    title = meta.get("title")
    title = slug if title is None or title == "" else _scalar("title", title, MAX_TITLE)
    tags = meta.get("tags")
    tags = [] if tags is None else tags if isinstance(tags, list) else [tags]
    if len(tags) > MAX_TAGS:
        _refuse("content", f"At most {MAX_TAGS} tags.")
    tags = [_scalar("tags", tag, MAX_TAG) for tag in tags]
    category = meta.get("categories", meta.get("category"))
    while isinstance(category, list):
        category = category[0] if category else None
    if category is not None:
        category = _scalar("categories", category, MAX_CATEGORY)
    description = meta.get("description")
    if description is not None:
        description = _scalar("description", description, MAX_DESCRIPTION)
    published = meta.get("published", True)
    if not isinstance(published, bool):
        _refuse("content", "published: must be true or false.")
    return {
        "title": title,
        "description": description,
        "content": post.content,
        "status": article_service.PUBLISHED if published else article_service.DRAFT,
        "tags": [tag for tag in tags if tag.strip()],
        "category": category or None,
        "published_at": _when(meta.get("date")) if published else None,
    }


def _scalar(field: str, value, max_length: int) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | date):
        _refuse("content", f"{field}: must be text.")
    value = str(value)
    if len(value) > max_length or _CONTROL.search(value.replace("\n", " ").replace("\t", " ")):
        _refuse("content", f"{field}: at most {max_length} characters of text.")
    return value


def _when(value) -> datetime | None:
    """Hexo's `date`: YAML reads `2024-01-07 10:30:00` as a (naive, UTC) datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            _refuse("content", "date: not a date.")
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        _refuse("content", "date: not a date.")
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


# -- reading ----------------------------------------------------------------------------


def _contains(column, text: str):
    return func.lower(column).contains(text.lower(), autoescape=True)


def articles(kind: str, search: str | None = None) -> list[Listed]:
    """The posts (or pages) that have a path (a slug), newest first, whose title or
    slug contains `search`."""
    query = (
        select(Article.slug, Article.title, Article.content, Article.updated_at)
        .where(Article.kind == kind, Article.slug.is_not(None))
        .order_by(Article.sort_time.desc(), Article.created_at.desc(), Article.id.desc())
    )
    if search:
        query = query.where(or_(_contains(Article.title, search), _contains(Article.slug, search)))
    return [
        Listed(title, article_path(kind, slug), len(content.encode("utf-8")), updated_at)
        for slug, title, content, updated_at in db.session.execute(query)
    ]


def configs(search: str | None = None) -> list[Listed]:
    """The stored `*.yml` and `*.yaml` files, by path, whose path contains `search`."""
    lowered = func.lower(SiteFile.path)
    query = (
        select(SiteFile.path, SiteFile.size, SiteFile.updated_at)
        .where(or_(*(lowered.endswith(suffix) for suffix in CONFIG_SUFFIXES)))
        .order_by(SiteFile.path)
    )
    if search:
        query = query.where(_contains(SiteFile.path, search))
    return [
        Listed(path.rsplit("/", 1)[-1], path, size, updated_at)
        for path, size, updated_at in db.session.execute(query)
    ]


def files(search: str | None = None) -> list[Listed]:
    """Every stored file that is neither a post nor a page, by path, whose path contains
    `search` (the console's list; `configs` is the Qexo face's list of YAML files)."""
    query = select(SiteFile.path, SiteFile.size, SiteFile.updated_at).order_by(SiteFile.path)
    if search:
        query = query.where(_contains(SiteFile.path, search))
    return [
        Listed(path.rsplit("/", 1)[-1], path, size, updated_at)
        for path, size, updated_at in db.session.execute(query)
    ]


def read(path: str) -> SiteFile:
    """The stored file at `path`; `NonexistentFileFailure` when there is none."""
    stored = db.session.scalar(select(SiteFile).where(SiteFile.path == path))
    if stored is None:
        raise NonexistentFileFailure()
    return stored
