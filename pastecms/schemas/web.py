"""The web face's forms, validated by the same field types as the API."""

from datetime import timedelta
from urllib.parse import urlsplit

from marshmallow import EXCLUDE, ValidationError, fields, post_load, validate

from pastecms.models import utcnow
from pastecms.schemas.fields import InputSchema, Integer, List, PasteId, Text
from pastecms.schemas.paste import (
    PasteFieldsIn,
    contents_field,
    file_name_field,
    language_field,
    mime_type_field,
)
from pastecms.schemas.user import PASSWORD, USERNAME

#: Form choice -> lifetime; the form shows them in this order.
EXPIRY_CHOICES = {
    "never": None,
    "10m": timedelta(minutes=10),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
    "1M": timedelta(days=30),
}


class Lifetime(fields.Field):
    """One of EXPIRY_CHOICES on the wire; the absolute expiry it gives from now inside
    (None for "never")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value not in EXPIRY_CHOICES:
            raise ValidationError(f"Must be one of: {', '.join(EXPIRY_CHOICES)}.")
        lifetime = EXPIRY_CHOICES[value]
        return utcnow() + lifetime if lifetime else None


class UploadIn(InputSchema):
    """A file from a form's file input, held to the same name and type rules as the API."""

    file_name = file_name_field(data_key="name")
    mime_type = mime_type_field()
    data = fields.Raw(required=True)


class Upload(fields.Field):
    """A file input's upload as `{file_name, mime_type, data}`; an input left empty (a
    part without a file name) is None. The request's size limit bounds what is read."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not hasattr(value, "filename") or not hasattr(value, "read"):
            raise ValidationError("Not a file upload.")
        if not value.filename:
            return None
        return UploadIn().load(
            {
                "name": value.filename,
                "mime_type": value.mimetype or "application/octet-stream",
                "data": value.read(),
            }
        )


class OptionalCount(Integer):
    """A number input that may be left empty (None)."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        return super().deserialize(None if value == "" else value, attr, data, **kwargs)


class PasteFormIn(PasteFieldsIn):
    expiry_time = Lifetime(data_key="expires_in", load_default=None)
    max_views = OptionalCount(minimum=1, maximum=2**31 - 1, load_default=None, allow_none=True)
    attachments = List(Upload(), max_length=100, load_default=list)

    @post_load
    def drop_empty_uploads(self, data, **kwargs):
        data["attachments"] = [item for item in data["attachments"] if item is not None]
        return data

    @post_load
    def unix_line_endings(self, data, **kwargs):
        """Browsers send a textarea's lines ending in CRLF: store them as typed, with
        `\n`, so a script pasted in runs when downloaded."""
        data["contents"] = newlines(data["contents"])
        return data


def newlines(text: str) -> str:
    """`text` with every CRLF and lone CR made LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class UnlockFormIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    password = Text(required=True, max_length=1024)


class PastePathIn(InputSchema):
    paste_id = PasteId(required=True)


class DeletePathIn(PastePathIn):
    """A paste's delete page: for its owner (no token), or its deactivation link."""

    token = Text(max_length=256, load_default=None)


class AttachmentPathIn(PastePathIn):
    """A paste page's attachment URL; a file name no attachment could be stored under
    (NUL, a control character, too long) names none."""

    file_name = file_name_field()


#: The archive's orders: recent first, or most viewed first.
ARCHIVE_ORDERS = ("recent", "top")


class PageIn(InputSchema):
    """A page of a list for people: numbered from 1 (0 reads as 1). `index` is the same
    page counted from 0, as the services count them."""

    class Meta:
        unknown = EXCLUDE

    page = Integer(load_default=1, maximum=2**31)

    @post_load
    def counted_from_zero(self, data, **kwargs):
        data["page"] = max(data["page"], 1)
        data["index"] = data["page"] - 1
        return data


class ArchiveIn(PageIn):
    sort = Text(max_length=16, load_default="recent", validate=validate.OneOf(ARCHIVE_ORDERS))


THEMES = ("light", "dark", "auto")


class LocalPath(fields.Field):
    """Where to send a browser back to: a path on this site (with its query), or "/" for
    anything else (another site, a scheme, `//host`, a backslash browsers read as `/`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 2048:
            return "/"
        parts = urlsplit(value)
        same_site = (
            value.startswith("/")
            and not value.startswith("//")
            and "\\" not in value
            and not parts.scheme
            and not parts.netloc
            and not any(ord(char) < 32 or ord(char) == 127 for char in value)
        )
        return value if same_site else "/"


class ThemeIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    theme = Text(max_length=8, data_key="set", required=True, validate=validate.OneOf(THEMES))
    next = LocalPath(load_default="/")


_CONTENTS = contents_field()


class ShellUploadIn(InputSchema):
    """A paste from a shell: the text as a file upload (`curl -F file=@notes.txt`) or
    as the whole body (`curl --data-binary @-`), options in the query string. The file's
    name is the title, unless `title` is given."""

    class Meta:
        unknown = EXCLUDE

    file = Upload(load_default=None)
    body = fields.Raw(load_default=None)
    title = Text(max_length=256, load_default=None)
    language = language_field(data_key="lang")
    expiry_time = Lifetime(data_key="expires", load_default=None)
    password = Text(max_length=1024, load_default=None)
    burn = fields.Boolean(load_default=False)

    @post_load
    def text_and_name(self, data, **kwargs):
        upload = data.pop("file")
        raw = upload["data"] if upload else data.pop("body") or b""
        data.pop("body", None)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The paste must be UTF-8 text.", "contents") from None
        data["contents"] = _CONTENTS.deserialize(text, "contents")
        data["file_name"] = upload["file_name"] if upload else None
        data["title"] = data["title"] or data["file_name"]
        data["max_views"] = 1 if data.pop("burn") else None
        return data


class UploadNameIn(InputSchema):
    """`curl -T notes.txt URL/` puts the file to URL/notes.txt: the name is the title."""

    name = Text(max_length=256, load_default=None)


# -- accounts on the web ----------------------------------------------------------------


class RegisterFormIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    username = Text(required=True, max_length=64, validate=USERNAME)
    password = Text(required=True, max_length=1024, validate=PASSWORD)
    email = Text(max_length=254, load_default=None)


class LoginFormIn(InputSchema):
    """A username, or the account's email address, and its password."""

    class Meta:
        unknown = EXCLUDE

    login = Text(required=True, max_length=254)
    password = Text(required=True, max_length=1024)
    remember_me = fields.Boolean(load_default=False)
    next = LocalPath(load_default="/my")


class NextIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    next = LocalPath(load_default="/my")


class PasswordFormIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    current_password = Text(required=True, max_length=1024)
    new_password = Text(required=True, max_length=1024, validate=PASSWORD)


class LoginPathIn(InputSchema):
    """One of the user's JWT logins, by its refresh token's guid."""

    guid = Text(required=True, max_length=64)
