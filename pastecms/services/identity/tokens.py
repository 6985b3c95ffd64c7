"""JSON Web Tokens: short-lived access tokens and revocable refresh tokens (HS256).

Each kind is signed with its own key, derived from the secret key, so a refresh token
never passes as an access token or the other way round. Expiry is checked against
`utcnow()` here rather than inside PyJWT, so tests can move the clock instead of sleeping.
"""

import functools
import uuid
from datetime import datetime, timedelta
from types import MappingProxyType

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pastecms.app_cache import app_cache, keep
from pastecms.config import settings
from pastecms.errors import AuthFailure, TokenExpiredFailure
from pastecms.models import utcnow

ACCESS = "access"
REFRESH = "refresh"
ALGORITHM = "HS256"
#: The claims each kind must carry; a token without one of them is not valid.
CLAIMS = {
    ACCESS: ("exp", "iat", "user_id", "user_name"),
    REFRESH: ("exp", "iat", "user_id", "guid"),
}
# Far longer than any token this server signs; longer input is refused unread.
MAX_TOKEN_LENGTH = 4096


def looks_like_jwt(credential: str) -> bool:
    """Whether a bearer credential is a JWT rather than an API key (keys have no dots)."""
    return credential.count(".") == 2


def _keys() -> dict[str, bytes]:
    return app_cache("jwt_keys")


def issue_access(user, now: datetime | None = None) -> str:
    """A signed access token for `user`, valid for JWT_ACCESS_EXPIRES seconds."""
    now = now or utcnow()
    lifetime = timedelta(seconds=settings().jwt_access_expires)
    claims = {
        "exp": int((now + lifetime).timestamp()),
        "iat": int(now.timestamp()),
        "user_id": user.id,
        "user_name": user.username,
    }
    return jwt.encode(claims, _keys()[ACCESS], algorithm=ALGORITHM)


def issue_refresh(user, expires_at: datetime, now: datetime | None = None) -> tuple[str, str]:
    """A signed refresh token for `user` and its `guid`, under which it is stored."""
    now = now or utcnow()
    guid = str(uuid.uuid4())
    claims = {
        "exp": int(expires_at.timestamp()),
        "iat": int(now.timestamp()),
        "user_id": user.id,
        "guid": guid,
    }
    return jwt.encode(claims, _keys()[REFRESH], algorithm=ALGORITHM), guid


def decode(token, kind: str) -> MappingProxyType:
    """The verified claims of a token of `kind` (read-only).

    Raises `TokenExpiredFailure` for a genuine token past its `exp`, and `AuthFailure`
    for anything else: another kind's token, another key, `alg: none` or any algorithm
    but HS256, a missing claim, garbage.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise AuthFailure("The token is not valid.")
    claims = _verified(token, _keys()[kind], kind)
    if claims["exp"] <= utcnow().timestamp():
        raise TokenExpiredFailure()
    return claims


@functools.lru_cache(maxsize=4096)
def _verified(token: str, key: bytes, kind: str) -> MappingProxyType:
    """The claims of a token whose signature and claims verify under `key`.

    A client sends the same access token with every request until it renews it, and a
    token's claims are fixed by its signature: each is verified once, then remembered
    (its expiry is still checked on every use). Keyed by the key too, so apps with other
    secrets never share an entry. Refusals are not remembered.
    """
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": list(CLAIMS[kind]), "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError:
        raise AuthFailure("The token is not valid.") from None
    expires = claims["exp"]
    if (
        isinstance(expires, bool)
        or not isinstance(expires, int | float)
        or not isinstance(claims["user_id"], int)
        or isinstance(claims["user_id"], bool)
    ):
        raise AuthFailure("The token is not valid.")
    return MappingProxyType(claims)


def init_app(app) -> None:
    secret = app.config["SECRET_KEY"]
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    keys = {
        kind: HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"pastecms jwt {kind}".encode()
        ).derive(secret)
        for kind in (ACCESS, REFRESH)
    }
    keep(app, "jwt_keys", keys)
