"""Password login for JWTs (seed 004): a username or an email and a password give an
access token and a refresh token.

Nothing in the answer tells an unknown account from a wrong password or a deactivated
account: each is the same `AuthFailure`, with the same message, after the same bcrypt
work (an unknown account is compared against a dummy hash). Failed attempts are limited
per account and per client address (`services.attempts`), on top of the route's own
limit per address.
"""

import secrets

from pastecms.app_cache import app_cache
from pastecms.errors import AuthFailure
from pastecms.models import User
from pastecms.services import attempts, secret
from pastecms.services.identity import devices, refresh_token
from pastecms.services.identity import user as user_service

ATTEMPTS_KIND = "login"
WRONG = user_service.WRONG_LOGIN


def log_in(
    identifier: str,
    password: str,
    *,
    remember: bool = False,
    address: str | None = None,
    device: str | None = None,
) -> dict[str, str]:
    """`{"access_token", "refresh_token"}` for the active account whose username (in any
    case) or email is `identifier`, when `password` is its password.

    Raises `RateLimitFailure` (before any password is compared) when the account or
    `address` has failed too often lately, or while another password of either is being
    checked (`attempts.comparing`), and `AuthFailure` for everything else. `device` is the
    client's device cookie: one the account signed in from is counted on its own
    (`services.identity.devices`).
    """
    user = _account(identifier)
    # Counted per account when there is one, so its username and its email share one
    # allowance; per name otherwise ("name:" and "user:" targets never collide).
    target = f"user:{user.id}" if user is not None else f"name:{identifier.lower()}"
    known = devices.recognised(device, user.id if user is not None else None)
    with attempts.comparing(ATTEMPTS_KIND, target, address, known):
        matches = secret.check_password(
            password, user.password_hash if user is not None else _dummy_hash()
        )
        if user is None or not matches or not user.is_active:
            attempts.failed(ATTEMPTS_KIND, target, address, known)
            raise AuthFailure(WRONG)
    return {**refresh_token.issue_pair(user, remember=remember), "user_id": user.id}


def _account(identifier: str) -> User | None:
    # Usernames cannot hold "@" (registration refuses it), so an identifier with one can
    # only be an email.
    if "@" not in identifier:
        return user_service.by_username(identifier)
    return user_service.by_email(identifier)


def _dummy_hash() -> str:
    """A bcrypt hash no password matches, at the app's cost, made once per app: comparing
    against it takes as long as comparing against a real account's."""
    return app_cache("login_dummy_hash", _unmatchable_hash)


def _unmatchable_hash() -> str:
    return secret.hash_password(secrets.token_urlsafe(32))
