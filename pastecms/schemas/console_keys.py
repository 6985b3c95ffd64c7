"""The console's forms for keys and settings: the same fields, limits and rules as the
APIs that change the same things (/v1/settings, /pub/create_webhook, /pub/*_custom),
read from a web form (its csrf_token and buttons ignored)."""

from marshmallow import EXCLUDE, ValidationError, post_load

from pastecms.schemas.cms import MAX_SETTING
from pastecms.schemas.fields import InputSchema, Text
from pastecms.schemas.qexo import CustomFieldIn, CustomFieldNameIn, CustomFieldRunIn, WebhookIn


class _FormIn(InputSchema):
    class Meta:
        unknown = EXCLUDE


def settings_form_in(keys: tuple[str, ...]) -> type[InputSchema]:
    """The settings form: each of `keys` a string as long as /v1/settings takes. A form
    sends every field, an empty one as "", which is what is stored (the service refuses a
    blank site name, as it does for PUT /v1/settings); a key not sent loads as None."""
    return _FormIn.from_dict(
        {key: Text(max_length=MAX_SETTING, load_default=None) for key in keys},
        name="SettingsFormIn",
    )


class WebhookFormIn(WebhookIn):
    """`uri`, as /pub/create_webhook takes it."""


class CustomFieldFormIn(CustomFieldIn):
    """`name` and `content`, as /pub/set_custom takes them."""


class CustomFieldDeleteFormIn(CustomFieldNameIn):
    """`name`, as /pub/del_custom takes it."""


class CustomFieldRunFormIn(_FormIn):
    """`key`, and `variables`: one `name=value` a line, which become the code's variables
    as /pub/get_custom's other parameters do (the same names and values allowed)."""

    key = Text(required=True, max_length=128)
    variables = Text(max_length=64 * 1024, load_default="")

    @post_load
    def as_run(self, data, **kwargs):
        given = {}
        for number, line in enumerate(data["variables"].splitlines(), start=1):
            if not line.strip():
                continue
            name, equals, value = line.partition("=")
            if not equals or not name.strip():
                raise ValidationError(f"Line {number}: write name=value.", "variables")
            given[name.strip()] = value
        given.pop("token", None)  # a variable the API never passes on either
        try:
            return CustomFieldRunIn().load({**given, "key": data["key"]})
        except ValidationError as error:
            raise ValidationError({"variables": error.messages}) from None
