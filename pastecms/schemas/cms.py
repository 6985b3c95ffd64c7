"""The CMS face (seed 002, /v1): requests as the CMS's clients send them (camelCase JSON,
query strings, multipart uploads), and the bodies they read back.

Times go out in one format only: ISO 8601 in UTC with milliseconds and a `Z`
(`2024-01-15T10:00:00.000Z`), as JavaScript's `toISOString` writes them.
"""

import re
from datetime import UTC, date, datetime

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, post_load, validate

from pastecms import front_matter
from pastecms.schemas.fields import InputSchema, Integer, List, Remembered, Text
from pastecms.schemas.paste import RecordOut

STATUSES = ("draft", "published")
MAX_TITLE = 255
MAX_DESCRIPTION = 2000
MAX_CONTENT = 1024 * 1024  # characters
MAX_MARKDOWN = 2 * 1024 * 1024  # characters of an imported file, front matter and all
MAX_TAG = 64
MAX_TAGS = 50
MAX_SETTING = 2000
INT32 = 2**31 - 1

# validate.Regexp anchors only at the start (re.match): each pattern ends with \Z.
_HEX_ID = re.compile(r"[0-9a-f]{16}\Z")
# A ULID in Crockford's base32, lowercase (no i, l, o, u).
_ULID = re.compile(r"[0-9a-hjkmnp-tv-z]{26}\Z")
_SLUG = re.compile(r"[A-Za-z0-9._~-]+\Z")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}\Z")


def iso_time(value: datetime) -> str:
    """`value` as the face writes every time: `2024-01-15T10:00:00.000Z`."""
    # isoformat, not strftime: strftime writes year 1 as "1" on glibc.
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- field types ------------------------------------------------------------------------


class IsoTime(fields.Field):
    """A UTC-aware datetime, written as `iso_time` writes it."""

    def __init__(self, **kwargs):
        metadata = {"type": "string", "format": "date-time", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else iso_time(value)


class ContentId(Text):
    """An id of an article, tag, category or image: 16 lowercase hex characters. An empty
    string means none, as the CMS's own admin sends an unset choice."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=16, validate=validate.Regexp(_HEX_ID, error="Not a valid id."), **kwargs
        )

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value == "" and self.allow_none:
            value = None
        return super().deserialize(value, attr, data, **kwargs)


class ArticleHash(Text):
    """An article's hash: a ULID, taken in any case (ULIDs are case-insensitive) and
    returned in lowercase."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=26,
            validate=validate.Regexp(_ULID, error="Not a valid article hash."),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).lower()


class Timestamp(fields.Field):
    """A time in front matter: an ISO 8601 string, or a YAML date or timestamp. Without
    a zone it is taken as UTC."""

    default_error_messages = {"invalid": "Not a valid ISO 8601 time."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if len(value) > 64:
                raise self.make_error("invalid")
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                raise self.make_error("invalid") from None
        elif isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if not isinstance(value, datetime):
            raise self.make_error("invalid")
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid") from None


class ImageFile(fields.Field):
    """A multipart upload as `{data, filename, mime_type}` (the type the client claims,
    which the service does not trust). The request's size limit bounds what is read."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"type": "string", "format": "binary"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not hasattr(value, "filename") or not hasattr(value, "read"):
            raise ValidationError("Not a file upload.")
        name = value.filename or ""
        if len(name) > 255 or re.search("[\x00-\x1f\x7f/\\\\]", name):
            name = ""
        return {"data": value.read(), "filename": name or None, "mime_type": value.mimetype}


# -- requests ---------------------------------------------------------------------------


class CmsIn(InputSchema):
    """Every /v1 request: clients send extra keys, which are ignored."""

    class Meta:
        unknown = EXCLUDE


def _text(max_length: int, **options) -> Text:
    return Text(max_length=max_length, **options)


def _status(**options) -> Text:
    return Text(max_length=16, validate=validate.OneOf(STATUSES), **options)


def _tags(**options) -> List:
    return List(
        Text(max_length=MAX_TAG, blank=False),
        max_length=MAX_TAGS,
        metadata={"description": "Tag names, matched exactly; new ones are created."},
        **options,
    )


class ArticleUpdateIn(CmsIn):
    """A partial article: only the fields sent change."""

    title = _text(MAX_TITLE, blank=False)
    content = _text(MAX_CONTENT, blank=False)
    description = _text(MAX_DESCRIPTION, allow_none=True)
    status = _status()
    tags = _tags()
    category_id = ContentId(data_key="categoryId", allow_none=True)
    header_image_id = ContentId(data_key="headerImageId", allow_none=True)
    slide_mode = fields.Boolean(data_key="slideMode")
    slide_duration = Integer(
        data_key="slideDuration",
        minimum=30,
        maximum=3600,
        allow_none=True,
        metadata={"description": "Seconds per slide, 30 to 3600."},
    )


class ArticleCreateIn(ArticleUpdateIn):
    title = _text(MAX_TITLE, required=True)
    content = _text(MAX_CONTENT, required=True)
    description = _text(MAX_DESCRIPTION, allow_none=True, load_default=None)
    status = _status(load_default="draft")
    tags = _tags(load_default=list)
    category_id = ContentId(data_key="categoryId", allow_none=True, load_default=None)
    header_image_id = ContentId(data_key="headerImageId", allow_none=True, load_default=None)
    slide_mode = fields.Boolean(data_key="slideMode", load_default=False)
    slide_duration = Integer(
        data_key="slideDuration", minimum=30, maximum=3600, allow_none=True, load_default=None
    )


class ArticleListIn(CmsIn):
    status = _status(load_default=None)
    tag = _text(MAX_TAG, load_default=None, metadata={"description": "A tag name, exactly."})
    category = _text(100, load_default=None, metadata={"description": "A category slug."})
    page = Integer(minimum=1, maximum=INT32, load_default=1)
    per_page = Integer(
        data_key="perPage",
        minimum=1,
        maximum=INT32,
        load_default=10,
        metadata={"description": "At most 100 (larger values are clamped)."},
    )


class ExportIn(CmsIn):
    status = _status(load_default=None)


class PageIn(CmsIn):
    page = Integer(minimum=1, maximum=INT32, load_default=1)
    per_page = Integer(
        data_key="perPage",
        minimum=-INT32,
        maximum=INT32,
        load_default=50,
        metadata={"description": "Clamped to 1..200."},
    )


class ArticlePathIn(InputSchema):
    hash = ArticleHash(required=True)


class IdPathIn(InputSchema):
    id = ContentId(required=True)


class TagIn(CmsIn):
    name = _text(MAX_TAG, required=True)


class CategoryUpdateIn(CmsIn):
    name = _text(100, blank=False)
    slug = _text(
        100, blank=False, validate=validate.Regexp(_SLUG, error="Use letters, digits, '.-_~'.")
    )
    color = _text(7, validate=validate.Regexp(_COLOR, error="Must be a #rrggbb color."))
    display_order = Integer(data_key="displayOrder", minimum=-INT32, maximum=INT32)


class CategoryCreateIn(CategoryUpdateIn):
    name = _text(100, required=True)
    slug = _text(
        100, required=True, validate=validate.Regexp(_SLUG, error="Use letters, digits, '.-_~'.")
    )
    color = _text(
        7,
        load_default="#6B7280",
        validate=validate.Regexp(_COLOR, error="Must be a #rrggbb color."),
    )
    display_order = Integer(
        data_key="displayOrder",
        minimum=-INT32,
        maximum=INT32,
        load_default=None,
        allow_none=True,
        metadata={"description": "Default: after the last category."},
    )


class CategoryReorderIn(CmsIn):
    ordered_ids = List(ContentId(), data_key="orderedIds", max_length=1000, required=True)


class ImageUploadIn(CmsIn):
    file = ImageFile(required=True)
    article_id = ContentId(data_key="articleId", allow_none=True, load_default=None)
    alt_text = _text(500, data_key="altText", allow_none=True, load_default=None)


class _OpenCmsIn(CmsIn):
    class Meta:
        unknown = INCLUDE


def settings_in(keys: tuple[str, ...]) -> type[Schema]:
    """The settings update body: every known key optional, a string or null (null
    removes the setting). Other keys reach the service, which refuses them by name."""
    return _OpenCmsIn.from_dict(
        {key: _text(MAX_SETTING, allow_none=True) for key in keys}, name="SettingsUpdateIn"
    )


class FrontMatterIn(CmsIn):
    """What an imported Markdown file says about its article (Hexo's keys, plus those
    our export writes)."""

    title = _text(MAX_TITLE, required=True)
    content = _text(MAX_CONTENT, required=True)
    description = _text(MAX_DESCRIPTION, allow_none=True, load_default=None)
    status = _status(load_default=None, allow_none=True)
    published = fields.Boolean(load_default=None, allow_none=True)
    tags = _tags(load_default=list, allow_none=True)
    category = _text(100, load_default=None, allow_none=True)
    hash = ArticleHash(load_default=None, allow_none=True)
    date = Timestamp(load_default=None, allow_none=True)
    published_at = Timestamp(data_key="publishedAt", load_default=None, allow_none=True)
    created_at = Timestamp(data_key="created", load_default=None, allow_none=True)
    updated_at = Timestamp(data_key="updated", load_default=None, allow_none=True)

    @post_load
    def decide_publication(self, data, **kwargs):
        status = data.pop("status") or ("published" if data.pop("published") else "draft")
        data.pop("published", None)
        when = data.pop("date")
        data["status"] = status
        if data["published_at"] is None and status == "published":
            data["published_at"] = when
        if data["created_at"] is None:
            data["created_at"] = when
        data["tags"] = data["tags"] or []
        return data


def _one_category(value):
    """Hexo's `categories`: a name, a list of names, or a list of hierarchies; the
    article takes the first (top-level) one."""
    while isinstance(value, list):
        value = value[0] if value else None
    return value


class MarkdownImportIn(CmsIn):
    """A Markdown file with YAML front matter, as Hexo writes it, sent as `content`."""

    content = _text(
        MAX_MARKDOWN,
        required=True,
        metadata={
            "description": "The whole file: front matter between `---` lines, then Markdown."
        },
    )

    @post_load
    def parse(self, data, **kwargs):
        try:
            post = front_matter.loads(data["content"])
        except front_matter.UnreadableFrontMatter as unreadable:
            raise ValidationError({"content": str(unreadable)}) from None
        meta = dict(post.metadata)
        tags = meta.get("tags")
        fields_in = {
            **{str(key): value for key, value in meta.items()},
            "content": post.content,
            "tags": [tags] if isinstance(tags, str) else tags,
            "category": _one_category(meta.get("categories", meta.get("category"))),
        }
        return FrontMatterIn().load(fields_in)


# -- responses --------------------------------------------------------------------------


class CategoryRefOut(RecordOut):
    """An article's category, with every field of the CMS's `Category` type but the
    count (which would move every article's answer with each article of the category)."""

    id = fields.String()
    name = fields.String()
    slug = fields.String()
    color = fields.String()
    displayOrder = fields.Integer(attribute="display_order")
    createdAt = IsoTime(attribute="created_at")


class ArticleOut(RecordOut):
    id = fields.String()
    hash = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    content = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    publishedAt = IsoTime(attribute="published_at", allow_none=True)
    createdAt = IsoTime(attribute="created_at")
    updatedAt = IsoTime(attribute="updated_at")
    tags = fields.List(fields.String(), attribute="tag_names")
    categoryId = fields.String(attribute="category_id", allow_none=True)
    category = fields.Nested(CategoryRefOut, allow_none=True)
    headerImageId = fields.String(attribute="header_image_id", allow_none=True)
    headerImageUrl = fields.String(
        attribute="header_image_url", allow_none=True, metadata={"format": "uri"}
    )
    slideMode = fields.Boolean(attribute="slide_mode")
    slideDuration = fields.Integer(attribute="slide_duration", allow_none=True)


class ArticleListOut(Schema):
    # The same articles head every page request after request: each is dumped once
    # for as long as nothing it shows changes (`ArticleRecord.revision`).
    articles = fields.List(
        Remembered(
            ArticleOut,
            revision=lambda article: article.revision,
            fresh=(),
            size=lambda article: len(article.content) + 2048,
            max_bytes=8 * 1024 * 1024,
        )
    )
    total = fields.Integer()
    page = fields.Integer()
    perPage = fields.Integer(attribute="per_page")


class SuccessOut(Schema):
    success = fields.Boolean(metadata={"enum": [True]})


class PaginationOut(Schema):
    page = fields.Integer()
    perPage = fields.Integer(attribute="per_page")
    total = fields.Integer()
    totalPages = fields.Integer(attribute="total_pages")


class TagOut(Schema):
    id = fields.String()
    name = fields.String()
    createdAt = IsoTime(attribute="created_at")
    articleCount = fields.Integer(attribute="article_count")


class TagListOut(Schema):
    tags = fields.List(fields.Nested(TagOut), attribute="items")
    pagination = fields.Nested(PaginationOut, attribute="page_info")


class CategoryOut(Schema):
    id = fields.String()
    name = fields.String()
    slug = fields.String()
    color = fields.String()
    displayOrder = fields.Integer(attribute="display_order")
    createdAt = IsoTime(attribute="created_at")
    articleCount = fields.Integer(attribute="article_count")


class CategoryListOut(Schema):
    categories = fields.List(fields.Nested(CategoryOut), attribute="items")
    pagination = fields.Nested(PaginationOut, attribute="page_info")


class ImageOut(Schema):
    id = fields.String()
    articleId = fields.String(attribute="article_id", allow_none=True)
    filename = fields.String()
    originalFilename = fields.String(attribute="original_filename", allow_none=True)
    mimeType = fields.String(attribute="mime_type")
    sizeBytes = fields.Integer(attribute="size_bytes")
    altText = fields.String(attribute="alt_text", allow_none=True)
    createdAt = IsoTime(attribute="created_at")
    url = fields.String(metadata={"format": "uri", "description": "The public image file."})


class ImageListOut(Schema):
    images = fields.List(fields.Nested(ImageOut), attribute="items")
    pagination = fields.Nested(PaginationOut, attribute="page_info")


class ArticleImagesOut(Schema):
    images = fields.List(fields.Nested(ImageOut))


class SettingsOut(Schema):
    settings = fields.Dict(keys=fields.String(), values=fields.String())
    updatedAt = IsoTime(attribute="updated_at", allow_none=True)


class ApiKeyStatusOut(Schema):
    hasKey = fields.Boolean(attribute="has_key")
    enabled = fields.Boolean()
    createdAt = IsoTime(attribute="created_at", allow_none=True)


class ApiKeyOut(Schema):
    key = fields.String(metadata={"description": "64 hex characters, shown only now."})
    createdAt = IsoTime(attribute="created_at")


class ExportedOut(Schema):
    hash = fields.String()
    title = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    exportUrl = fields.String(attribute="export_url", metadata={"format": "uri"})
    markdown = fields.String(metadata={"description": "What GET /v1/export/{hash} answers."})


class ExportOut(Schema):
    articles = fields.List(fields.Nested(ExportedOut))
    total = fields.Integer()


class CmsHealthOut(Schema):
    status = fields.String(metadata={"enum": ["ok"]})
