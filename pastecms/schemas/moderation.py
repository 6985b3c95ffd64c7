"""Moderation: the paste face's report route, the web report form, and the console's
moderation forms."""

from marshmallow import EXCLUDE, Schema, fields, validate

from pastecms.models import REPORT_REASONS
from pastecms.schemas.fields import InputSchema, PasteId, Text
from pastecms.schemas.paste import PasteIdIn
from pastecms.schemas.web import EXPIRY_CHOICES

MAX_DETAILS = 2000

_REASON = {
    "validate": validate.OneOf(list(REPORT_REASONS)),
    "metadata": {"description": "Why: one of " + ", ".join(f"`{r}`" for r in REPORT_REASONS)},
}


class PasteReportIn(PasteIdIn):
    reason = Text(required=True, max_length=32, **_REASON)
    details = Text(
        max_length=MAX_DETAILS,
        load_default=None,
        allow_none=True,
        metadata={"description": "What the admins should know, in words (optional)."},
    )


class PasteReportedOut(Schema):
    paste_id = PasteId(
        attribute="public_id", metadata={"oneOf": [{"type": "string"}, {"type": "integer"}]}
    )
    reason = fields.String()


class ReportFormIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    reason = Text(required=True, max_length=32, validate=validate.OneOf(list(REPORT_REASONS)))
    details = Text(max_length=MAX_DETAILS, load_default=None)


class SearchIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    q = Text(max_length=256, load_default="")


class BlockFormIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    cidr = Text(required=True, max_length=64)
    note = Text(max_length=256, load_default=None)


class UnblockFormIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    cidr = Text(required=True, max_length=64)


#: The console's choices of the longest expiry: "any", or one of the form's lifetimes.
LONGEST_CHOICES = ["any", *(name for name, lifetime in EXPIRY_CHOICES.items() if lifetime)]


class ExpiryLimitFormIn(InputSchema):
    class Meta:
        unknown = EXCLUDE

    longest = Text(required=True, max_length=8, validate=validate.OneOf(LONGEST_CHOICES))
    # A checkbox: sent ("on") when ticked, absent when not.
    never = fields.Boolean(load_default=False)


class ModerationActionPathIn(InputSchema):
    """A paste's moderation button: the paste and the action (`views.console.moderation`
    lists them)."""

    paste_id = PasteId(required=True)
    action = Text(
        required=True,
        max_length=32,
        validate=validate.OneOf(["hide", "unhide", "delete", "deactivate_poster", "dismiss"]),
    )
