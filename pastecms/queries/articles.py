"""The articles as every face reads them: prebuilt statements, plain records, totals off
counters.

What it buys (commit f7dd464): the CMS list and article reads were ORM queries built
per request, and a page of ten articles cost three times a page of twenty pastes. Reads
now run statements built once per process (one per combination of list filters) on the
session's connection and return `ArticleRecord`s; writes keep the ORM. Lists report
totals from the counters that `queries.article_counts` keeps (commit 2348835) rather
than counting rows, where no reader's rule narrows the list.

Who may read what (`readable_by`, drafts) is `services.content.article`'s: it adds its
condition to the statements here.
"""

import functools
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import BigInteger, bindparam, func, select

from pastecms.models import Article, ArticleTag, ArticleTotal, Category, ContentVersion, Tag, User
from pastecms.queries import paged, run

DRAFT = "draft"
PUBLISHED = "published"

_ARTICLES = Article.__table__
_CATEGORIES = Category.__table__
_LINKS = ArticleTag.__table__
_TAGS = Tag.__table__
_USERS = User.__table__
CATEGORY_COLUMNS = (
    _CATEGORIES.c.id,
    _CATEGORIES.c.name,
    _CATEGORIES.c.slug,
    _CATEGORIES.c.color,
    _CATEGORIES.c.display_order,
    _CATEGORIES.c.created_at,
)


class CategoryRef(NamedTuple):
    """An article's category, as an article shows it."""

    id: str
    name: str
    slug: str
    color: str
    display_order: int
    created_at: datetime


class ArticleRecord:
    """An article as the read functions return it: its row's values as attributes named
    as on `Article`, its `category` (a `CategoryRef` or None) and its `tag_names`.
    `header_image_url` is for the view that shows it (URLs are the views')."""

    _KEYS = tuple(column.key for column in _ARTICLES.columns)
    __slots__ = (*_KEYS, "category", "tag_names", "header_image_url", "author_name", "_row")

    def __init__(self, row):
        width = len(self._KEYS)
        for key, value in zip(self._KEYS, row, strict=False):
            setattr(self, key, value)
        category = row[width : width + len(CATEGORY_COLUMNS)]
        self.category = CategoryRef(*category) if category[0] is not None else None
        self.tag_names = []
        self.header_image_url = None
        self.author_name = None
        self._row = tuple(row)

    @property
    def revision(self) -> tuple:
        """Everything an article shows, for a memo of dumped articles to key on: its
        row (its category's columns included: a category renamed shows though the article
        did not change), its tags and its header image's URL."""
        return (self._row, tuple(self.tag_names), self.header_image_url)


def shown_articles():
    return _ARTICLES.outerjoin(_CATEGORIES, _CATEGORIES.c.id == _ARTICLES.c.category_id)


@functools.cache
def _hot() -> dict:
    """The read statements, built once per process with bound parameters."""
    one = select(*_ARTICLES.columns, *CATEGORY_COLUMNS).select_from(shown_articles())
    return {
        "hash": one.where(_ARTICLES.c.hash == bindparam("value")),
        "id": one.where(_ARTICLES.c.id == bindparam("value")),
        "slug": one.where(_ARTICLES.c.slug == bindparam("value")),
        "tags": select(_LINKS.c.article_id, _TAGS.c.name)
        .join(_TAGS, _TAGS.c.id == _LINKS.c.tag_id)
        .where(_LINKS.c.article_id.in_(bindparam("ids", expanding=True)))
        .order_by(_LINKS.c.article_id, _LINKS.c.position),
        "tag": select(_TAGS.c.id, _TAGS.c.article_count, _TAGS.c.published_count).where(
            _TAGS.c.name == bindparam("value")
        ),
        "category": select(
            _CATEGORIES.c.id, _CATEGORIES.c.article_count, _CATEGORIES.c.published_count
        ).where(_CATEGORIES.c.slug == bindparam("value")),
        "totals": select(ArticleTotal.__table__.c.status, ArticleTotal.__table__.c.count),
        "authors": select(_USERS.c.id, func.coalesce(_USERS.c.name, _USERS.c.username)).where(
            _USERS.c.id.in_(bindparam("ids", expanding=True))
        ),
        # A published article's sort_time is its publication: the status index's last.
        "latest": select(func.max(_ARTICLES.c.sort_time)).where(_ARTICLES.c.status == PUBLISHED),
        # The slots' sum (migration 0015); cast, as PostgreSQL sums a bigint to numeric.
        "version": select(func.sum(ContentVersion.__table__.c.version).cast(BigInteger)),
    }


@functools.cache
def page_statement(by_tag: bool, by_status: bool, by_category: bool):
    """The page query of one combination of filters, built once per process. A tag's
    page walks its links (which carry the sort keys), the rest walk the articles."""
    query = select(*_ARTICLES.columns, *CATEGORY_COLUMNS)
    if by_tag:
        query = (
            query.select_from(
                _LINKS.join(_ARTICLES, _ARTICLES.c.id == _LINKS.c.article_id).outerjoin(
                    _CATEGORIES, _CATEGORIES.c.id == _ARTICLES.c.category_id
                )
            )
            .where(_LINKS.c.tag_id == bindparam("tag_id"))
            .order_by(
                _LINKS.c.sort_time.desc(), _LINKS.c.created_at.desc(), _LINKS.c.article_id.desc()
            )
        )
        if by_status:
            query = query.where(_LINKS.c.status == bindparam("status"))
    else:
        query = query.select_from(shown_articles()).order_by(
            _ARTICLES.c.sort_time.desc(), _ARTICLES.c.created_at.desc(), _ARTICLES.c.id.desc()
        )
        if by_status:
            query = query.where(_ARTICLES.c.status == bindparam("status"))
    if by_category:
        query = query.where(_ARTICLES.c.category_id == bindparam("category_id"))
    return paged(query)


def counted_total(counted, status: str | None) -> int:
    """The total of a list from the counters: of a tag's or a category's articles (a
    row with their counts), or of all of them."""
    if counted is not None:
        if status == PUBLISHED:
            return counted.published_count
        if status == DRAFT:
            return counted.article_count - counted.published_count
        return counted.article_count
    totals = dict(run(_hot()["totals"], {}).all())
    if status:
        return totals.get(status, 0)
    return sum(totals.values())


def version() -> int | None:
    """The content version (`ContentVersion`, the sum of its slots): the same number as
    long as no article, tag, category or image has changed; None when unknown."""
    return run(_hot()["version"], {}).scalar()


def published_summary() -> tuple[int, datetime | None]:
    """(how many articles are published, when the latest was published or None): the
    count from the counters, the time off the status index."""
    totals = dict(run(_hot()["totals"], {}).all())
    latest = run(_hot()["latest"], {}).scalar()
    return totals.get(PUBLISHED, 0), latest


def load_tags(articles: list) -> None:
    """Give each article its `tag_names`, in their order, with one query for them all."""
    by_id = {}
    for article in articles:
        article.tag_names = by_id[article.id] = []
    if not by_id:
        return
    for article_id, name in run(_hot()["tags"], {"ids": list(by_id)}):
        by_id[article_id].append(name)


def load_authors(articles: list) -> None:
    """Give each article its `author_name` (the author's name, else username; None
    without an author), with one query for them all."""
    ids = {article.author_id for article in articles if article.author_id is not None}
    names = dict(run(_hot()["authors"], {"ids": list(ids)}).all()) if ids else {}
    for article in articles:
        article.author_name = names.get(article.author_id)


def one(column: str, value) -> ArticleRecord | None:
    """The article whose `column` (`hash`, `id` or `slug`) is `value`, with its category
    (tags not loaded); None when there is none."""
    row = run(_hot()[column], {"value": value}).first()
    return ArticleRecord(row) if row is not None else None


def counts(kind: str, value):
    """The counters row (`id`, `article_count`, `published_count`) of the tag named
    `value` (`kind` "tag") or the category with slug `value` ("category"); None when
    there is none."""
    return run(_hot()[kind], {"value": value}).first()
