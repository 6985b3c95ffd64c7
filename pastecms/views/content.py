"""/api/content/*: seed 004's content read API, over the site's articles.

Behind a valid access token (a JWT bearer, or any credential the resolver accepts). A
user reads the published articles and their own drafts; an admin reads every article.
An article is addressed by its `id` (16 hex) or its `hash` (a ULID); the original's
numeric ids name no article here. The one content type is `article`: any other in the
URL is an unknown route (404, code 10001).
"""

from pastecms.api import REQUIRED, endpoint
from pastecms.errors import NonexistentArticleFailure
from pastecms.schemas.auth import ContentGetOut, ContentListIn, ContentListOut, ContentPathIn
from pastecms.services.content import article as article_service
from pastecms.views.envelopes import content_api

bp = content_api.blueprint("content_api", __name__, url_prefix="/api/content")


@bp.get("/get/<id>")
@endpoint(
    content_api,
    path=ContentPathIn,
    path_failure=NonexistentArticleFailure,
    dump=ContentGetOut,
    caller=REQUIRED,
    failures=(NonexistentArticleFailure,),
)
def get_content(data, caller):
    """The article as content; `nonexistent_article_failure` for an id or hash that
    names none the caller may read."""
    return {"data": article_service.get_for_reader(data["id"], caller)}


@bp.get("/list/article")
@endpoint(content_api, load=ContentListIn, dump=ContentListOut, caller=REQUIRED)
def list_articles(data, caller):
    """A page of the articles the caller may read, with `count`, how many match.

    `sortby` (default `published desc`), filters `field.title`, `field.summary`,
    `field.body` (exact, or `contain:` a substring in any case) and `author=self`.
    """
    found = article_service.search(
        caller,
        order=data["sortby"],
        matches=data["matches"],
        author_id=caller.user_id if data["author"] == "self" else None,
        limit=data["limit"],
        offset=data["offset"],
    )
    return {"data": found}
