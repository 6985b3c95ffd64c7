"""API keys: the one place keys are issued and disabled, for every face.

A user has one current key: their newest. Issuing a new one (registration, the paste
face's regenerate, the CMS's generate) disables the others; disabling and enabling act on
it. Keys are 64 lowercase hex characters from `secrets` (the CMS seed's form), stored only
as their SHA-256 and shown once. Keys issued before in another form keep working.
"""

import secrets as _secrets

from sqlalchemy import select, update

from pastecms.errors import NonexistentApiKeyFailure
from pastecms.extensions import db
from pastecms.models import ApiKey
from pastecms.services import auth, secret
from pastecms.services.article import now
from pastecms.services.auth import Caller


def _current(user_id: int) -> ApiKey | None:
    return db.session.scalar(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc()).limit(1)
    )


def status(caller: Caller) -> dict:
    """`{"has_key", "enabled", "created_at"}` of the caller's key; `AuthFailure` when
    anonymous."""
    key = _current(auth.require(caller).id)
    if key is None:
        return {"has_key": False, "enabled": False, "created_at": None}
    return {"has_key": True, "enabled": key.is_enabled, "created_at": key.created_at}


def generate(caller: Caller) -> dict:
    """A new enabled key for the caller, replacing their others: `{"key",
    "created_at"}`, the key shown only now. `AuthFailure` when anonymous."""
    user = auth.require(caller)
    key, created = _issue(user.id)
    return {"key": key, "created_at": created.created_at}


def replace(user_id: int) -> str:
    """Disable the user's keys and issue a new enabled one; the key, shown only now."""
    return _issue(user_id)[0]


def _issue(user_id: int) -> tuple[str, ApiKey]:
    disable_all(user_id)
    key = _secrets.token_hex(32)
    created = ApiKey(
        user_id=user_id,
        key_hash=secret.hash_token(key),
        prefix=key[:8],
        is_enabled=True,
        created_at=now(),
    )
    db.session.add(created)
    db.session.flush()
    return key, created


def disable(caller: Caller) -> None:
    """Disable the caller's keys (the credential of this very request may be one of
    them: it stops working after it). `AuthFailure` when anonymous."""
    disable_all(auth.require(caller).id)


def enable(caller: Caller) -> None:
    """Enable the caller's current key. Raises `AuthFailure` (anonymous) and
    `NonexistentApiKeyFailure` (no key yet)."""
    key = _current(auth.require(caller).id)
    if key is None:
        raise NonexistentApiKeyFailure()
    key.is_enabled = True
    db.session.flush()


def disable_all(user_id: int) -> None:
    """Disable every key of the user (in SQL: none is loaded)."""
    db.session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id)
        .values(is_enabled=False)
        .execution_options(synchronize_session=False)
    )
