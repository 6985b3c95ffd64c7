"""User and session-login requests of the paste face."""

from marshmallow import Schema, fields, validate

from pastecms.schemas.fields import Text
from pastecms.schemas.paste import PasteFaceIn

USERNAME = validate.Regexp(
    r"[A-Za-z0-9_.-]+\Z", error="Use letters, digits, '.', '_' and '-' only."
)
#: The password rule for accounts, defined here only: every face's password fields check
#: it (`PASSWORD`), and the web forms state it.
MIN_PASSWORD_LENGTH = 8
PASSWORD = validate.Length(min=MIN_PASSWORD_LENGTH, max=1024)


class UserCreateIn(PasteFaceIn):
    username = Text(required=True, max_length=64, validate=USERNAME)
    password = Text(required=True, max_length=1024, validate=PASSWORD)
    name = Text(max_length=128, load_default=None, allow_none=True)
    email = Text(max_length=254, load_default=None, allow_none=True)


class UserUpdateIn(PasteFaceIn):
    name = Text(max_length=128, load_default=None, allow_none=True)
    email = Text(max_length=254, load_default=None, allow_none=True)
    current_password = Text(max_length=1024, load_default=None, allow_none=True)
    new_password = Text(max_length=1024, load_default=None, allow_none=True, validate=PASSWORD)


class UsernameIn(PasteFaceIn):
    # The same rule as registration, so "available" always means "can be registered".
    username = Text(required=True, max_length=64, validate=USERNAME)


class EmailIn(PasteFaceIn):
    email = Text(required=True, max_length=1024)


class LoginIn(PasteFaceIn):
    username = Text(required=True, max_length=64)
    password = Text(required=True, max_length=1024)
    remember_me = fields.Boolean(load_default=False)


class UserOut(Schema):
    username = fields.String()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class UserCreatedOut(UserOut):
    api_key = fields.String(metadata={"description": "Shown once."})


class UsernameRefOut(Schema):
    username = fields.String()


class ApiKeyOut(Schema):
    api_key = fields.String(metadata={"description": "Shown once."})


class UsernameAvailabilityOut(Schema):
    username = fields.String()
    is_available = fields.Boolean()


class EmailValidityOut(Schema):
    email = fields.String()
    is_valid = fields.Boolean()


class AuthStatusOut(Schema):
    is_authenticated = fields.Boolean()
    user_details = fields.Dict()
