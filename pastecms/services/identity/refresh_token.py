"""Refresh tokens (seed 004): issued at login, stored by their `guid`, renewing access
tokens while their row lives; deleting the row revokes the token.

A refresh token is honoured only when it verifies (its own key, HS256, `exp`), its row
exists, names the same user and has not expired, and that user is active. Every refusal
is one `AuthFailure`, an expired refresh token included: HTTP 440 tells a client to renew
its access token, and answering it here would send the client round in a loop.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from pastecms.config import settings
from pastecms.errors import AuthFailure, TokenExpiredFailure
from pastecms.extensions import db
from pastecms.models import RefreshToken, User, utcnow
from pastecms.services.identity import tokens

GUID_LENGTH = 36  # a uuid4 in its canonical text form
NOT_VALID = "The refresh token is not valid (expired or revoked?): log in again."


def issue_pair(user: User, *, remember: bool = False) -> dict[str, str]:
    """A new access token and a new stored refresh token for `user`, as
    `{"access_token", "refresh_token"}`.

    `remember` asks for a long-lived refresh token (JWT_REMEMBER_EXPIRES); it is honoured
    only when JWT_REMEMBER_ME allows it, and is otherwise an ordinary one.
    """
    config = settings()
    # Whole seconds, so the stored expiry is exactly the token's `exp` claim.
    now = utcnow().replace(microsecond=0)
    long_lived = remember and config.jwt_remember_me
    lifetime = config.jwt_remember_expires if long_lived else config.jwt_refresh_expires
    expires_at = now + timedelta(seconds=lifetime)
    refresh, guid = tokens.issue_refresh(user, expires_at, now=now)
    db.session.add(RefreshToken(guid=guid, user_id=user.id, issued_at=now, expires_at=expires_at))
    return {"access_token": tokens.issue_access(user, now=now), "refresh_token": refresh}


def renew(token) -> str:
    """A new access token for the user of a live refresh token; `AuthFailure` otherwise."""
    # The token's `exp` is the row's expiry, and `_claims` has checked it already.
    claims = _claims(token)
    row = db.session.get(RefreshToken, claims["guid"])
    if row is None or row.user_id != claims["user_id"] or not row.user.is_active:
        raise AuthFailure(NOT_VALID)
    return tokens.issue_access(row.user)


def revoke(token) -> bool:
    """Revoke a live refresh token; returns True. `AuthFailure` for a token that does not
    verify, has expired or is revoked already."""
    claims = _claims(token)
    deleted = db.session.execute(
        delete(RefreshToken)
        .where(RefreshToken.guid == claims["guid"], RefreshToken.user_id == claims["user_id"])
        .execution_options(synchronize_session=False)
    ).rowcount
    if not deleted:
        raise AuthFailure(NOT_VALID)
    return True


def revoke_all_for(user: User) -> int:
    """Revoke every refresh token of `user` (a new password, a deactivation, a new API
    key: whoever held the old credential loses their logins); returns how many."""
    return db.session.execute(
        delete(RefreshToken)
        .where(RefreshToken.user_id == user.id)
        .execution_options(synchronize_session=False)
    ).rowcount


def list_for(user: User) -> list[RefreshToken]:
    """The user's live refresh tokens (their logins), newest first."""
    return list(
        db.session.scalars(
            select(RefreshToken)
            .where(RefreshToken.user_id == user.id, RefreshToken.expires_at > utcnow())
            .order_by(RefreshToken.issued_at.desc(), RefreshToken.guid)
        )
    )


def revoke_one(user: User, guid: str) -> bool:
    """Revoke one of the user's refresh tokens by its guid; False when the user has no
    such token (someone else's guid included: it is left alone)."""
    deleted = db.session.execute(
        delete(RefreshToken)
        .where(RefreshToken.guid == guid, RefreshToken.user_id == user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(deleted)


def purge(now: datetime | None = None) -> int:
    """Delete the rows of expired refresh tokens; returns how many."""
    now = now or utcnow()
    return db.session.execute(
        delete(RefreshToken)
        .where(RefreshToken.expires_at <= now)
        .execution_options(synchronize_session=False)
    ).rowcount


def _claims(token) -> dict:
    try:
        claims = tokens.decode(token, tokens.REFRESH)
    except TokenExpiredFailure:
        raise AuthFailure(NOT_VALID) from None
    # Only this server's key signs refresh tokens, so this is belt and braces: a guid
    # that is not a uuid string never reaches the query.
    if not isinstance(claims["guid"], str) or len(claims["guid"]) != GUID_LENGTH:
        raise AuthFailure(NOT_VALID)
    return claims
