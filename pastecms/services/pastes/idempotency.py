"""`Idempotency-Key` on paste submission, as the IETF httpapi draft and Stripe have it: a
retried submit with the key of an earlier one gets that paste back, with its deactivation
token, instead of storing a second.

A worker killed mid-request (or a connection lost) can store a paste whose client never
got the answer; the client's retry would store it again. With a key, the retry is safe.

A key is the client's to choose and belongs to its caller: a signed-in user's keys are
theirs wherever they post from, an anonymous client's belong to its address. It is kept
as the SHA-256 of the two (`key_hash`), for IDEMPOTENCY_KEY_LIFETIME seconds (`pastes
purge` deletes keys past it), with:

- the fingerprint of the request it came with (`request_hash`): an HMAC-SHA256 of the
  request as loaded (contents, title, language, password, expiry, view limit,
  attachments), under a key derived from the secret key, since the request holds the
  paste's password. The same key with another request is `IdempotencyKeyReusedFailure`
  (422): so that a client behind the same address as another, reusing its key, learns
  nothing of the other's paste, and a client that reused a key by mistake is told so
  rather than handed a paste it did not send.
- the paste's id, and its deactivation token encrypted (AES-GCM, under another key
  derived from the secret key) and bound to the key's hash. The token goes back only to
  the key's own caller, and only with the very request that made the paste (its contents
  and password with it). The paste's contents are not stored here: a retry shows the
  paste as it stands (`services.pastes.paste`), or that it is gone. A deleted paste leaves its
  key behind, without its id and token, until the key's lifetime ends.

While a key's first request runs, a retry with it is `IdempotencyKeyInUseFailure` (409,
with Retry-After). The first request holds a claim on the key in the rate limiter's
storage (`ratelimit.claim`: Redis in production, shared by every worker and host) from
when its look-up finds no key until it is done; a claim its request never gives back (a
killed worker) lapses after CLAIM_FOR, as long as a worker may run a request. The claim
is given back when the service is done, a moment before the request's transaction
commits; the database closes that gap, and covers servers that run without claims
(RATELIMIT_ENABLED off, or the limit storage down and failing open): the key's row is its
primary key, so of two requests that both got past the claim, the second's insert waits
for the first's transaction (row locks on PostgreSQL, the one write lock on SQLite), finds
its key there and answers as a retry, or 422 (`remember`). No claim rows in the
database, no commit inside a request: one design on both databases.
"""

import contextlib
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from limits import parse
from sqlalchemy import delete, select, update

from pastecms import database, ratelimit
from pastecms.app_cache import app_cache
from pastecms.config import settings
from pastecms.errors import (
    IdempotencyKeyInUseFailure,
    IdempotencyKeyReusedFailure,
    InvalidParamsFailure,
)
from pastecms.extensions import db
from pastecms.models import IdempotencyKey, utcnow
from pastecms.services.identity.auth import Caller

#: The header clients send it in.
HEADER = "Idempotency-Key"
#: How long a request's claim on its key lasts should it never give it back: a worker
#: runs a request for at most PASTECMS_WORKER_TIMEOUT (30 s by default).
CLAIM_FOR = parse("1 per 30 seconds")
# Visible ASCII, as a UUID or any token a client makes is; long enough for any of them.
_VALID = re.compile(r"[\x21-\x7e]{1,255}")
_KEYS = IdempotencyKey.__table__
_NONCE_BYTES = 12


@dataclass(frozen=True)
class Earlier:
    """What an earlier request with the same key and request made: its paste's id and
    deactivation token, both None once that paste was deleted (the token None too when it
    was sealed under another secret key)."""

    paste_id: int | None
    token: str | None


@dataclass(frozen=True)
class Kept:
    """A live key as kept: its request's fingerprint, and what that request made."""

    fingerprint: str
    earlier: Earlier


@dataclass(frozen=True)
class Attempt:
    """A request with a key: what it is stored under, its request's fingerprint, and
    `earlier` when it is a retry (then it stores nothing)."""

    stored_under: str
    fingerprint: str
    earlier: Earlier | None = None


@contextlib.contextmanager
def attempt(caller: Caller, key: str, request: dict) -> Iterator[Attempt]:
    """Around a request that carries `key`, with `request` its loaded input (plain values,
    datetimes and bytes): yields an `Attempt` whose `earlier` is set when the same caller
    sent the same request with this key before; otherwise holds the key's claim until
    the block ends, and the block stores what it makes with `remember`.

    Raises `InvalidParamsFailure` (a malformed key), `IdempotencyKeyReusedFailure` (the key
    came with another request) and `IdempotencyKeyInUseFailure` (its first request is
    still running).
    """
    stored_under = key_hash(caller, key)
    fingerprint = request_hash(request)
    earlier = find(stored_under)
    if earlier is not None:
        yield Attempt(stored_under, fingerprint, _checked(earlier, fingerprint))
        return
    if not ratelimit.claim(CLAIM_FOR, "idempotency claims", "idempotency", stored_under):
        raise IdempotencyKeyInUseFailure(headers={"Retry-After": "1"})
    try:
        yield Attempt(stored_under, fingerprint)
    finally:
        ratelimit.release(CLAIM_FOR, "idempotency claims", "idempotency", stored_under)


def key_hash(caller: Caller, key: str) -> str:
    """What a caller's key is stored under; `InvalidParamsFailure` for a key that is not
    1 to 255 visible ASCII characters."""
    if not isinstance(key, str) or not _VALID.fullmatch(key):
        message = f"{HEADER} must be 1 to 255 visible ASCII characters."
        raise InvalidParamsFailure(message, details={HEADER: message})
    scope = f"user:{caller.user_id}" if caller.is_authenticated else f"address:{caller.address}"
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def request_hash(request: dict) -> str:
    """The fingerprint of a request's loaded input: an HMAC-SHA256 of its canonical JSON
    (keys sorted; a datetime as ISO 8601, bytes as their SHA-256), under a key derived from
    the secret key, as hex."""
    canonical = json.dumps(
        request, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return hmac.new(_fingerprint_key(), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def find(stored_under: str) -> Kept | None:
    """The live key kept under a key's hash: its fingerprint and what it made."""
    row = db.session.execute(
        select(_KEYS.c.request_hash, _KEYS.c.paste_id, _KEYS.c.token).where(
            _KEYS.c.key_hash == stored_under, _KEYS.c.expires_at > utcnow()
        )
    ).first()
    if row is None:
        return None
    token = _open(row.token, stored_under) if row.token is not None else None
    return Kept(row.request_hash, Earlier(row.paste_id, token))


def remember(attempt: Attempt, paste_id: int, token: str) -> Earlier | None:
    """Keep a new paste under its key; None when kept, or the earlier answer when a live
    key is there already (a request with the same key stored its paste first, past the
    claim: see the module's docstring). Raises `IdempotencyKeyReusedFailure` when that
    request was another one.

    A key past its lifetime that `purge` has not removed yet is taken over. On
    PostgreSQL, a request racing with one whose key is not committed yet waits for it.
    """
    now = utcnow()
    values = {
        "request_hash": attempt.fingerprint,
        "paste_id": paste_id,
        "token": _seal(token, attempt.stored_under),
        "expires_at": now + timedelta(seconds=settings().idempotency_key_lifetime),
    }
    statement = database.dialect_insert(_KEYS).values(key_hash=attempt.stored_under, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[_KEYS.c.key_hash], set_=values, where=_KEYS.c.expires_at <= now
    ).returning(_KEYS.c.key_hash)
    if db.session.execute(statement).first() is not None:
        return None
    earlier = find(attempt.stored_under)
    if earlier is None:  # the other request's key lapsed in between: vanishingly rare
        raise IdempotencyKeyInUseFailure(headers={"Retry-After": "1"})
    return _checked(earlier, attempt.fingerprint)


def forget_pastes(paste_ids: list[int]) -> None:
    """Take deleted pastes' ids and tokens off their keys, which stay to their lifetime."""
    db.session.execute(
        update(_KEYS).where(_KEYS.c.paste_id.in_(paste_ids)).values(paste_id=None, token=None)
    )


def purge(now: datetime) -> int:
    """Delete the keys past their lifetime; return how many."""
    return db.session.execute(delete(_KEYS).where(_KEYS.c.expires_at <= now)).rowcount


def _checked(stored: Kept, fingerprint: str) -> Earlier:
    if not hmac.compare_digest(stored.fingerprint, fingerprint):
        raise IdempotencyKeyReusedFailure()
    return stored.earlier


def _plain(value):
    """What json.dumps writes for a value it has no form for."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _derived(info: bytes) -> bytes:
    secret = settings().secret_key
    secret = secret.encode("utf-8") if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def _fingerprint_key() -> bytes:
    return app_cache(
        "idempotency_fingerprint_key", lambda: _derived(b"pastecms idempotency requests")
    )


def _cipher() -> AESGCM:
    return app_cache("idempotency_cipher", lambda: AESGCM(_derived(b"pastecms idempotency tokens")))


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
