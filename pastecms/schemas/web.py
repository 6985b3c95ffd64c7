"""The web paste form, validated by the same field types as the API."""

from datetime import timedelta

from marshmallow import EXCLUDE, Schema, fields, validate

from pastecms.schemas.fields import Text
from pastecms.schemas.paste import AttachmentIn, PasteSubmitIn

#: Form choice -> lifetime; the form shows them in this order.
EXPIRY_CHOICES = {
    "never": None,
    "10m": timedelta(minutes=10),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
    "1M": timedelta(days=30),
}


class PasteFormIn(Schema):
    class Meta:
        unknown = EXCLUDE

    contents = PasteSubmitIn._declared_fields["contents"]
    title = PasteSubmitIn._declared_fields["title"]
    language = PasteSubmitIn._declared_fields["language"]
    password = PasteSubmitIn._declared_fields["password"]
    expires_in = Text(
        max_length=8, load_default="never", validate=validate.OneOf(list(EXPIRY_CHOICES))
    )


class UnlockFormIn(Schema):
    class Meta:
        unknown = EXCLUDE

    password = Text(required=True, max_length=1024)


class UploadIn(Schema):
    """A file from the form's file input, held to the same name and type rules as the API."""

    file_name = AttachmentIn._declared_fields["file_name"]
    mime_type = AttachmentIn._declared_fields["mime_type"]
    data = fields.Raw(required=True)


class AttachmentPathIn(Schema):
    """The file name in an attachment URL, held to the rules names are stored under."""

    file_name = AttachmentIn._declared_fields["file_name"]
