"""The JWT login face (seed 004): its requests, and the `data` member of its answers."""

import re
from datetime import UTC

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from pastecms.schemas.fields import BLANK, InputSchema, Integer, Text
from pastecms.schemas.paste import RecordOut

# A refresh token is about 250 characters. The cap keeps a GET carrying one in its query
# string within the request line gunicorn accepts (4094 bytes), so that even the longest
# value this schema allows is answered by the app, never by gunicorn's HTML 414.
MAX_REFRESH_TOKEN_LENGTH = 1024


class AuthFaceIn(InputSchema):
    """Every request of the face: extra keys are ignored."""

    class Meta:
        unknown = EXCLUDE


class TokenLoginIn(AuthFaceIn):
    username = Text(
        required=True,
        max_length=254,
        metadata={"description": "The username (in any case) or the account's email."},
    )
    password = Text(required=True, max_length=1024)
    rememberme = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Ask for a long-lived refresh token; honoured only when the "
            "server allows it (PASTECMS_JWT_REMEMBER_ME)."
        },
    )


class RefreshTokenIn(AuthFaceIn):
    token = Text(
        required=True,
        max_length=MAX_REFRESH_TOKEN_LENGTH,
        metadata={"description": "A refresh token from `POST /api/auth/auth`."},
    )


class TokenPairOut(Schema):
    access_token = fields.String(
        metadata={"description": "Send as `Authorization: Bearer <token>` to any face."}
    )
    refresh_token = fields.String(metadata={"description": "Renews the access token; revocable."})


class LoginOut(Schema):
    data = fields.Nested(TokenPairOut)


class AccessTokenOut(Schema):
    data = fields.String(
        metadata={"description": "The new access token itself, as the original's UI reads it."}
    )


class RevokedOut(Schema):
    data = fields.Boolean(metadata={"description": "Always true."})


# -- the content read API (/api/content) ------------------------------------------------

# An article is addressed by its id (16 lowercase hex) or its hash (a ULID, in any case).
_ARTICLE_ID = re.compile(r"[0-9a-f]{16}\Z")
_ARTICLE_HASH = re.compile(r"[0-9a-hjkmnp-tv-z]{26}\Z")
#: What `sortby` may name, and the article field each sorts by.
SORT_FIELDS = {
    "published": "published_at",
    "modified": "updated_at",
    "created": "created_at",
    "name": "title",
    "title": "title",
    "id": "id",
}
SORT_DIRECTIONS = ("asc", "desc")
MAX_SORT_KEYS = len(set(SORT_FIELDS.values()))
MAX_SORTBY_LENGTH = 200
#: `field.<name>` filters: the wire name and the article field each matches.
FILTER_FIELDS = {"title": "title", "summary": "description", "body": "content"}
FILTER_PREFIX = "field."
CONTAIN = "contain:"
MAX_FILTER_LENGTH = 255
DEFAULT_LIMIT = 10


class ArticleRef(fields.String):
    """An article's id (16 lowercase hex) or its hash (a 26-character ULID, read in any
    case); anything else names no article."""

    default_error_messages = {"invalid": "Not an article id or hash."}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) == 26:
            value = value.lower()
        if not (_ARTICLE_ID.match(value) or _ARTICLE_HASH.match(value)):
            raise self.make_error("invalid")
        return value


class SortBy(fields.String):
    """`published desc;modified desc`: `;`-separated keys of SORT_FIELDS, each with an
    optional direction (asc by default). Loaded as pairs (article field, descending)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=MAX_SORTBY_LENGTH), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        order = []
        for clause in value.split(";"):
            words = clause.split()
            if not words:
                continue
            name, direction = words[0], words[1].lower() if len(words) > 1 else "asc"
            if name not in SORT_FIELDS or direction not in SORT_DIRECTIONS or len(words) > 2:
                raise ValidationError(
                    f"Not a valid sort: {clause.strip()[:50]!r}; sort by "
                    f"{', '.join(SORT_FIELDS)}, each asc or desc, separated by ';'."
                )
            order.append((SORT_FIELDS[name], direction == "desc"))
        if not order:
            raise ValidationError(BLANK)
        if len(order) > MAX_SORT_KEYS:
            raise ValidationError(f"Sort by at most {MAX_SORT_KEYS} fields.")
        return tuple(order)


class FieldFilter(Text):
    """A `field.<name>` value: the exact value, or `contain:<text>` for a substring in
    any case. Loaded as (value, contains)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=len(CONTAIN) + MAX_FILTER_LENGTH, blank=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        contains = value.startswith(CONTAIN)
        if contains:
            value = value[len(CONTAIN) :]
            if not value:
                raise ValidationError(BLANK)
        return (value, contains)


class ContentListIn(AuthFaceIn):
    limit = Integer(
        minimum=1,
        load_default=DEFAULT_LIMIT,
        metadata={"description": "At most this many (default 10; capped at MAX_PAGE_SIZE)."},
    )
    offset = Integer(load_default=0, metadata={"description": "Skip this many first."})
    sortby = SortBy(
        load_default=(("published_at", True),),
        metadata={
            "description": "`;`-separated fields, each `asc` (the default) or `desc`: "
            f"{', '.join(SORT_FIELDS)}. Default `published desc`."
        },
    )
    author = fields.String(
        load_default=None,
        validate=validate.OneOf(["self"]),
        metadata={"description": "`self`: only the caller's own articles."},
    )
    field_title = FieldFilter(
        data_key="field.title",
        load_default=None,
        metadata={"description": "The exact title, or `contain:<text>` (any case)."},
    )
    field_summary = FieldFilter(
        data_key="field.summary",
        load_default=None,
        metadata={"description": "The exact summary, or `contain:<text>` (any case)."},
    )
    field_body = FieldFilter(
        data_key="field.body",
        load_default=None,
        metadata={"description": "The exact body, or `contain:<text>` (any case)."},
    )

    @validates_schema(pass_original=True)
    def known_filters(self, data, original, **kwargs):
        unknown = [
            key
            for key in original
            if isinstance(key, str)
            and key.startswith(FILTER_PREFIX)
            and key[len(FILTER_PREFIX) :] not in FILTER_FIELDS
        ]
        if unknown:
            message = f"No such field; filter on {', '.join(FILTER_FIELDS)}."
            raise ValidationError({key[:100]: message for key in unknown[:10]})

    @post_load
    def gather_filters(self, data, **kwargs):
        """The filters as `(article field, value, contains)` matches."""
        matches = []
        for wire, field in FILTER_FIELDS.items():
            given = data.pop(f"field_{wire}")
            if given is not None:
                matches.append((field, *given))
        data["matches"] = tuple(matches)
        return data


class ContentPathIn(InputSchema):
    id = ArticleRef(required=True)


#: Attributes that name the record itself: the nested parts of an article are read off
#: the article (one name each: marshmallow refuses two fields of one attribute).
_METADATA, _LOCATION = "__metadata__", "__location__"


def rfc3339(value):
    """A UTC time as the original (Go's `time.Time` in JSON) writes it:
    `2024-01-15T10:00:00.5Z`, with no trailing zeros in the fraction."""
    text = value.astimezone(UTC).isoformat(timespec="microseconds")
    stamp, fraction = text[: -len("+00:00")].split(".")
    fraction = fraction.rstrip("0")
    return f"{stamp}.{fraction}Z" if fraction else f"{stamp}Z"


class Rfc3339(fields.Field):
    def __init__(self, **kwargs):
        super().__init__(metadata={"type": "string", "format": "date-time"}, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else rfc3339(value)


class ContentMetadataOut(RecordOut):
    contenttype = fields.Constant("article", metadata={"type": "string", "enum": ["article"]})
    name = fields.String(attribute="title")
    version = fields.Constant(
        0, metadata={"type": "integer", "description": "Always 0: articles keep no versions."}
    )
    published = Rfc3339(attribute="published_at", allow_none=True)
    modified = Rfc3339(attribute="updated_at")
    cuid = fields.String(attribute="hash", metadata={"description": "The article's hash."})
    author = fields.Integer(attribute="author_id", allow_none=True)
    author_name = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["draft", "published"]})


class ContentLocationOut(RecordOut):
    id = fields.String()
    parent_id = fields.String(
        attribute="category_id", allow_none=True, metadata={"description": "Its category."}
    )
    main_id = fields.Function(lambda article: article.id, metadata={"type": "string"})
    identifier_path = fields.Method(
        "_path_of",
        metadata={"type": "string", "description": "content/<category slug>/<slug or hash>"},
    )

    def _path_of(self, article) -> str:
        parts = ["content"]
        if article.category is not None:
            parts.append(article.category.slug)
        parts.append(article.slug or article.hash)
        return "/".join(parts)


class ContentOut(RecordOut):
    metadata = fields.Nested(ContentMetadataOut, attribute=_METADATA)
    id = fields.String()
    title = fields.String()
    summary = fields.String(attribute="description", allow_none=True)
    body = fields.String(attribute="content")
    tags = fields.List(fields.String(), attribute="tag_names")
    location = fields.Nested(ContentLocationOut, attribute=_LOCATION)

    def get_attribute(self, obj, attr, default):
        return obj if attr in (_METADATA, _LOCATION) else getattr(obj, attr, default)


class ContentGetOut(Schema):
    data = fields.Nested(ContentOut)


class ContentPageOut(Schema):
    list = fields.List(fields.Nested(ContentOut), attribute="articles")
    count = fields.Integer(attribute="total", metadata={"description": "How many match."})


class ContentListOut(Schema):
    data = fields.Nested(ContentPageOut)
