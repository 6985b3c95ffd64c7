"""Who is calling: one resolver for every face's credentials."""

from sqlalchemy import select

from pastecms.errors import AuthFailure
from pastecms.extensions import db
from pastecms.models import ApiKey, User
from pastecms.services import secret


def resolve(*, api_key: str | None = None, session_user_id: int | None = None) -> User | None:
    """The active user behind the credentials, or None for an anonymous caller.

    An API key that is given but unknown, disabled or belongs to a deactivated user is an
    `AuthFailure`, never a silent fall back to anonymous. A stale session is anonymous.
    """
    if api_key is not None:
        return user_for_api_key(api_key)
    if session_user_id is not None:
        user = db.session.get(User, session_user_id)
        if user is not None and user.is_active:
            return user
    return None


def user_for_api_key(api_key: str) -> User:
    """The owner of an enabled API key; `AuthFailure` otherwise."""
    if not isinstance(api_key, str) or not api_key or len(api_key) > 256:
        raise AuthFailure("The API key is not valid.")
    key_hash = secret.hash_token(api_key)
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
    # The lookup is by hash already; comparing again in constant time costs nothing and
    # keeps the check honest if the lookup ever changes.
    if (
        key is None
        or not secret.token_matches(api_key, key.key_hash)
        or not key.is_enabled
        or not key.user.is_active
    ):
        raise AuthFailure("The API key is not valid.")
    return key.user


def require(caller: User | None) -> User:
    """`caller`, or `AuthFailure` when the request is anonymous."""
    if caller is None:
        raise AuthFailure("This endpoint requires an API key or a login.")
    return caller
