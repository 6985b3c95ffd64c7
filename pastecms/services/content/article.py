"""Article rules: the site's one content store, for every face.

Plain values in, `Article` objects out, each with `tag_names` (its tags, in the order
they were given). The rules of publication:

- created as published: `published_at` is now;
- `publish`: status published, `published_at` now, always (re-publishing moves it);
- `unpublish`: status draft, `published_at` kept;
- `update` to published: `published_at` set only when it was empty; to draft: kept;
- `updated_at` moves on every change, a change of tags included.

Counters: lists report totals without counting rows, so every change of an article's
status, category or tags moves the counters of what it left and what it joined, in SQL
(`_recount`). Tag links carry copies of the article's status and sort keys (`_sync_links`).
"""

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import joinedload

from pastecms.config import settings
from pastecms.errors import (
    ConflictFailure,
    InvalidParamsFailure,
    NonexistentArticleFailure,
)
from pastecms.extensions import db
from pastecms.models import (
    NEVER,
    Article,
    ArticleTag,
    Category,
    Image,
    Tag,
)
from pastecms.queries import articles as article_reads
from pastecms.queries import paged, run
from pastecms.queries.article_counts import Counted, counted_state, recount
from pastecms.queries.articles import (
    CATEGORY_COLUMNS,
    DRAFT,
    PUBLISHED,
    ArticleRecord,
    counted_total,
    load_authors,
    load_tags,
    shown_articles,
)
from pastecms.services import clock
from pastecms.services.changes import UNSET
from pastecms.services.content import webhook
from pastecms.services.ids import new_hash, new_id

STATUSES = (DRAFT, PUBLISHED)
KINDS = ("post", "page")
MAX_PER_PAGE = 100


# -- reading ----------------------------------------------------------------------------
#
# Reads are the hot path (every list and article a client shows): they go through the
# read model (`queries.articles`); the rules below decide what a reader may see.

_ARTICLES = Article.__table__
_CATEGORIES = Category.__table__
_LINKS = ArticleTag.__table__
_TAGS = Tag.__table__

#: Reads the faces make through this service, answered by the read model as they are.
version = article_reads.version
published_summary = article_reads.published_summary


def _one(column: str, value) -> ArticleRecord:
    article = article_reads.one(column, value)
    if article is None:
        raise NonexistentArticleFailure()
    load_tags([article])
    return article


# -- who may read what -----------------------------------------------------------------
#
# One rule for every face: a published article (or page) is public to whoever the face
# admits; a draft is read by its author and by admins only, in lists, by id or hash, in
# exports and in counts alike. Another user's draft is answered as if it did not exist.
# A reader is the caller (`user_id`, `is_admin`), or None for nobody signed in.


def may_read(article, reader) -> bool:
    """Whether `reader` may read `article` (see the rule above)."""
    if article.status == PUBLISHED:
        return True
    return reader is not None and (reader.is_admin or article.author_id == reader.user_id)


def readable_by(reader):
    """The SQL condition on the articles `reader` may read; None for all of them."""
    if reader is not None and reader.is_admin:
        return None
    if reader is None or reader.user_id is None:
        return _ARTICLES.c.status == PUBLISHED
    return or_(_ARTICLES.c.status == PUBLISHED, _ARTICLES.c.author_id == reader.user_id)


def audience(reader) -> Hashable:
    """Who shares an answer made of articles with `reader`: every admin reads the same
    articles; anyone else reads the published ones and their own drafts."""
    if reader is not None and reader.is_admin:
        return "admin"
    return ("reader", reader.user_id if reader is not None else None)


def get(article_hash: str, reader) -> ArticleRecord:
    """The article with this hash, with its category and tags, when `reader` may read
    it; `NonexistentArticleFailure` when there is none or it is a draft `reader` may
    not read."""
    article = _one("hash", article_hash)
    if not may_read(article, reader):
        raise NonexistentArticleFailure()
    return article


def get_by_id(article_id: str) -> ArticleRecord:
    """The article with this id; `NonexistentArticleFailure` when there is none."""
    return _one("id", article_id)


def get_by_slug(slug: str, kind: str | None = None) -> ArticleRecord:
    """The article with this slug (and kind, when given); `NonexistentArticleFailure`
    when there is none."""
    article = _one("slug", slug)
    if kind is not None and article.kind != kind:
        raise NonexistentArticleFailure()
    return article


def _get(article_hash: str) -> Article:
    """The article to change (an ORM object, with its category)."""
    article = db.session.scalar(
        select(Article).options(joinedload(Article.category)).where(Article.hash == article_hash)
    )
    if article is None:
        raise NonexistentArticleFailure()
    return article


@dataclass
class ArticlePage:
    articles: list[ArticleRecord]
    total: int
    page: int
    per_page: int


def list_page(
    reader,
    *,
    status: str | None = None,
    tag: str | None = None,
    category: str | None = None,
    page: int = 1,
    per_page: int = 10,
) -> ArticlePage:
    """A page of articles, published ones first (newest publication first), then the
    rest, newest first; with the total matching the filters.

    Only the articles `reader` may read. `status` is draft or published, `tag` a tag name
    (exactly), `category` a category slug; an unknown tag or category matches nothing.
    `per_page` is clamped to 100. Read off one index per filter; for an admin the total
    comes from counters (a tag and a category together are counted), for anyone else it
    is counted. Raises `InvalidParamsFailure` for a page past MAX_PAGE_NUM.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    max_page = settings().max_page_num
    if page > max_page:
        raise InvalidParamsFailure(
            f"page is at most {max_page}.", details={"page": f"Must be at most {max_page}."}
        )
    empty = ArticlePage([], 0, page, per_page)
    params = {"limit": per_page, "offset": (page - 1) * per_page}
    found_tag = found_category = None
    if tag:
        found_tag = article_reads.counts("tag", tag)
        if found_tag is None:
            return empty
        params["tag_id"] = found_tag.id
    if category:
        found_category = article_reads.counts("category", category)
        if found_category is None:
            return empty
        params["category_id"] = found_category.id
    if status:
        params["status"] = status
    statement = article_reads.page_statement(
        found_tag is not None, bool(status), found_category is not None
    )
    readable = readable_by(reader)
    if readable is not None:
        statement = statement.where(readable)
    if readable is not None or (found_tag is not None and found_category is not None):
        counted = statement.limit(None).offset(None).order_by(None).subquery()
        total = run(select(func.count()).select_from(counted), params).scalar()
    else:
        total = counted_total(found_tag or found_category, status)
    articles = [ArticleRecord(row) for row in run(statement, params)]
    load_tags(articles)
    return ArticlePage(articles, total, page, per_page)


def all_articles(
    reader, status: str | None = None, *, limit: int | None = None, offset: int = 0
) -> list[ArticleRecord]:
    """Every article `reader` may read (of a status), in list order, with categories and
    tags loaded; or `limit` of them from `offset`."""
    query = (
        select(*_ARTICLES.columns, *CATEGORY_COLUMNS)
        .select_from(shown_articles())
        .order_by(
            _ARTICLES.c.sort_time.desc(), _ARTICLES.c.created_at.desc(), _ARTICLES.c.id.desc()
        )
    )
    if status:
        query = query.where(_ARTICLES.c.status == status)
    readable = readable_by(reader)
    if readable is not None:
        query = query.where(readable)
    if limit is not None:
        query = paged(query, limit, offset)
    articles = [ArticleRecord(row) for row in run(query, {})]
    load_tags(articles)
    return articles


# -- searching as a user ----------------------------------------------------------------

#: What `search` sorts by: model names, each with the column it sorts on. An article
#: never published sorts as the earliest by `published_at` (`sort_time`, see `NEVER`).
SORTABLE = {
    "published_at": _ARTICLES.c.sort_time,
    "updated_at": _ARTICLES.c.updated_at,
    "created_at": _ARTICLES.c.created_at,
    "title": _ARTICLES.c.title,
    "id": _ARTICLES.c.id,
}
#: The fields `search` matches on.
MATCHABLE = {
    "title": _ARTICLES.c.title,
    "description": _ARTICLES.c.description,
    "content": _ARTICLES.c.content,
}
MAX_SORT_KEYS = len(SORTABLE)


class Match(NamedTuple):
    """A condition on a field: equal to `value`, or containing it in any case."""

    field: str
    value: str
    contains: bool = False


@dataclass
class ArticleSearch:
    articles: list[ArticleRecord]
    total: int


def get_for_reader(reference: str, reader) -> ArticleRecord:
    """The article whose id (16 hex) or hash (a ULID) is `reference`, when `reader` may
    read it, with its tags and author's name. `NonexistentArticleFailure` when there is
    none or it is a draft `reader` may not read (whose existence is not told)."""
    article = _one("id" if len(reference) == 16 else "hash", reference)
    if not may_read(article, reader):
        raise NonexistentArticleFailure()
    load_authors([article])
    return article


def search(
    reader,
    *,
    order: tuple[tuple[str, bool], ...] = (("published_at", True),),
    matches: tuple[Match, ...] = (),
    author_id: int | None = None,
    status: str | None = None,
    tag: str | None = None,
    category: str | None = None,
    text: str | None = None,
    limit: int = 10,
    offset: int = 0,
) -> ArticleSearch:
    """The articles `reader` may read that meet every match (and are `author_id`'s),
    sorted by `order` (pairs of a SORTABLE name and whether descending; ties by id), from
    `offset`, at most `limit` (clamped to MAX_PAGE_SIZE); with the total matching.

    Narrowed further, as `list_page` narrows: to a `status`, a `tag` (a name, exactly),
    a `category` (a slug; an unknown tag or category matches nothing), and a `text` found
    in the title, the description or the content, in any case.

    The database filters, sorts, pages and counts. Raises `InvalidParamsFailure` for an
    unknown sort key or field, or an offset past MAX_PAGE_NUM pages of MAX_PAGE_SIZE.
    """
    config = settings()
    limit = max(1, min(limit, config.max_page_size))
    max_offset = config.max_page_num * config.max_page_size
    if offset > max_offset:
        raise InvalidParamsFailure(
            f"offset is at most {max_offset}.", details={"offset": f"Must be at most {max_offset}."}
        )
    conditions = []
    readable = readable_by(reader)
    if readable is not None:
        conditions.append(readable)
    if author_id is not None:
        conditions.append(_ARTICLES.c.author_id == author_id)
    if status is not None:
        conditions.append(_ARTICLES.c.status == status)
    if tag:
        tagged = select(_LINKS.c.article_id).join(_TAGS, _TAGS.c.id == _LINKS.c.tag_id)
        conditions.append(_ARTICLES.c.id.in_(tagged.where(_TAGS.c.name == tag)))
    if category:
        slugged = select(_CATEGORIES.c.id).where(_CATEGORIES.c.slug == category)
        conditions.append(_ARTICLES.c.category_id.in_(slugged))
    if text:
        conditions.append(
            or_(*(column.icontains(text, autoescape=True) for column in MATCHABLE.values()))
        )
    for match in map(Match._make, matches):
        column = _known(MATCHABLE, match.field, "field")
        conditions.append(
            column.icontains(match.value, autoescape=True)
            if match.contains
            else column == match.value
        )
    if len(order) > MAX_SORT_KEYS:
        message = f"Sort by at most {MAX_SORT_KEYS} fields."
        raise InvalidParamsFailure(f"sortby: {message}", details={"sortby": message})
    sort = []
    for name, descending in order:
        column = _known(SORTABLE, name, "sortby")
        sort.append(column.desc() if descending else column.asc())
    sort.append(_ARTICLES.c.id.desc() if order and order[-1][1] else _ARTICLES.c.id.asc())
    query = select(*_ARTICLES.columns, *CATEGORY_COLUMNS).select_from(shown_articles())
    if conditions:
        query = query.where(*conditions)
    if not conditions:
        total = counted_total(None, None)
    elif readable is not None and len(conditions) == 1 and reader is not None:
        # Everything a user may read: the published ones (a counter) and their own
        # drafts (off the author index), rather than a count of every row.
        own_drafts = select(func.count()).where(
            _ARTICLES.c.author_id == reader.user_id, _ARTICLES.c.status != PUBLISHED
        )
        total = counted_total(None, PUBLISHED) + run(own_drafts, {}).scalar_one()
    else:
        total = run(select(func.count()).select_from(_ARTICLES).where(*conditions), {}).scalar_one()
    rows = run(paged(query.order_by(*sort), limit, offset), {})
    articles = [ArticleRecord(row) for row in rows]
    load_tags(articles)
    load_authors(articles)
    return ArticleSearch(articles, total)


def _known(columns: dict, name: str, parameter: str):
    if name not in columns:
        message = f"Must be one of: {', '.join(columns)}."
        raise InvalidParamsFailure(f"{parameter}: {message}", details={parameter: message})
    return columns[name]


# -- writing ----------------------------------------------------------------------------


def create(
    title: str,
    content: str,
    *,
    author_id: int | None = None,
    description: str | None = None,
    status: str = DRAFT,
    tags: list[str] | None = None,
    category_id: str | None = None,
    header_image_id: str | None = None,
    slide_mode: bool = False,
    slide_duration: int | None = None,
    slug: str | None = None,
    kind: str = "post",
    article_hash: str | None = None,
    published_at: datetime | None = None,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
) -> Article:
    """Store a new article and return it.

    Created as published, it is published now unless `published_at` says when. A
    given `article_hash` (an import) must be free, as must a `slug`. Raises
    `InvalidParamsFailure` (bad status or kind, unknown category or header image) and
    `ConflictFailure` (hash or slug taken).
    """
    _check_choice("status", status, STATUSES)
    _check_choice("kind", kind, KINDS)
    category = _category(category_id)
    _check_image(header_image_id)
    if article_hash is not None and _exists(Article.hash == article_hash):
        raise ConflictFailure("An article with this hash already exists.")
    if slug is not None and _exists(Article.slug == slug):
        raise ConflictFailure("An article with this slug already exists.")
    stamp = clock.now()
    if status == PUBLISHED and published_at is None:
        published_at = stamp
    article = Article(
        id=new_id(),
        hash=article_hash or new_hash(),
        slug=slug,
        kind=kind,
        title=title,
        description=description,
        content=content,
        status=status,
        published_at=published_at,
        sort_time=published_at or NEVER,
        created_at=created_at or stamp,
        updated_at=updated_at or stamp,
        author_id=author_id,
        category_id=category_id,
        header_image_id=header_image_id,
        slide_mode=slide_mode,
        slide_duration=slide_duration,
    )
    article.category = category
    db.session.add(article)
    db.session.flush()
    tag_ids = _link_tags(article, tags or [])
    recount(None, Counted(status, category_id, tag_ids))
    _announce(article, "saved")
    return article


def update(
    article_hash: str,
    *,
    title=UNSET,
    content=UNSET,
    description=UNSET,
    status=UNSET,
    tags=UNSET,
    category_id=UNSET,
    header_image_id=UNSET,
    slide_mode=UNSET,
    slide_duration=UNSET,
    slug=UNSET,
    kind=UNSET,
    published_at=UNSET,
) -> Article:
    """Change the fields given (the others stay as they are) and return the article.

    `tags` replaces the whole set. To published: `published_at` is set only when empty
    (or to the `published_at` given: a file's date moved); to draft: it is kept. Raises
    `NonexistentArticleFailure`, `InvalidParamsFailure` (bad status or kind, unknown
    category or header image) and `ConflictFailure` (slug).
    """
    article = _get(article_hash)
    before = counted_state(article)
    if status is not UNSET:
        _check_choice("status", status, STATUSES)
    if kind is not UNSET:
        _check_choice("kind", kind, KINDS)
    if category_id is not UNSET and category_id != article.category_id:
        article.category = _category(category_id)
        article.category_id = category_id
    if header_image_id is not UNSET:
        _check_image(header_image_id)
        article.header_image_id = header_image_id
    if slug is not UNSET and slug != article.slug:
        if slug is not None and _exists(Article.slug == slug):
            raise ConflictFailure("An article with this slug already exists.")
        article.slug = slug
    for name, value in (
        ("title", title),
        ("content", content),
        ("description", description),
        ("slide_mode", slide_mode),
        ("slide_duration", slide_duration),
        ("kind", kind),
    ):
        if value is not UNSET:
            setattr(article, name, value)
    if status is not UNSET:
        article.status = status
    if published_at is not UNSET and published_at is not None:
        _stamp_published(article, published_at)
    elif status == PUBLISHED and article.published_at is None:
        _stamp_published(article, clock.now())
    article.updated_at = clock.now()
    db.session.flush()
    if tags is not UNSET:
        _unlink_tags(article)
        tag_ids = _link_tags(article, tags)
    else:
        tag_ids = before.tag_ids
        _sync_links(article)
        load_tags([article])
    recount(before, Counted(article.status, article.category_id, tag_ids))
    _announce(article, "saved")
    return article


def publish(article_hash: str) -> Article:
    """Publish the article now, even if it was published before (the date moves);
    `NonexistentArticleFailure` when there is none."""
    article = _get(article_hash)
    before = counted_state(article)
    stamp = clock.now()
    article.status = PUBLISHED
    _stamp_published(article, stamp)
    article.updated_at = stamp
    return _saved(article, before)


def unpublish(article_hash: str) -> Article:
    """Make the article a draft again, keeping its publication date;
    `NonexistentArticleFailure` when there is none."""
    article = _get(article_hash)
    before = counted_state(article)
    article.status = DRAFT
    article.updated_at = clock.now()
    return _saved(article, before)


def delete_article(article_hash: str) -> None:
    """Delete the article with its tag links (its images stay, unattached);
    `NonexistentArticleFailure` when there is none."""
    article = _get(article_hash)
    before = counted_state(article)
    recount(before, None)
    db.session.delete(article)
    db.session.flush()
    _announce(article, "deleted")


def _saved(article: Article, before: "Counted") -> Article:
    db.session.flush()
    _sync_links(article)
    recount(before, Counted(article.status, article.category_id, before.tag_ids))
    load_tags([article])
    _announce(article, "saved")
    return article


def _announce(article: Article, action: str) -> None:
    webhook.content_changed("article", action, article.slug or article.hash)


def _stamp_published(article: Article, when: datetime) -> None:
    article.published_at = when
    article.sort_time = when


def _check_choice(field: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        message = f"Must be one of: {', '.join(choices)}."
        raise InvalidParamsFailure(f"{field}: {message}", details={field: message})


def _exists(condition) -> bool:
    return db.session.scalar(select(Article.id).where(condition).limit(1)) is not None


def _category(category_id: str | None) -> Category | None:
    if category_id is None:
        return None
    category = db.session.get(Category, category_id)
    if category is None:
        raise InvalidParamsFailure(
            "categoryId: No such category.", details={"categoryId": "No such category."}
        )
    return category


def _check_image(image_id: str | None) -> None:
    if image_id is not None and db.session.get(Image, image_id) is None:
        raise InvalidParamsFailure(
            "headerImageId: No such image.", details={"headerImageId": "No such image."}
        )


# -- tags -------------------------------------------------------------------------------


def _link_tags(article: Article, names: list[str]) -> list[str]:
    """Link the article to tags of these names, in this order (duplicates dropped),
    creating the tags that do not exist; returns their ids."""
    names = list(dict.fromkeys(names))
    article.tag_names = names
    if not names:
        return []
    ids = dict(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(names))).all())
    missing = [name for name in names if name not in ids]
    if missing:
        stamp = clock.now()
        new = [{"id": new_id(), "name": name, "created_at": stamp} for name in missing]
        db.session.execute(
            insert(Tag), [{**row, "article_count": 0, "published_count": 0} for row in new]
        )
        ids.update({row["name"]: row["id"] for row in new})
    db.session.execute(
        insert(ArticleTag),
        [
            {
                "article_id": article.id,
                "tag_id": ids[name],
                "position": position,
                "status": article.status,
                "sort_time": article.sort_time,
                "created_at": article.created_at,
            }
            for position, name in enumerate(names)
        ],
    )
    return [ids[name] for name in names]


def _unlink_tags(article: Article) -> None:
    db.session.execute(delete(ArticleTag).where(ArticleTag.article_id == article.id))


def _sync_links(article: Article) -> None:
    """Copy the article's status and sort keys onto its tag links."""
    db.session.execute(
        sql_update(ArticleTag)
        .where(ArticleTag.article_id == article.id)
        .values(status=article.status, sort_time=article.sort_time, created_at=article.created_at)
    )
