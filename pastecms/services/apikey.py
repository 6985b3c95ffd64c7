"""A user's own API key, as the CMS manages it: the same keys the paste face accepts.

A user has one current key: their newest. Generating replaces it (earlier keys stop
working); disabling and enabling act on it. Keys are 64 lowercase hex characters from
`secrets`, stored only as their SHA-256.
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
    _set_enabled(user.id, False)
    key = _secrets.token_hex(32)
    created = ApiKey(
        user_id=user.id,
        key_hash=secret.hash_token(key),
        prefix=key[:8],
        is_enabled=True,
        created_at=now(),
    )
    db.session.add(created)
    db.session.flush()
    return {"key": key, "created_at": created.created_at}


def disable(caller: Caller) -> None:
    """Disable the caller's keys (the credential of this very request may be one of
    them: it stops working after it). `AuthFailure` when anonymous."""
    _set_enabled(auth.require(caller).id, False)


def enable(caller: Caller) -> None:
    """Enable the caller's current key. Raises `AuthFailure` (anonymous) and
    `NonexistentApiKeyFailure` (no key yet)."""
    key = _current(auth.require(caller).id)
    if key is None:
        raise NonexistentApiKeyFailure()
    key.is_enabled = True
    db.session.flush()


def _set_enabled(user_id: int, enabled: bool) -> None:
    db.session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id)
        .values(is_enabled=enabled)
        .execution_options(synchronize_session=False)
    )
