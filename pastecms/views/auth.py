"""/api/auth/*: JWT login, access-token renewal and refresh-token revocation (seed 004)."""

from pastecms.api import endpoint
from pastecms.errors import AuthFailure
from pastecms.ratelimit import RateLimit
from pastecms.schemas.auth import (
    AccessTokenOut,
    LoginOut,
    RefreshTokenIn,
    RevokedOut,
    TokenLoginIn,
)
from pastecms.services.identity import login, refresh_token
from pastecms.views.envelopes import auth_api
from pastecms.views.signin import device_cookie, remember_device

bp = auth_api.blueprint("auth_api", __name__, url_prefix="/api/auth")

#: Logins per client address; failed ones are limited per account as well (the service).
LOGIN_LIMIT = RateLimit("RATELIMIT_ACCOUNT")
# The original takes the refresh token from the query string or a form alike; a POST
# keeps it out of access logs.
TOKEN_METHODS = ["GET", "POST"]


@bp.post("/auth")
@endpoint(
    auth_api, load=TokenLoginIn, dump=LoginOut, limits=(LOGIN_LIMIT,), failures=(AuthFailure,)
)
def authenticate(data, caller):
    """Log in with a username (or email) and password: an access and a refresh token.

    A wrong password, an unknown account and a deactivated one are the same
    `auth_failure`.
    """
    tokens = login.log_in(
        data["username"],
        data["password"],
        remember=data["rememberme"],
        address=caller.address,
        device=device_cookie(),
    )
    remember_device(tokens["user_id"])
    return {"data": tokens}


@bp.route("/token/access/renew", methods=TOKEN_METHODS)
@endpoint(auth_api, load=RefreshTokenIn, dump=AccessTokenOut, failures=(AuthFailure,))
def renew_access_token(data, caller):
    """A new access token while the refresh token lives.

    `data` is the token itself, as the original's own UI reads it.
    """
    return {"data": refresh_token.renew(data["token"])}


@bp.route("/token/revoke", methods=TOKEN_METHODS)
@endpoint(auth_api, load=RefreshTokenIn, dump=RevokedOut, failures=(AuthFailure,))
def revoke_refresh_token(data, caller):
    """Revoke a refresh token: it renews nothing from now on."""
    return {"data": refresh_token.revoke(data["token"])}
