"""/v1/articles, /v1/import and /v1/export: the CMS's articles (seed 002)."""

from flask import Response

from pastecms.api import ADMIN, REQUIRED, endpoint, streamed_list
from pastecms.errors import ConflictFailure, ForbiddenFailure, NonexistentArticleFailure
from pastecms.openapi import success_media
from pastecms.schemas.cms import (
    ArticleCreateIn,
    ArticleListIn,
    ArticleListOut,
    ArticleOut,
    ArticlePathIn,
    ArticleUpdateIn,
    ExportedOut,
    ExportIn,
    ExportOut,
    MarkdownImportIn,
    SuccessOut,
)
from pastecms.services.changes import UNSET
from pastecms.services.content import article as article_service
from pastecms.services.content import transfer
from pastecms.views.envelopes import cms
from pastecms.views.links import article_export_url, with_image_urls

bp = cms.blueprint("cms_articles", __name__, url_prefix="/v1")

#: One entry of an export, dumped as it is sent.
EXPORTED = ExportedOut()
#: An article addressed by its hash in the path.
BY_HASH = {"path": ArticlePathIn, "path_failure": NonexistentArticleFailure}


def _shown(articles):
    """The articles, each with the URL of its header image."""
    return with_image_urls(articles, attribute="header_image_url", id_attribute="header_image_id")


@bp.get("/articles")
@endpoint(
    cms,
    load=ArticleListIn,
    dump=ArticleListOut,
    caller=REQUIRED,
    cache_by=article_service.version,
    cache_for=article_service.audience,
)
def list_articles(data, caller):
    """A page of the articles the caller may read (drafts: their own, or every one for
    an admin): published first (newest publication first), then drafts.

    Filters: `status`, `tag` (a name, exactly), `category` (a slug). `perPage` is
    clamped to 100; `total` counts every article the filters match.
    """
    found = article_service.list_page(
        caller,
        status=data["status"],
        tag=data["tag"],
        category=data["category"],
        page=data["page"],
        per_page=data["per_page"],
    )
    _shown(found.articles)
    return found


@bp.post("/articles")
@endpoint(
    cms,
    load=ArticleCreateIn,
    dump=ArticleOut,
    status=201,
    caller=ADMIN,
    failures=(ForbiddenFailure,),
)
def create_article(data, caller):
    """Create an article (a draft unless `status` is published) and return it.

    Raises `invalid_params_failure` for an unknown `categoryId` or `headerImageId`.
    """
    article = article_service.create(
        data["title"],
        data["content"],
        author_id=caller.user_id,
        description=data["description"],
        status=data["status"],
        tags=data["tags"],
        category_id=data["category_id"],
        header_image_id=data["header_image_id"],
        slide_mode=data["slide_mode"],
        slide_duration=data["slide_duration"],
    )
    return _shown([article])[0]


@bp.get("/articles/<hash>")
@endpoint(
    cms,
    **BY_HASH,
    dump=ArticleOut,
    caller=REQUIRED,
    cache_by=article_service.version,
    cache_for=article_service.audience,
)
def get_article(data, caller):
    """One article by its hash; `nonexistent_article_failure` when there is none or it
    is a draft of another user's (for anyone but an admin)."""
    return _shown([article_service.get(data["hash"], caller)])[0]


@bp.put("/articles/<hash>")
@endpoint(
    cms,
    **BY_HASH,
    load=ArticleUpdateIn,
    dump=ArticleOut,
    caller=ADMIN,
    failures=(ForbiddenFailure,),
)
def update_article(data, caller):
    """Change the fields sent, and only those; `tags` replaces the set.

    To published, `publishedAt` is set only when empty; to draft it is kept.
    """
    article = article_service.update(
        data["hash"],
        title=data.get("title", UNSET),
        content=data.get("content", UNSET),
        description=data.get("description", UNSET),
        status=data.get("status", UNSET),
        tags=data.get("tags", UNSET),
        category_id=data.get("category_id", UNSET),
        header_image_id=data.get("header_image_id", UNSET),
        slide_mode=data.get("slide_mode", UNSET),
        slide_duration=data.get("slide_duration", UNSET),
    )
    return _shown([article])[0]


@bp.delete("/articles/<hash>")
@endpoint(cms, **BY_HASH, dump=SuccessOut, caller=ADMIN, failures=(ForbiddenFailure,))
def delete_article(data, caller):
    """Delete an article; its images stay."""
    article_service.delete_article(data["hash"])
    return {"success": True}


@bp.post("/articles/<hash>/publish")
@endpoint(cms, **BY_HASH, dump=ArticleOut, caller=ADMIN, failures=(ForbiddenFailure,))
def publish_article(data, caller):
    """Publish an article now: `publishedAt` moves to now even if it was set."""
    return _shown([article_service.publish(data["hash"])])[0]


@bp.post("/articles/<hash>/unpublish")
@endpoint(cms, **BY_HASH, dump=ArticleOut, caller=ADMIN, failures=(ForbiddenFailure,))
def unpublish_article(data, caller):
    """Make an article a draft again; `publishedAt` is kept."""
    return _shown([article_service.unpublish(data["hash"])])[0]


@bp.post("/import/markdown")
@endpoint(
    cms,
    load=MarkdownImportIn,
    dump=ArticleOut,
    status=201,
    caller=ADMIN,
    failures=(ForbiddenFailure, ConflictFailure),
)
def import_markdown(data, caller):
    """Create an article from a Markdown file with front matter, as Hexo writes it.

    `conflict_failure` when the file names a `hash` an article has already (it was
    imported before).
    """
    article = transfer.import_file(data, caller.user_id)
    return _shown([article])[0]


@bp.get("/export")
@endpoint(cms, load=ExportIn, dump=ExportOut, caller=REQUIRED)
def export_all(data, caller):
    """Every article the caller may read (or those of `status`) as Markdown, in one JSON
    document, sent as it is written (a few articles in memory at a time).

    Each entry's `markdown` is what `GET /v1/export/{hash}` answers, and what
    `POST /v1/import/markdown` takes back.
    """
    exported = transfer.export_all(caller, data["status"])
    with_urls = ({**entry, "export_url": article_export_url(entry["hash"])} for entry in exported)
    return streamed_list(with_urls, EXPORTED, key="articles", count_key="total")


@bp.get("/export/<hash>")
@success_media("text/markdown", {"type": "string"})
@endpoint(cms, **BY_HASH, caller=REQUIRED)
def export_one(data, caller):
    """One article the caller may read as a Markdown file with front matter
    (`text/markdown`)."""
    filename, text = transfer.export_one(data["hash"], caller)
    response = Response(text, mimetype="text/markdown")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
