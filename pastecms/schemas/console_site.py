"""The console's talks, friend links, applications and notifications forms (issue 32),
read with the same field types, limits and checks as the Qexo face's (schemas/qexo.py)."""

from marshmallow import EXCLUDE, fields, post_load

from pastecms.schemas.fields import InputSchema, Integer, Text
from pastecms.schemas.qexo import MAX_TALK_LENGTH, Tags, TalkId, Values, http_url
from pastecms.schemas.web import newlines


class ConsoleFormIn(InputSchema):
    """A console form: its CSRF token and buttons are not fields."""

    class Meta:
        unknown = EXCLUDE


class CommaTags(Text):
    """Tags as a person types them, "Life, Essay": a list held to the API's tag rules
    (`Tags`); blank is no tags."""

    def __init__(self, **kwargs):
        super().__init__(max_length=64 * 64, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return Tags().check([tag.strip() for tag in text.split(",") if tag.strip()])


class ValuesText(Values):
    """A talk's values as a JSON object typed in a text area; blank is none ({})."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not value.strip():
            return {}
        return super()._deserialize(value, attr, data, **kwargs)


class TalkFormIn(ConsoleFormIn):
    content = Text(required=True, max_length=MAX_TALK_LENGTH)
    tags = CommaTags(load_default=list)
    values = ValuesText(load_default=dict)

    @post_load
    def unix_line_endings(self, data, **kwargs):
        """A text area's lines come as CRLF: stored with `\n`, as the API's clients send."""
        data["content"] = newlines(data["content"])
        return data


class TalkPathIn(InputSchema):
    talk_id = TalkId(required=True)


class FriendFormIn(ConsoleFormIn):
    """A link as the admin writes it, with /pub/add_friend's limits; its address must be
    one a visitor can follow."""

    name = Text(required=True, max_length=256)
    url = http_url(2048, required=True)
    image = Text(max_length=2048, load_default="")
    description = Text(max_length=4096, load_default="")
    shown = fields.Boolean(load_default=False)


class FriendShownIn(ConsoleFormIn):
    shown = fields.Boolean(required=True)


class FriendPathIn(InputSchema):
    time = Text(required=True, max_length=32)


class NotificationPathIn(InputSchema):
    notification_id = Integer(required=True, maximum=2**63 - 1)
