"""Images: uploaded once, stored in the database (so every app host serves them), served
publicly. Their type is read from their first bytes, never from the name or the type
the client gives."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import undefer

from pastecms.config import settings
from pastecms.errors import InvalidParamsFailure, NonexistentImageFailure
from pastecms.extensions import db
from pastecms.models import Article, Image
from pastecms.services import clock
from pastecms.services.content import article as article_service
from pastecms.services.content.taxonomy import Page, paginate
from pastecms.services.ids import new_id

#: (MIME type, file extension, test of the first bytes): the types a site may serve.
IMAGE_TYPES = (
    ("image/jpeg", "jpg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("image/png", "png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/gif", "gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    ("image/webp", "webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
)


def sniff(data: bytes) -> tuple[str, str] | None:
    """The (MIME type, extension) of an image by its first bytes; None when it is none
    of the types above."""
    head = data[:16]
    for mime_type, extension, matches in IMAGE_TYPES:
        if matches(head):
            return mime_type, extension
    return None


def upload(
    data: bytes,
    *,
    original_filename: str | None = None,
    article_id: str | None = None,
    alt_text: str | None = None,
) -> Image:
    """Store an image and return it.

    Raises `InvalidParamsFailure` (details under `file`) for a file that is not a JPEG,
    PNG, GIF or WebP image or is larger than MAX_IMAGE_SIZE, and (under `articleId`) for
    an article id that names none.
    """
    limit = settings().max_image_size
    if len(data) > limit:
        _refuse("file", f"File too large. Max size: {limit} bytes.")
    found = sniff(data)
    if found is None:
        _refuse("file", "Invalid file type. Allowed: image/jpeg, image/png, image/gif, image/webp.")
    if article_id is not None and db.session.get(Article, article_id) is None:
        _refuse("articleId", "No such article.")
    mime_type, extension = found
    image_id = new_id()
    image = Image(
        id=image_id,
        article_id=article_id,
        filename=f"{image_id}.{extension}",
        original_filename=original_filename,
        mime_type=mime_type,
        size_bytes=len(data),
        alt_text=alt_text,
        data=data,
        created_at=clock.now(),
    )
    db.session.add(image)
    db.session.flush()
    return image


def _refuse(field: str, message: str):
    raise InvalidParamsFailure(f"{field}: {message}", details={field: message})


def image_page(page: int = 1, per_page: int = 50) -> Page:
    """A page of images, newest first (without their data)."""
    return paginate(
        select(Image).order_by(Image.created_at.desc(), Image.id.desc()), page, per_page
    )


def search(text: str | None = None) -> list[Image]:
    """Every image (without its data), newest first; with `text`, those whose file name
    contains it (case-insensitive)."""
    query = select(Image).order_by(Image.created_at.desc(), Image.id.desc())
    if text:
        lowered = text.lower()
        query = query.where(
            or_(
                func.lower(Image.original_filename).contains(lowered, autoescape=True),
                func.lower(Image.filename).contains(lowered, autoescape=True),
            )
        )
    return list(db.session.scalars(query))


def get(image_id: str, *, with_data: bool = False) -> Image:
    """The image (with its bytes when `with_data`); `NonexistentImageFailure` when
    there is none."""
    query = select(Image).where(Image.id == image_id)
    if with_data:
        query = query.options(undefer(Image.data))
    image = db.session.scalar(query)
    if image is None:
        raise NonexistentImageFailure()
    return image


def for_article(article_id: str, reader) -> list[Image]:
    """The images uploaded for an article, newest first: none for an unknown article or
    a draft `reader` may not read (the articles' rule, `article.may_read`)."""
    article = db.session.get(Article, article_id)
    if article is None or not article_service.may_read(article, reader):
        return []
    return list(
        db.session.scalars(
            select(Image)
            .where(Image.article_id == article_id)
            .order_by(Image.created_at.desc(), Image.id.desc())
        )
    )


def delete(image_id: str) -> None:
    """Delete the image; articles that showed it as their header show none.
    `NonexistentImageFailure` when there is none."""
    db.session.delete(get(image_id))
    db.session.flush()
