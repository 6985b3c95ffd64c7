"""Failed attempts at a secret (a paste's password, an account's), limited per target and
per client address, so guesses spread over many addresses or many targets are slowed all
the same.

Counted with the app's rate limiter, in its storage (Redis in production, so every worker
and host shares the counts). Only failures count: a right password never uses up a
limit. A comparison runs inside `comparing`, which checks the limits first, so a client
over its limit costs no bcrypt either, and which lets one comparison at a time run per
target and per address: guesses sent together would otherwise all pass the check before
the first of them was counted.
"""

import contextlib
import time

from limits import parse, parse_many
from limits.errors import StorageError

from pastecms import ratelimit
from pastecms.config import settings
from pastecms.errors import RateLimitFailure

#: How long a comparison's claim on its target and address lasts, should its request
#: never release it; a comparison takes a quarter of a second.
COMPARING_FOR = parse("1 per 10 seconds")


def _parts(
    kind: str, target: str, address: str | None, device: str | None = None
) -> list[tuple[str, ...]]:
    if device is not None:
        # A device that signed in to the target before is counted on its own, never on
        # the target's or the address's counts, which strangers can fill up
        # (`services.identity.devices`).
        return [("attempts", kind, "device", device)]
    parts = [("attempts", kind, "target", str(target))]
    if address:
        parts.append(("attempts", kind, "address", address))
    return parts


def _keys(
    kind: str, target: str, address: str | None, device: str | None = None
) -> list[tuple[str, ...]]:
    return [ratelimit.counter(*parts) for parts in _parts(kind, target, address, device)]


@contextlib.contextmanager
def comparing(kind: str, target: str, address: str | None, device: str | None = None):
    """Around one comparison of a secret at `target` by the client at `address` (which
    calls `failed` when it fails): raises `RateLimitFailure` before it when either has
    failed too often lately (`check`), or while another comparison at either is running.
    A `device` that signed in to the target before (its nonce) is counted instead of both.
    """
    with contextlib.ExitStack() as held:
        for parts in _parts(kind, target, address, device):
            claim = ("comparing", *parts)
            if not ratelimit.claim(COMPARING_FOR, "password checks", *claim):
                raise RateLimitFailure(
                    "Another attempt at this secret is being checked; retry in a second.",
                    headers={"Retry-After": "1"},
                )
            held.callback(ratelimit.release, COMPARING_FOR, "password checks", *claim)
        # Checked once the claims are held, so that no failure is counted in between.
        check(kind, target, address, device)
        yield


def _items():
    return parse_many(settings().ratelimit_failed_attempts)


def check(kind: str, target: str, address: str | None, device: str | None = None) -> None:
    """`RateLimitFailure` (with Retry-After) when `target`, or the client at `address`,
    has failed too often lately at `kind` (or, for a known `device`, that device)."""
    if not settings().ratelimit_enabled:
        return
    strategy = ratelimit.limiter().limiter
    try:
        for item in _items():
            for key in _keys(kind, target, address, device):
                if not strategy.test(item, *key):
                    reset_at = strategy.get_window_stats(item, *key).reset_time
                    retry_after = max(1, int(reset_at - time.time()))
                    raise RateLimitFailure(
                        "Too many failed attempts; retry later.",
                        headers={"Retry-After": str(retry_after)},
                    )
    except StorageError as error:
        ratelimit.storage_down(error, "failed attempts")


def failed(kind: str, target: str, address: str | None, device: str | None = None) -> None:
    """Count one failed attempt at `target` from `address` (or from a known `device`)."""
    if not settings().ratelimit_enabled:
        return
    strategy = ratelimit.limiter().limiter
    try:
        for item in _items():
            for key in _keys(kind, target, address, device):
                strategy.hit(item, *key)
    except StorageError as error:
        ratelimit.storage_down(error, "failed attempts")
