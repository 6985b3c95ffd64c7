"""/v1/images: the CMS's images (seed 002), stored in the database, files served publicly."""

from io import BytesIO

from flask import send_file

from pastecms.api import ADMIN, REQUIRED, endpoint
from pastecms.errors import ForbiddenFailure, NonexistentImageFailure
from pastecms.openapi import success_media
from pastecms.schemas.cms import (
    ArticleImagesOut,
    IdPathIn,
    ImageListOut,
    ImageOut,
    ImageUploadIn,
    PageIn,
    SuccessOut,
)
from pastecms.services.content import image as image_service
from pastecms.views.envelopes import cms
from pastecms.views.links import with_image_urls

bp = cms.blueprint("cms_images", __name__, url_prefix="/v1/images")

IMAGE = {"path": IdPathIn, "path_failure": NonexistentImageFailure}
#: An image's bytes never change under its id: caches may keep them for a year.
FILE_MAX_AGE = 365 * 24 * 3600


@bp.post("")
@endpoint(
    cms,
    load=ImageUploadIn,
    location="form_and_files",
    dump=ImageOut,
    status=201,
    caller=ADMIN,
    failures=(ForbiddenFailure,),
)
def upload(data, caller):
    """Upload an image (multipart `file`; optional `articleId`, `altText`).

    JPEG, PNG, GIF or WebP, told by its content, at most MAX_IMAGE_SIZE bytes; anything
    else is `invalid_params_failure` with details under `file`.
    """
    image = image_service.upload(
        data["file"]["data"],
        original_filename=data["file"]["filename"],
        article_id=data["article_id"],
        alt_text=data["alt_text"],
    )
    return with_image_urls([image])[0]


@bp.get("")
@endpoint(cms, load=PageIn, dump=ImageListOut, caller=REQUIRED)
def list_images(data, caller):
    """A page of images, newest first."""
    page = image_service.image_page(data["page"], data["per_page"])
    with_image_urls(page.items)
    return page


@bp.get("/article/<id>")
@endpoint(cms, path=IdPathIn, dump=ArticleImagesOut, caller=REQUIRED)
def article_images(data, caller):
    """The images uploaded for an article (by the article's `id`), newest first; none
    for a draft the caller may not read."""
    return {"images": with_image_urls(image_service.for_article(data["id"], caller))}


@bp.get("/<id>")
@endpoint(cms, **IMAGE, dump=ImageOut, caller=REQUIRED)
def get_image(data, caller):
    """One image's details; `nonexistent_image_failure` when there is none."""
    return with_image_urls([image_service.get(data["id"])])[0]


@bp.delete("/<id>")
@endpoint(cms, **IMAGE, dump=SuccessOut, caller=ADMIN, failures=(ForbiddenFailure,))
def delete_image(data, caller):
    """Delete an image; articles that had it as header image have none."""
    image_service.delete(data["id"])
    return {"success": True}


@bp.get("/<id>/file")
@success_media("image/*", {"type": "string", "format": "binary"})
@endpoint(cms, **IMAGE)
def file(data, caller):
    """The image itself, public, with its stored type and a year of caching."""
    image = image_service.get(data["id"], with_data=True)
    response = send_file(BytesIO(image.data), mimetype=image.mime_type, max_age=FILE_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
