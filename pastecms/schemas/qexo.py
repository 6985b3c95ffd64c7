"""The Qexo face (seed 000): requests as Qexo's widgets and scripts send them (query, form
or JSON, every value possibly a string), responses with exactly the keys Qexo answers."""

import json
import keyword
import re
import uuid
from datetime import UTC, datetime

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    validate,
)

from pastecms.schemas.fields import BLANK, InputSchema, Integer, Remembered, Text, unstorable

# An address a visitor submits: http(s), a host, and nothing that could leave an HTML
# attribute (the widgets put it into one).
_HTTP_URL = re.compile(r"https?://[^\s/?#\"'<>\\\x60]+[^\s\"'<>\\\x60]*\Z", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")

MAX_TALK_LENGTH = 64 * 1024
MAX_TAGS = 32
MAX_TAG_LENGTH = 64
MAX_VALUES_LENGTH = 16 * 1024
MAX_VALUES_DEPTH = 16
MAX_CUSTOM_LENGTH = 64 * 1024
MAX_VARIABLES = 64
MAX_VARIABLE_LENGTH = 16 * 1024
# The widgets take a talk's time as seconds only when it has ten digits.
FIRST_TEN_DIGIT_SECOND = 1_000_000_000
LAST_TEN_DIGIT_SECOND = 9_999_999_999


def _message(text: str) -> fields.Constant:
    return fields.Constant(text, metadata={"type": "string", "enum": [text]})


# -- field types -----------------------------------------------------------------------


class TalkId(fields.Field):
    """A talk's id: 32 lowercase hex digits; any spelling of the same UUID (dashes, upper
    case) is read as it."""

    default_error_messages = {"invalid": "Not a valid talk id."}

    def __init__(self, *, blank_is_none: bool = False, **kwargs):
        self.blank_is_none = blank_is_none
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 64:
            raise self.make_error("invalid")
        if not value.strip():
            if self.blank_is_none:
                return None
            raise ValidationError(BLANK)
        try:
            return uuid.UUID(value).hex
        except ValueError:
            raise self.make_error("invalid") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def _check_storable(value, depth: int = 0) -> None:
    """Refuse what a database's JSON cannot hold (NUL, lone surrogates) or nests too deep."""
    if depth > MAX_VALUES_DEPTH:
        raise ValidationError("Nested too deeply.")
    if isinstance(value, str):
        if unstorable(value):
            raise ValidationError("Must not contain NUL characters or lone surrogates.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key, depth + 1)
            _check_storable(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_storable(item, depth + 1)
    elif isinstance(value, float) and value != value:  # NaN never comes from JSON text
        raise ValidationError("Not valid JSON.")


class JsonText(fields.Field):
    """A JSON value of one type, given as itself (JSON body) or as its JSON text (query or
    form, as Qexo's own scripts send it)."""

    json_type: type = object
    type_name = "value"
    max_length = MAX_VALUES_LENGTH

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if len(value) > self.max_length:
                raise ValidationError(f"Longer than {self.max_length} characters.")
            try:
                value = json.loads(value, parse_constant=_refuse_constant)
            except (ValueError, RecursionError):
                raise ValidationError(f"Not a JSON {self.type_name}.") from None
        if not isinstance(value, self.json_type):
            raise ValidationError(f"Not a JSON {self.type_name}.")
        _check_storable(value)
        if len(json.dumps(value)) > self.max_length:
            raise ValidationError(f"Longer than {self.max_length} characters as JSON.")
        return self.check(value)

    def check(self, value):
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


class Tags(JsonText):
    """A list of tag names: `["Life", "Essay"]` or its JSON text."""

    json_type = list
    type_name = "array of strings"

    def check(self, value):
        if len(value) > MAX_TAGS:
            raise ValidationError(f"Must have at most {MAX_TAGS} tags.")
        for tag in value:
            if not isinstance(tag, str) or len(tag) > MAX_TAG_LENGTH:
                raise ValidationError(f"Each tag must be a string of at most {MAX_TAG_LENGTH}.")
        return value


class Values(JsonText):
    """Extra fields of a talk: a JSON object, or its JSON text."""

    json_type = dict
    type_name = "object"


class Shown(fields.Field):
    """Whether a friend link is shown: Qexo's "显示" (shown) or "隐藏" (hidden), or a
    boolean, also as the strings true and false."""

    default_error_messages = {"invalid": 'Not one of "显示", "隐藏", true or false.'}
    _WORDS = {"显示": True, "隐藏": False, "true": True, "false": False}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in self._WORDS:
            return self._WORDS[value.strip().lower()]
        raise self.make_error("invalid")


class TalkTime(Integer):
    """Epoch seconds with ten digits, as the widgets read them."""

    def __init__(self, **kwargs):
        super().__init__(minimum=FIRST_TEN_DIGIT_SECOND, maximum=LAST_TEN_DIGIT_SECOND, **kwargs)


def http_url(max_length: int, **kwargs) -> Text:
    return Text(
        max_length=max_length,
        validate=validate.Regexp(_HTTP_URL, error="Must be an http:// or https:// address."),
        **kwargs,
    )


# -- input ---------------------------------------------------------------------------


class QexoIn(InputSchema):
    """Every /pub request: extra keys are ignored, `token` (an admin's API key) may
    authenticate."""

    class Meta:
        unknown = EXCLUDE

    token = Text(
        max_length=256,
        load_default=None,
        allow_none=True,
        metadata={"description": "An admin's API key; `Authorization: Bearer <key>` works too."},
    )


class SearchIn(QexoIn):
    s = Text(
        max_length=256,
        load_default=None,
        allow_none=True,
        metadata={"description": "Only what contains this text (case-insensitive)."},
    )


class FriendIn(QexoIn):
    name = Text(required=True, max_length=256)
    url = Text(required=True, max_length=2048)
    image = Text(max_length=2048, load_default="")
    description = Text(max_length=4096, load_default="")
    status = Shown(load_default=False, metadata={"type": "string", "default": "隐藏"})


class FriendTimeIn(QexoIn):
    time = Text(required=True, max_length=32, metadata={"description": "The link's id."})


class FriendEditIn(FriendTimeIn):
    name = Text(max_length=256, load_default=None)
    url = Text(max_length=2048, load_default=None)
    image = Text(max_length=2048, load_default=None)
    description = Text(max_length=4096, load_default=None)
    status = Shown(load_default=None, metadata={"type": "string"})


class FriendApplicationIn(QexoIn):
    name = Text(required=True, max_length=64)
    url = http_url(512, required=True)
    image = http_url(512, required=True)
    description = Text(max_length=256, load_default="")
    verify = Text(
        max_length=4096,
        load_default=None,
        allow_none=True,
        metadata={"description": "The captcha's response token, when one is configured."},
    )


class TalkPageIn(QexoIn):
    page = Integer(load_default=1, maximum=2**31, metadata={"description": "From 1; 0 reads as 1."})
    limit = Integer(
        load_default=5,
        maximum=2**31,
        metadata={"description": "Talks per page; 0 reads as 5, clamped to MAX_PAGE_SIZE."},
    )


class TalkIdIn(QexoIn):
    id = TalkId(required=True, metadata={"type": "string", "description": "32 hex digits."})


class TalkSaveIn(QexoIn):
    id = TalkId(
        blank_is_none=True,
        load_default=None,
        metadata={"type": "string", "description": "Given: edit this talk; else create one."},
    )
    content = Text(max_length=MAX_TALK_LENGTH, load_default=None)
    tags = Tags(load_default=None, metadata={"description": "A JSON array of strings."})
    values = Values(load_default=None, metadata={"description": "A JSON object."})
    time = TalkTime(load_default=None)


class NotificationIn(QexoIn):
    title = Text(required=True, max_length=512)
    content = Text(required=True, blank=True, max_length=MAX_CUSTOM_LENGTH)


class CustomFieldIn(QexoIn):
    name = Text(required=True, max_length=128)
    content = Text(required=True, blank=True, max_length=MAX_CUSTOM_LENGTH)


class CustomFieldNameIn(QexoIn):
    name = Text(required=True, max_length=128)


class CustomFieldRunIn(QexoIn):
    """`key`, and every other parameter as a variable for the code (`variables`): names
    that are Python identifiers not starting with an underscore; other keys are ignored."""

    class Meta:
        unknown = INCLUDE

    key = Text(required=True, max_length=128)

    @post_load
    def gather_variables(self, data, **kwargs):
        known = {"key", "token"}
        variables = {}
        for name in [name for name in data if name not in known]:
            value = data.pop(name)
            if not (isinstance(name, str) and name.isidentifier()) or name.startswith("_"):
                continue
            if keyword.iskeyword(name):
                continue
            variables[name] = _variable(name, value)
        if len(variables) > MAX_VARIABLES:
            raise ValidationError(f"At most {MAX_VARIABLES} parameters.", "_schema")
        data["variables"] = variables
        return data


def _variable(name: str, value):
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValidationError("Must be a string or a number.", name)
    if isinstance(value, str):
        if len(value) > MAX_VARIABLE_LENGTH or unstorable(value):
            raise ValidationError("Not a value the code can take.", name)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise ValidationError("Out of range.", name)
    elif isinstance(value, float) and value != value:
        raise ValidationError("Out of range.", name)
    return value


class StatisticIn(InputSchema):
    """Read from the request's headers: the page being counted is its Referer."""

    class Meta:
        unknown = EXCLUDE

    referer = Text(
        data_key="Referer",
        max_length=4096,
        load_default=None,
        metadata={"description": "The counted page's full address (browsers send it)."},
    )


# -- output --------------------------------------------------------------------------


class RowOut(Schema):
    """An Out schema for rows and plain records: each field is read as an attribute."""

    def get_attribute(self, obj, attr, default):
        return getattr(obj, attr, default)


class FriendOut(RowOut):
    name = fields.String()
    url = fields.String()
    image = fields.String()
    description = fields.String()
    time = fields.String()


class FriendAdminOut(FriendOut):
    status = fields.Boolean(attribute="is_shown", metadata={"description": "Shown or not."})


class FriendListOut(Schema):
    # Every page view of a blog asks for the same links: each is dumped once and then
    # remembered, keyed by everything it shows.
    data = fields.List(
        Remembered(
            FriendOut,
            revision=tuple,
            fresh=(),
            size=lambda link: sum(map(len, link)) + 512,
            max_bytes=2 * 1024 * 1024,
        )
    )


class FriendAdminListOut(Schema):
    data = fields.List(fields.Nested(FriendAdminOut))


class FriendAddedOut(RowOut):
    msg = _message("Added successfully!")
    time = fields.String(metadata={"description": "The new link's id."})


class FriendAppliedOut(RowOut):
    msg = _message("Applied successfully!")
    time = fields.String(metadata={"description": "The application's id."})


AddedOut = Schema.from_dict({"msg": _message("Added successfully!")}, name="AddedOut")
ModifiedOut = Schema.from_dict({"msg": _message("Modified successfully!")}, name="ModifiedOut")
DeletedOut = Schema.from_dict({"msg": _message("Deleted successfully!")}, name="DeletedOut")
SavedOut = Schema.from_dict({"msg": _message("Saved successfully!")}, name="SavedOut")


class TalkOut(RowOut):
    id = fields.String()
    content = fields.String(metadata={"description": "HTML, as the admin wrote it."})
    time = fields.Function(
        lambda talk: str(talk.time),
        metadata={"type": "string", "description": "Epoch seconds, ten digits."},
    )
    tags = fields.List(fields.String())
    like = fields.Integer(attribute="likes")
    liked = fields.Boolean(metadata={"description": "Whether this client likes it."})
    values = fields.Dict()


class TalkPageOut(Schema):
    msg = _message("Retrieved successfully!")
    count = fields.Integer(metadata={"description": "How many talks there are in all."})
    data = fields.List(fields.Nested(TalkOut))


class TalkLikedOut(Schema):
    msg = fields.Function(
        lambda liked: "Liked successfully!" if liked["action"] else "Unliked successfully!",
        metadata={"type": "string", "enum": ["Liked successfully!", "Unliked successfully!"]},
    )
    action = fields.Boolean(metadata={"description": "true: liked; false: like withdrawn."})


class TalkSavedOut(Schema):
    """A new talk answers its id; an edited one does not (Qexo's two bodies)."""

    msg = fields.Function(
        lambda saved: "Saved successfully!" if saved["created"] else "Modified successfully!",
        metadata={"type": "string", "enum": ["Saved successfully!", "Modified successfully!"]},
    )
    id = fields.Function(
        lambda saved: saved["talk"].id if saved["created"] else None,
        metadata={"type": "string", "x-optional": True, "description": "Only on creation."},
    )

    @post_dump
    def drop_id_of_an_edit(self, data, **kwargs):
        if data["id"] is None:
            del data["id"]
        return data


def _excerpt(content: str, length: int = 20) -> str:
    text = _SPACES.sub(" ", _TAG.sub(" ", content)).strip()
    return text[:length] + "..." if len(text) > length else text


class TalkSummaryOut(RowOut):
    content = fields.Function(
        lambda talk: _excerpt(talk.content),
        metadata={"type": "string", "description": "The first 20 characters, as text."},
    )
    tags = fields.Function(lambda talk: ", ".join(talk.tags), metadata={"type": "string"})
    time = fields.Function(
        lambda talk: datetime.fromtimestamp(talk.time, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        metadata={"type": "string", "description": "UTC, YYYY-mm-dd HH:MM:SS."},
    )
    like = fields.Integer(attribute="likes")
    id = fields.String()


class TalkSummaryListOut(Schema):
    msg = _message("Retrieved successfully!")
    data = fields.List(fields.Nested(TalkSummaryOut))


class NotificationOut(RowOut):
    label = fields.String()
    content = fields.String()
    time = fields.Function(
        lambda notification: str(int(notification.created_at.timestamp())),
        metadata={"type": "string", "description": "Epoch seconds."},
    )


class NotificationListOut(Schema):
    data = fields.List(fields.Nested(NotificationOut))


class CustomOutputOut(Schema):
    data = fields.String(metadata={"description": "What the field's code printed."})


class StatisticOut(Schema):
    site_pv = fields.Integer()
    page_pv = fields.Integer()
    site_uv = fields.Integer()


# -- blog status and the content API -----------------------------------------------------

MAX_FILE_PATH = 512
MAX_FILE_CONTENT = 2 * 1024 * 1024  # characters, front matter and all


def _wall_time(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


class StatusDataOut(Schema):
    posts = fields.Function(
        lambda status: str(status["posts"]),
        metadata={"type": "string", "description": "How many articles are published."},
    )
    last = fields.Function(
        lambda status: _wall_time(status["last"]),
        metadata={
            "type": "string",
            "description": "When the latest was published (UTC, YYYY-mm-dd HH:MM:SS); "
            "empty when none is.",
        },
    )


class StatusOut(Schema):
    data = fields.Nested(StatusDataOut)


class FilePathIn(QexoIn):
    file = Text(
        required=True,
        max_length=MAX_FILE_PATH,
        metadata={
            "description": "`source/_posts/<slug>.md` (a post), `source/<name>/index.md` "
            "(a page) or any other relative path (a stored file)."
        },
    )
    commitchange = Text(
        max_length=1024,
        load_default=None,
        allow_none=True,
        metadata={"description": "Qexo's commit message: accepted and ignored."},
    )


class FileSaveIn(FilePathIn):
    content = Text(
        required=True,
        blank=True,
        max_length=MAX_FILE_CONTENT,
        metadata={"description": "The whole file; a post's or page's with Hexo front matter."},
    )


class WebhookIn(QexoIn):
    uri = Text(
        required=True,
        max_length=2048,
        metadata={"description": "The http(s) URL to POST content changes to."},
    )


FileDeletedOut = Schema.from_dict(
    {"msg": _message("Deleted successfully and deployed!")}, name="FileDeletedOut"
)


class WebhookOut(Schema):
    msg = _message("Webhook created successfully!")
    token = fields.String(metadata={"description": "Added to the URL of each call."})
    webhook_url = fields.String(metadata={"description": "The URL each change is POSTed to."})


class FixedOut(Schema):
    msg = fields.Function(
        lambda fixed: (
            f"Attempted to auto-fix {fixed['fixed']} fields, please check and "
            "modify the configuration later"
        ),
        metadata={"type": "string"},
    )


class FileOut(RowOut):
    name = fields.String()
    path = fields.String()
    fullname = fields.String()
    size = fields.Integer(metadata={"description": "Bytes, in UTF-8."})
    date = fields.Function(
        lambda listed: _wall_time(listed.updated_at),
        metadata={"type": "string", "description": "Last change, UTC, YYYY-mm-dd HH:MM:SS."},
    )


class PostListOut(Schema):
    posts = fields.List(fields.Nested(FileOut))


class PageListOut(Schema):
    pages = fields.List(fields.Nested(FileOut))


class ConfigListOut(Schema):
    configs = fields.List(fields.Nested(FileOut))


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class ImageFileOut(RowOut):
    name = fields.Function(
        lambda image: image.original_filename or image.filename, metadata={"type": "string"}
    )
    size = fields.Function(
        lambda image: _human_size(image.size_bytes),
        metadata={"type": "string", "description": 'e.g. "125.6 KB".'},
    )
    url = fields.String()
    date = fields.Function(lambda image: _wall_time(image.created_at), metadata={"type": "string"})
    time = fields.Function(
        lambda image: str(int(image.created_at.timestamp())),
        metadata={"type": "string", "description": "Epoch seconds of the upload."},
    )


class ImageFileListOut(Schema):
    images = fields.List(fields.Nested(ImageFileOut))
