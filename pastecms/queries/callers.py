"""Who a caller is, as every request with a credential asks it: two small Core lookups,
built once per process.

What it buys (commit 84c0992): every request carrying an API key looked its owner up
with a statement built anew, and building it took about as long as running it on SQLite
(~100 µs of ~250); built once, with the key's hash a bound parameter, and reading the
user with the key's hash and state in one row. A JWT or a session costs no more than an
API key so (commit c32e15b: the `User` is loaded only by what uses it). An enabled key
and an active user are written into the statements; the constant-time comparison, and
what a caller may do, are `services.identity.auth`'s.
"""

import functools

from sqlalchemy import bindparam, select

from pastecms.models import ApiKey, User
from pastecms.queries import run

#: Who a user is, as a request needs to know it: read in one small Core query.
IDENTITY = (User.id, User.is_admin, User.session_generation)


def active_user(user_id):
    """The identity of an active user by id (`IDENTITY`), or None."""
    return run(_active_user_by_id(), {"user_id": user_id}).first()


@functools.cache
def _active_user_by_id():
    """Built once: building a statement costs more than SQLite takes to answer it. A JWT
    or a session costs no more than an API key so."""
    return select(*IDENTITY).where(User.id == bindparam("user_id"), User.is_active.is_(True))


def key_owner(key_hash: str):
    """The identity (`IDENTITY`) of the owner of the enabled key with this hash, with the
    key's hash, when the owner is active; None otherwise."""
    return run(_key_owner_by_hash(), {"key_hash": key_hash}).first()


@functools.cache
def _key_owner_by_hash():
    """Built once, as `_active_user_by_id`."""
    return (
        select(*IDENTITY, ApiKey.key_hash)
        .join(ApiKey, ApiKey.user_id == User.id)
        .where(
            ApiKey.key_hash == bindparam("key_hash"),
            ApiKey.is_enabled.is_(True),
            User.is_active.is_(True),
        )
    )
