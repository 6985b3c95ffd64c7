"""`Idempotency-Key` on paste submission: a retried submit with the key of an earlier one
gets that paste back, with its deactivation token, instead of storing a second.

A worker killed mid-request (or a connection lost) can store a paste whose client never
got the answer; the client's retry would store it again. With a key, the retry is safe.

A key is the client's to choose and belongs to its caller: a signed-in user's keys are
theirs wherever they post from, an anonymous client's belong to its address. It is kept
as the SHA-256 of the two, with the paste's id and its deactivation token encrypted
(AES-GCM, under a key derived from the secret key), for IDEMPOTENCY_KEY_LIFETIME seconds;
`pastes purge` deletes keys past it. Of two requests racing with one key, one stores its
paste and the other answers with it (`remember`).
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, select

from pastecms import database
from pastecms.errors import InvalidParamsFailure
from pastecms.extensions import db
from pastecms.models import IdempotencyKey, utcnow
from pastecms.services.auth import Caller

#: The header clients send it in.
HEADER = "Idempotency-Key"
# Visible ASCII, as a UUID or any token a client makes is; long enough for any of them.
_VALID = re.compile(r"[\x21-\x7e]{1,255}")
_KEYS = IdempotencyKey.__table__
_CIPHER = "pastecms.idempotency_cipher"
_NONCE_BYTES = 12


def key_hash(caller: Caller, key: str) -> str:
    """What a caller's key is stored under; `InvalidParamsFailure` for a key that is not
    1 to 255 visible ASCII characters."""
    if not isinstance(key, str) or not _VALID.fullmatch(key):
        message = f"{HEADER} must be 1 to 255 visible ASCII characters."
        raise InvalidParamsFailure(message, details={HEADER: message})
    scope = f"user:{caller.user_id}" if caller.is_authenticated else f"address:{caller.address}"
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def find(stored_under: str) -> tuple[int, str] | None:
    """The paste id and deactivation token kept under a key's hash, unless it expired."""
    row = db.session.execute(
        select(_KEYS.c.paste_id, _KEYS.c.token).where(
            _KEYS.c.key_hash == stored_under, _KEYS.c.expires_at > utcnow()
        )
    ).first()
    if row is None:
        return None
    token = _open(row.token, stored_under)
    return (row.paste_id, token) if token is not None else None


def remember(stored_under: str, paste_id: int, token: str) -> bool:
    """Keep a new paste under its key's hash; False when a live key is there already (a
    request with the same key stored its paste first, and that paste is the answer).

    A key past its lifetime that `purge` has not removed yet is taken over. On
    PostgreSQL, a request racing with one whose key is not committed yet waits for it.
    """
    now = utcnow()
    values = {
        "paste_id": paste_id,
        "token": _seal(token, stored_under),
        "expires_at": now + timedelta(seconds=current_app.config["IDEMPOTENCY_KEY_LIFETIME"]),
    }
    statement = database.dialect_insert(_KEYS).values(key_hash=stored_under, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[_KEYS.c.key_hash], set_=values, where=_KEYS.c.expires_at <= now
    ).returning(_KEYS.c.key_hash)
    return db.session.execute(statement).first() is not None


def purge(now: datetime) -> int:
    """Delete the keys past their lifetime; return how many."""
    return db.session.execute(delete(_KEYS).where(_KEYS.c.expires_at <= now)).rowcount


def _cipher() -> AESGCM:
    cipher = current_app.extensions.get(_CIPHER)
    if cipher is None:
        secret = current_app.config["SECRET_KEY"]
        secret = secret.encode("utf-8") if isinstance(secret, str) else secret
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"pastecms idempotency tokens"
        ).derive(secret)
        cipher = current_app.extensions[_CIPHER] = AESGCM(key)
    return cipher


def _seal(token: str, stored_under: str) -> bytes:
    # The key's hash is bound in as associated data: a sealed token copied to another
    # row does not open there.
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + _cipher().encrypt(nonce, token.encode("utf-8"), stored_under.encode())


def _open(sealed: bytes, stored_under: str) -> str | None:
    """The token, or None when it does not open (sealed under another secret key)."""
    nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        return _cipher().decrypt(nonce, body, stored_under.encode()).decode("utf-8")
    except InvalidTag:
        return None
