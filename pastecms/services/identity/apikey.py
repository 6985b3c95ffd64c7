"""API keys: the one place keys are issued and disabled, for every face.

A user has their own key, made at registration and replaced by the paste face's
regenerate (which disables every key of theirs: it is what a user asks for who fears a
leak). Beside it, the CMS face manages one *additional* key, as the original manages its
generated key beside the server's: `generate` makes or replaces it (never the key it was
called with), `status` describes it, `disable` and `enable` switch it. Every enabled key
signs its user in on every face. Keys are 64 lowercase hex characters from `secrets` (the
CMS seed's form), stored only as their SHA-256 and shown once; keys issued before in
another form keep working.
"""

import secrets as _secrets

from sqlalchemy import select, update

from pastecms.errors import NonexistentApiKeyFailure
from pastecms.extensions import db
from pastecms.models import ApiKey
from pastecms.services import clock, secret
from pastecms.services.identity import auth
from pastecms.services.identity.auth import Caller


def _additional(user_id: int) -> ApiKey | None:
    """The user's additional key: their newest."""
    return db.session.scalar(
        select(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.is_additional)
        .order_by(ApiKey.id.desc())
        .limit(1)
    )


def status(caller: Caller) -> dict:
    """`{"has_key", "enabled", "created_at"}` of the caller's additional key;
    `AuthFailure` when anonymous."""
    key = _additional(auth.require(caller).id)
    if key is None:
        return {"has_key": False, "enabled": False, "created_at": None}
    return {"has_key": True, "enabled": key.is_enabled, "created_at": key.created_at}


def generate(caller: Caller) -> dict:
    """A new enabled additional key for the caller, replacing their additional key (the
    key this request came with, and their own, stay as they are): `{"key",
    "created_at"}`, the key shown only now. `AuthFailure` when anonymous."""
    user = auth.require(caller)
    _set_enabled(user.id, False, additional_only=True)
    key, created = _issue(user.id, additional=True)
    return {"key": key, "created_at": created.created_at}


def replace(user_id: int) -> str:
    """Disable every key of the user and issue their own key anew; the key, shown only
    now."""
    disable_all(user_id)
    return _issue(user_id, additional=False)[0]


def _issue(user_id: int, *, additional: bool) -> tuple[str, ApiKey]:
    key = _secrets.token_hex(32)
    created = ApiKey(
        user_id=user_id,
        key_hash=secret.hash_token(key),
        prefix=key[:8],
        is_enabled=True,
        is_additional=additional,
        created_at=clock.now(),
    )
    db.session.add(created)
    db.session.flush()
    return key, created


def disable(caller: Caller) -> None:
    """Disable the caller's additional key (this very request's credential, when it was
    that key, stops working after it). `AuthFailure` when anonymous."""
    _set_enabled(auth.require(caller).id, False, additional_only=True)


def enable(caller: Caller) -> None:
    """Enable the caller's additional key again. Raises `AuthFailure` (anonymous) and
    `NonexistentApiKeyFailure` (none generated yet)."""
    key = _additional(auth.require(caller).id)
    if key is None:
        raise NonexistentApiKeyFailure()
    key.is_enabled = True
    db.session.flush()


def disable_all(user_id: int) -> None:
    """Disable every key of the user (in SQL: none is loaded)."""
    _set_enabled(user_id, False, additional_only=False)


def _set_enabled(user_id: int, enabled: bool, *, additional_only: bool) -> None:
    statement = update(ApiKey).where(ApiKey.user_id == user_id)
    if additional_only:
        statement = statement.where(ApiKey.is_additional)
    db.session.execute(
        statement.values(is_enabled=enabled).execution_options(synchronize_session=False)
    )
