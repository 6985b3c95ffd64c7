"""Failed attempts at a secret (a paste's password, an account's), limited per target and
per client address, so guesses spread over many addresses or many targets are slowed all
the same.

Counted with the app's rate limiter, in its storage (Redis in production, so every worker
and host shares the counts). Only failures count: a right password never uses up a
limit. `check` runs before the costly comparison, so a client over its limit costs no
bcrypt either.
"""

import time

from flask import current_app
from limits import parse_many
from limits.errors import StorageError

from pastecms import ratelimit
from pastecms.errors import RateLimitFailure


def _keys(kind: str, target: str, address: str | None) -> list[tuple[str, ...]]:
    keys = [ratelimit.counter("attempts", kind, "target", str(target))]
    if address:
        keys.append(ratelimit.counter("attempts", kind, "address", address))
    return keys


def _items():
    return parse_many(current_app.config["RATELIMIT_FAILED_ATTEMPTS"])


def check(kind: str, target: str, address: str | None) -> None:
    """`RateLimitFailure` (with Retry-After) when `target`, or the client at `address`,
    has failed too often lately at `kind`."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    strategy = ratelimit.limiter().limiter
    try:
        for item in _items():
            for key in _keys(kind, target, address):
                if not strategy.test(item, *key):
                    reset_at = strategy.get_window_stats(item, *key).reset_time
                    retry_after = max(1, int(reset_at - time.time()))
                    raise RateLimitFailure(
                        "Too many failed attempts; retry later.",
                        headers={"Retry-After": str(retry_after)},
                    )
    except StorageError as error:
        ratelimit.storage_down(error, "failed attempts")


def failed(kind: str, target: str, address: str | None) -> None:
    """Count one failed attempt at `target` from `address`."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    strategy = ratelimit.limiter().limiter
    try:
        for item in _items():
            for key in _keys(kind, target, address):
                strategy.hit(item, *key)
    except StorageError as error:
        ratelimit.storage_down(error, "failed attempts")
