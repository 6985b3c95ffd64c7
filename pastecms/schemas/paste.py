"""The paste face (seed 003): requests as Modern Paste clients send them, flat responses."""

import functools
import re

from flask import current_app, g, request, url_for
from marshmallow import EXCLUDE, Schema, fields, validate

from pastecms.schemas.fields import (
    MAX_UNIX_TIME,
    Base64Bytes,
    Integer,
    List,
    PasteId,
    Text,
    UnixTime,
)
from pastecms.services.ids import paste_ids

ANONYMOUS = "Anonymous"
_ID_SLOT = "PASTE-ID-SLOT"
# validate.Regexp anchors only at the start (re.match): each pattern ends with \Z.
_MIME_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+\Z")
_FILE_NAME = re.compile(r"[^/\\\x00-\x1f\x7f]+\Z")
_LANGUAGE = re.compile(r"[\w+#.-]*\Z")


class PasteFaceIn(Schema):
    """Every paste-face request: extra keys are ignored, `api_key` may authenticate."""

    class Meta:
        unknown = EXCLUDE

    api_key = Text(
        max_length=256,
        load_default=None,
        allow_none=True,
        metadata={"description": "API key; `Authorization: Bearer <key>` works too."},
    )


class AttachmentIn(Schema):
    class Meta:
        unknown = EXCLUDE

    file_name = Text(
        data_key="name",
        required=True,
        max_length=255,
        validate=validate.Regexp(_FILE_NAME, error="Not a valid file name."),
    )
    mime_type = Text(
        max_length=255,
        load_default="application/octet-stream",
        validate=validate.Regexp(_MIME_TYPE, error="Not a valid MIME type."),
    )
    data = Base64Bytes(required=True, metadata={"type": "string", "format": "byte"})


class PasteSubmitIn(PasteFaceIn):
    contents = Text(required=True, max_length=16 * 1024 * 1024)
    title = Text(max_length=256, load_default=None, allow_none=True)
    language = Text(
        max_length=64,
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(_LANGUAGE, error="Not a valid language name."),
    )
    password = Text(max_length=1024, load_default=None, allow_none=True)
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


class AttachmentOut(Schema):
    file_name = fields.String()
    file_size = fields.Integer()
    mime_type = fields.String()


class PasteOut(Schema):
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
    url = fields.Method("get_url", metadata={"type": "string", "format": "uri"})
    attachments = fields.List(fields.Nested(AttachmentOut), attribute="listed_attachments")

    def get_poster_username(self, paste):
        poster = paste.poster
        return poster.username if poster is not None and poster.is_active else ANONYMOUS

    def get_url(self, paste):
        return paste_url(paste.public_id)


def paste_url(public_id) -> str:
    """The full URL of a paste's web page.

    The URL of a paste page differs from another's only by the id, so a template is made
    once per site root and the id put into it: `url_for` per paste would take longer than
    reading a page of pastes from the database. Public ids are URL-safe as they are.
    """
    template = g.get("_paste_url_template")
    if template is None:
        template = _url_template(request.root_url, current_app.config["SERVER_NAME"])
        g._paste_url_template = template
    return template.replace(_ID_SLOT, str(public_id))


@functools.lru_cache(maxsize=64)
def _url_template(root_url: str, server_name: str | None) -> str:
    # Keyed by what `url_for` reads besides the routes, which are the same in every app;
    # bounded, as the Host header that root_url comes from is the client's to choose.
    return url_for("web.show", paste_id=_ID_SLOT, _external=True)


class PasteListedOut(PasteOut):
    """A paste in a list: a protected paste's contents stay out (null) without its password."""

    contents = fields.Method("get_contents", metadata={"type": "string", "nullable": True})

    def get_contents(self, paste):
        return None if paste.is_password_protected else paste.contents


class PasteSubmittedOut(PasteOut):
    deactivation_token = fields.String(
        metadata={"description": "Shown once: keep it to deactivate the paste later."}
    )


class PasteListOut(Schema):
    pastes = fields.List(fields.Nested(PasteListedOut))


class PasteRefOut(Schema):
    paste_id = fields.Method(
        "get_id_repr", metadata={"oneOf": [{"type": "string"}, {"type": "integer"}]}
    )

    def get_id_repr(self, paste):
        return paste_ids().encode(paste.id)
