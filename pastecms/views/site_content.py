"""/pub blog status and the content API (seed 000): Qexo's file API over our own store."""

from pastecms import ConfigurationError
from pastecms.api import ADMIN, endpoint
from pastecms.errors import (
    ConflictFailure,
    ForbiddenFailure,
    NonexistentArticleFailure,
    NonexistentFileFailure,
)
from pastecms.schemas.qexo import (
    ConfigListOut,
    FileDeletedOut,
    FilePathIn,
    FileSaveIn,
    FixedOut,
    ImageFileListOut,
    PageListOut,
    PostListOut,
    SavedOut,
    SearchIn,
    StatusOut,
    WebhookIn,
    WebhookOut,
)
from pastecms.services.content import article as article_service
from pastecms.services.content import image as image_service
from pastecms.services.content import site_files, webhook
from pastecms.services.site import settings as settings_service
from pastecms.views.envelopes import qexo
from pastecms.views.links import with_image_urls

bp = qexo.blueprint("qexo_content", __name__, url_prefix="/pub")


@bp.record_once
def check_webhook_settings(state):
    problem = webhook.settings_problem(state.app.config)
    if problem:
        raise ConfigurationError(problem)


@bp.get("/status", strict_slashes=False)
@endpoint(qexo, dump=StatusOut, failures=())
def status(data, caller):
    """How many articles are published, and when the latest was."""
    posts, last = article_service.published_summary()
    return {"data": {"posts": posts, "last": last}}


@bp.post("/save", strict_slashes=False)
@endpoint(
    qexo,
    load=FileSaveIn,
    dump=SavedOut,
    caller=ADMIN,
    failures=(ForbiddenFailure, ConflictFailure),
)
def save(data, caller):
    """Save a file: a post's or a page's creates or updates that article from its front
    matter; any other path is stored as it is."""
    site_files.save(data["file"], data["content"])
    return {}


@bp.post("/delete", strict_slashes=False)
@endpoint(
    qexo,
    load=FilePathIn,
    dump=FileDeletedOut,
    caller=ADMIN,
    failures=(ForbiddenFailure, NonexistentArticleFailure, NonexistentFileFailure),
)
def delete(data, caller):
    """Delete a file: a post's or a page's deletes that article."""
    site_files.delete(data["file"])
    return {}


@bp.post("/create_webhook", strict_slashes=False)
@endpoint(qexo, load=WebhookIn, dump=WebhookOut, caller=ADMIN, failures=(ForbiddenFailure,))
def create_webhook(data, caller):
    """Have every change of content POSTed to `uri` (http or https, on a public address
    or one of WEBHOOK_ALLOWED_NETWORKS)."""
    return webhook.create(data["uri"])


@bp.post("/fix", strict_slashes=False)
@endpoint(qexo, dump=FixedOut, caller=ADMIN, failures=(ForbiddenFailure,))
def fix(data, caller):
    """Put missing or invalid site settings back to their defaults; says how many."""
    return {"fixed": settings_service.repair()}


@bp.get("/get_posts", strict_slashes=False)
@endpoint(qexo, load=SearchIn, dump=PostListOut, caller=ADMIN, failures=(ForbiddenFailure,))
def get_posts(data, caller):
    """The posts that have a file name, newest first; s searches title and name."""
    return {"posts": site_files.articles("post", data["s"])}


@bp.get("/get_pages", strict_slashes=False)
@endpoint(qexo, load=SearchIn, dump=PageListOut, caller=ADMIN, failures=(ForbiddenFailure,))
def get_pages(data, caller):
    """The pages, newest first; s searches title and name."""
    return {"pages": site_files.articles("page", data["s"])}


@bp.get("/get_configs", strict_slashes=False)
@endpoint(qexo, load=SearchIn, dump=ConfigListOut, caller=ADMIN, failures=(ForbiddenFailure,))
def get_configs(data, caller):
    """The stored *.yml and *.yaml files; s searches their paths."""
    return {"configs": site_files.configs(data["s"])}


@bp.get("/get_images", strict_slashes=False)
@endpoint(qexo, load=SearchIn, dump=ImageFileListOut, caller=ADMIN, failures=(ForbiddenFailure,))
def get_images(data, caller):
    """The uploaded images, newest first; s searches their file names."""
    return {"images": with_image_urls(image_service.search(data["s"]))}
