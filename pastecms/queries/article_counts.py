"""The counters that let article lists report totals without counting rows: per status
(`ArticleTotal`), per category and per tag (`article_count`, `published_count`), moved in
SQL by every write that changes what an article counts towards.

What it buys (commit 2348835): a list's total is one row read (`queries.articles`), not
a count of every article it matches, whatever the table's size.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite

from pastecms.extensions import db
from pastecms.models import Article, ArticleTag, ArticleTotal, Category, Tag
from pastecms.queries.articles import PUBLISHED


@dataclass(frozen=True)
class Counted:
    """What an article counts towards: its status, its category and its tags."""

    status: str
    category_id: str | None
    tag_ids: list[str]


def counted_state(article: Article) -> Counted:
    tag_ids = list(
        db.session.scalars(select(ArticleTag.tag_id).where(ArticleTag.article_id == article.id))
    )
    return Counted(article.status, article.category_id, tag_ids)


def recount(before: Counted | None, after: Counted | None) -> None:
    """Move the counters from what the article counted towards to what it now does."""
    if before == after:
        return
    if before is not None:
        _count(before, -1)
    if after is not None:
        _count(after, +1)


def _count(counted: Counted, delta: int) -> None:
    published = delta if counted.status == PUBLISHED else 0
    _add_total(counted.status, delta)
    if counted.category_id is not None:
        db.session.execute(
            sql_update(Category)
            .where(Category.id == counted.category_id)
            .values(
                article_count=Category.article_count + delta,
                published_count=Category.published_count + published,
            )
            .execution_options(synchronize_session=False)
        )
    if counted.tag_ids:
        db.session.execute(
            sql_update(Tag)
            .where(Tag.id.in_(counted.tag_ids))
            .values(
                article_count=Tag.article_count + delta,
                published_count=Tag.published_count + published,
            )
            .execution_options(synchronize_session=False)
        )


def _add_total(status: str, delta: int) -> None:
    """Add `delta` to the total of `status`, creating its row on first use (both
    databases upsert in one statement, so two first articles cannot collide)."""
    dialect = db.session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = upsert(ArticleTotal).values(status=status, count=delta)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[ArticleTotal.status],
            set_={"count": ArticleTotal.count + delta},
        )
    )
