"""The paste face (seed 003): requests as Modern Paste clients send them, flat responses."""

import re

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from pastecms.schemas.fields import (
    MAX_UNIX_TIME,
    Base64Bytes,
    InputSchema,
    Integer,
    List,
    PasteId,
    Remembered,
    Text,
    UnixTime,
)

ANONYMOUS = "Anonymous"
# validate.Regexp anchors only at the start (re.match): each pattern ends with \Z.
_MIME_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+\Z")
_FILE_NAME = re.compile(r"[^/\\\x00-\x1f\x7f]+\Z")
_LANGUAGE = re.compile(r"[\w+#.-]*\Z")


class PasteFaceIn(InputSchema):
    """Every paste-face request: extra keys are ignored, `api_key` may authenticate."""

    class Meta:
        unknown = EXCLUDE

    api_key = Text(
        max_length=256,
        load_default=None,
        allow_none=True,
        metadata={"description": "API key; `Authorization: Bearer <key>` works too."},
    )


def file_name_field(**options) -> Text:
    """An attachment's file name: what a file system and a download header can take."""
    return Text(
        required=True,
        max_length=255,
        validate=validate.Regexp(_FILE_NAME, error="Not a valid file name."),
        **options,
    )


def language_field(**options) -> Text:
    """A language name (Pygments' names and aliases); may be left out."""
    return Text(
        max_length=64,
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(_LANGUAGE, error="Not a valid language name."),
        **options,
    )


def contents_field(**options) -> Text:
    """A paste's text: required, not blank; MAX_PASTE_SIZE is the real limit."""
    return Text(required=True, max_length=16 * 1024 * 1024, **options)


def mime_type_field(**options) -> Text:
    return Text(
        max_length=255,
        load_default="application/octet-stream",
        validate=validate.Regexp(_MIME_TYPE, error="Not a valid MIME type."),
        **options,
    )


class AttachmentIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    file_name = file_name_field(data_key="name")
    mime_type = mime_type_field()
    data = Base64Bytes(required=True, metadata={"type": "string", "format": "byte"})


class PasteFieldsIn(InputSchema):
    """What a new paste is, however it is sent (the API, the web form)."""

    class Meta:
        unknown = EXCLUDE

    contents = contents_field()
    title = Text(max_length=256, load_default=None, allow_none=True)
    language = language_field()
    password = Text(max_length=1024, load_default=None, allow_none=True)
    burn_after_read = fields.Boolean(
        load_default=False,
        metadata={"description": "Delete the paste when it is first read (`max_views` 1)."},
    )
    max_views = Integer(
        minimum=1,
        maximum=2**31 - 1,
        load_default=None,
        allow_none=True,
        metadata={"description": "Delete the paste with the read that counts this many views."},
    )

    @post_load
    def views_allowed(self, data, **kwargs):
        """`max_views` as stored: 1 for burn after reading."""
        if data.pop("burn_after_read", False):
            data["max_views"] = 1
        return data


class PasteSubmitIn(PasteFaceIn, PasteFieldsIn):
    expiry_time = UnixTime(
        load_default=None,
        allow_none=True,
        metadata={"type": "integer", "minimum": 0, "maximum": MAX_UNIX_TIME},
    )
    # The config's MAX_ATTACHMENT_COUNT decides; this cap only bounds the work of reading.
    attachments = List(
        fields.Nested(AttachmentIn), max_length=100, load_default=list, allow_none=True
    )


class PasteIdIn(PasteFaceIn):
    paste_id = PasteId(required=True, metadata={"oneOf": [{"type": "string"}, {"type": "integer"}]})


class PasteDetailsIn(PasteIdIn):
    password = Text(max_length=1024, load_default=None, allow_none=True)


class PasteDeactivateIn(PasteIdIn):
    deactivation_token = Text(max_length=256, load_default=None, allow_none=True)


class PasteSetPasswordIn(PasteIdIn):
    # Required as a key, but empty or null removes the password (seed 003).
    password = Text(max_length=1024, required=True, allow_none=True, blank=True)


class PageIn(PasteFaceIn):
    page_num = Integer(load_default=0, maximum=2**31)
    num_per_page = Integer(
        load_default=20,
        minimum=1,
        maximum=2**31,
        metadata={"description": "Clamped to the server's MAX_PAGE_SIZE."},
    )


class UserPastesIn(PageIn):
    num_per_page = Integer(load_default=None, minimum=1, maximum=2**31, allow_none=True)


class RecordOut(Schema):
    """An Out schema for the plain records the services return: a field is read as the
    record's attribute of that name (marshmallow's own accessor first tries to read it
    as a key, which for an object costs a failed lookup per field)."""

    def get_attribute(self, obj, attr, default):
        return getattr(obj, attr, default)


class AttachmentOut(RecordOut):
    file_name = fields.String()
    file_size = fields.Integer()
    mime_type = fields.String()


class PasteOut(RecordOut):
    """A paste as the details endpoint shows it."""

    paste_id_repr = PasteId(
        attribute="public_id", metadata={"oneOf": [{"type": "string"}, {"type": "integer"}]}
    )
    title = fields.String()
    language = fields.String()
    contents = fields.String()
    post_time = UnixTime(metadata={"type": "integer"})
    expiry_time = UnixTime(metadata={"type": "integer", "nullable": True})
    views = fields.Integer()
    is_active = fields.Boolean()
    is_password_protected = fields.Boolean()
    poster_username = fields.Method("get_poster_username", metadata={"type": "string"})
    url = fields.String(metadata={"format": "uri", "description": "The paste's web page."})
    attachments = fields.List(fields.Nested(AttachmentOut), attribute="listed_attachments")

    def get_poster_username(self, paste):
        poster = paste.poster
        return poster.username if poster is not None and poster.is_active else ANONYMOUS


class PasteListedOut(PasteOut):
    """A paste in a list. Its contents stay out (null) when it is password-protected, or
    when the pastes before it on the page carry MAX_PAGE_BYTES of contents already."""

    contents = fields.String(allow_none=True)
    contents_withheld = fields.Method(
        "get_contents_withheld",
        metadata={
            "type": "boolean",
            "description": "True when `contents` is null here: the paste is "
            "password-protected, or the pastes before it on the page carry the page's "
            "byte budget already. `paste/details` returns the contents.",
        },
    )

    def get_contents_withheld(self, paste):
        return paste.contents is None


class PasteSubmittedOut(PasteOut):
    contents = fields.String(
        allow_none=True,
        metadata={
            "description": "Null in the answer to a retry (`Idempotency-Key`) when the "
            "paste is password-protected or counts its views down: a retry reads nothing."
        },
    )
    deactivation_token = fields.String(
        metadata={"description": "Shown once: keep it to deactivate the paste later."}
    )


class PasteListOut(Schema):
    # The same pastes head every recent and top page: each is dumped once, and only its
    # view count and URL (which follows the host asked) anew.
    pastes = fields.List(
        Remembered(
            PasteListedOut,
            # A paste's contents are in one page and withheld from the next.
            revision=lambda paste: (paste.revision, paste.contents is None),
            fresh=("views", "url"),
            size=lambda paste: len(paste.contents or "") + 1024,
            max_bytes=8 * 1024 * 1024,
        )
    )


class PasteRefOut(Schema):
    paste_id = PasteId(
        attribute="public_id", metadata={"oneOf": [{"type": "string"}, {"type": "integer"}]}
    )
