"""The JWT login face (seed 004): its requests, and the `data` member of its answers."""

from marshmallow import EXCLUDE, Schema, fields

from pastecms.schemas.fields import InputSchema, Text

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
