"""Site content: articles (posts and pages), their tags and categories, images, settings.

Articles are the one content store of every face (the CMS, Qexo's post files and the
JWT content API). Lists are read off indexes whatever their size: the order "published
first, newest first" is kept in `sort_time` (see `Article`), copied onto each tag link so
a tag's articles are an index range too, and the totals a list reports are counters kept
up to date in SQL (`Tag`, `Category`, `ArticleTotal`) rather than counted per request.
"""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pastecms.extensions import db
from pastecms.models.types import UTCDateTime, utcnow

#: `sort_time` of an article never published: before any real date, so that on every
#: database a descending order puts those articles last (PostgreSQL sorts NULL first
#: when descending, SQLite last; a column without NULLs needs no NULLS LAST index).
NEVER = datetime(1, 1, 1, tzinfo=UTC)


#: The largest `display_order` a category's column holds on every database (a 32-bit
#: INTEGER on PostgreSQL).
DISPLAY_ORDER_MAX = 2**31 - 1


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str] = mapped_column(String(7))
    display_order: Mapped[int] = mapped_column(default=0, index=True)
    # Counters kept by the article service, so lists never count rows.
    article_count: Mapped[int] = mapped_column(default=0)
    published_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Matched exactly, case and all (SQLite's and PostgreSQL's default comparison).
    name: Mapped[str] = mapped_column(String(64), unique=True)
    article_count: Mapped[int] = mapped_column(default=0)
    published_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Image(db.Model):
    """An uploaded image, stored in the database so every app host can serve it."""

    __tablename__ = "images"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    # use_alter: articles and images name each other (a header image, an image's
    # article); the constraint is added after both tables exist.
    article_id: Mapped[str | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL", use_alter=True), index=True
    )
    filename: Mapped[str] = mapped_column(String(64))
    original_filename: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int]
    alt_text: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Article(db.Model):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    # A lowercase ULID: the article's address in CMS URLs.
    hash: Mapped[str] = mapped_column(String(26), unique=True)
    # The address other faces use (a Hexo post's file name); the CMS may leave it empty.
    slug: Mapped[str | None] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="post")
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # published_at, or NEVER: the list's first sort key (see NEVER).
    sort_time: Mapped[datetime] = mapped_column(UTCDateTime, default=NEVER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    category_id: Mapped[str | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    header_image_id: Mapped[str | None] = mapped_column(
        ForeignKey("images.id", ondelete="SET NULL"), index=True
    )
    slide_mode: Mapped[bool] = mapped_column(default=False)
    slide_duration: Mapped[int | None]

    category: Mapped[Category | None] = relationship(lazy="raise")

    __table_args__ = (
        # One index per list filter, the filter first, then the order (read backwards).
        Index("ix_article_list", "sort_time", "created_at", "id"),
        Index("ix_article_status_list", "status", "sort_time", "created_at", "id"),
        Index("ix_article_category_list", "category_id", "sort_time", "created_at", "id"),
        Index(
            "ix_article_category_status_list",
            "category_id",
            "status",
            "sort_time",
            "created_at",
            "id",
        ),
    )


class ArticleTag(db.Model):
    """An article's tag, at its place in the article's list, with copies of the
    article's status and sort keys so a tag's articles are listed off an index."""

    __tablename__ = "article_tags"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[str] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    sort_time: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_article_tag_list", "tag_id", "sort_time", "created_at", "article_id"),
        Index(
            "ix_article_tag_status_list",
            "tag_id",
            "status",
            "sort_time",
            "created_at",
            "article_id",
        ),
    )


class ArticleTotal(db.Model):
    """How many articles have each status, kept by the article service."""

    __tablename__ = "article_totals"

    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


#: The tables an article's answer is made from (its row, its tags and their names, its
#: category, its header image): any change to one moves the content version.
VERSIONED_TABLES = ("articles", "article_tags", "tags", "categories", "images")


class ContentVersion(db.Model):
    """A number that moves whenever a row of `VERSIONED_TABLES` changes, in the same
    transaction: answers made from those tables stay good while it stays the same.

    Moved by triggers in the database (migration 0009), not by the services, so that no
    way of writing (a service, the CLI, an import, SQL by hand) can forget it. The
    version is the sum of the rows: on PostgreSQL each connection moves a row (slot) of
    its own (migration 0015), so concurrent content writes do not queue for one row's
    lock; SQLite, one writer at a time, keeps one row. A slot missing is written again by
    the next change, from a larger number, so the sum never repeats an earlier one; with
    no row at all nothing counts as unchanged.
    """

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class Setting(db.Model):
    """One site setting (`services.site.settings` knows which keys exist)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = [
    "NEVER",
    "Article",
    "ArticleTag",
    "ArticleTotal",
    "Category",
    "ContentVersion",
    "Image",
    "Setting",
    "Tag",
]
