"""Articles as Markdown files with YAML front matter, out and back in.

An export is what Hexo writes (`title`, `date`, `updated`, `tags`, `categories`,
`published`, `description`) plus what an import needs to give back the same article:
its `hash`, `status`, `created` and `publishedAt`. Times are written as the API writes
them (`2024-01-15T10:00:00.000Z`), so they come back to the millisecond. An import of
a Hexo post without those keys creates a draft unless it says `published: true`.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import frontmatter

from pastecms.models import Article
from pastecms.services.content import article as article_service
from pastecms.services.content import taxonomy


def _iso(value: datetime) -> str:
    # The API's own format (schemas.cms.iso_time), repeated here: services do not
    # import schemas.
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def markdown(article: Article) -> str:
    """The article as a Markdown file with front matter (its tags must be loaded)."""
    metadata = {
        "title": article.title,
        "hash": article.hash,
        "status": article.status,
        "published": article.status == article_service.PUBLISHED,
        "date": _iso(article.published_at or article.created_at),
        "created": _iso(article.created_at),
        "updated": _iso(article.updated_at),
        "tags": list(article.tag_names),
    }
    if article.published_at is not None:
        metadata["publishedAt"] = _iso(article.published_at)
    if article.description is not None:
        metadata["description"] = article.description
    if article.category is not None:
        metadata["categories"] = [article.category.name]
    return frontmatter.dumps(frontmatter.Post(article.content, **metadata)) + "\n"


def export_one(article_hash: str, reader) -> tuple[str, str]:
    """(file name, Markdown) of one article; `NonexistentArticleFailure` when there is
    none or `reader` may not read it."""
    article = article_service.get(article_hash, reader)
    return f"{article.hash}.md", markdown(article)


#: Articles read at a time by an export: an article may be a MiB of Markdown, so an export
#: of every article holds at most this many in memory, not all of them.
EXPORT_BATCH = 16


def export_all(reader, status: str | None = None) -> Iterator[dict]:
    """Every article `reader` may read (of a status), in list order: `{"hash", "title",
    "status", "markdown"}` each, read EXPORT_BATCH at a time as they are consumed."""
    offset = 0
    while True:
        batch = article_service.all_articles(reader, status, limit=EXPORT_BATCH, offset=offset)
        for article in batch:
            yield {
                "hash": article.hash,
                "title": article.title,
                "status": article.status,
                "markdown": markdown(article),
            }
        if len(batch) < EXPORT_BATCH:
            return
        offset += EXPORT_BATCH


def import_file(fields: dict, author_id: int | None) -> Article:
    """Create the article of a Markdown file as the import forms read it (`title`,
    `content`, `description`, `status`, `tags`, `category`, `hash` and the three times:
    the CMS API's /v1/import/markdown and the console's Import). Raises what
    `import_article` raises."""
    return import_article(
        fields["title"],
        fields["content"],
        author_id=author_id,
        description=fields["description"],
        status=fields["status"],
        tags=fields["tags"],
        category=fields["category"],
        article_hash=fields["hash"],
        published_at=fields["published_at"],
        created_at=fields["created_at"],
        updated_at=fields["updated_at"],
    )


def import_article(
    title: str,
    content: str,
    *,
    author_id: int | None = None,
    description: str | None = None,
    status: str = article_service.DRAFT,
    tags: list[str] | None = None,
    category: str | None = None,
    article_hash: str | None = None,
    published_at: datetime | None = None,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    slug: str | None = None,
    kind: str = "post",
) -> Article:
    """Create the article a Markdown file describes; its category (by name or slug) is
    created when missing. Raises what `article.create` raises (`ConflictFailure` for a
    hash that is taken: the file was imported already)."""
    category_id = taxonomy.category_for_name(category).id if category else None
    return article_service.create(
        title,
        content,
        author_id=author_id,
        description=description,
        status=status,
        tags=tags,
        category_id=category_id,
        article_hash=article_hash,
        published_at=published_at,
        created_at=created_at,
        updated_at=updated_at,
        slug=slug,
        kind=kind,
    )
