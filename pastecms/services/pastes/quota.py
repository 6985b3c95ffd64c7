"""Byte quotas: how much new paste data (contents and attachments) a client may store over
a window, whatever way it posts (the API, the web form, a curl upload).

Counted with the app's rate limiter, in its storage (Redis in production, so every worker
and host shares the counts), each paste costing its size in bytes. Anonymous pastes count
against their client address under QUOTA_ANONYMOUS; a signed-in user's against their
account and against their address under QUOTA_USER, so many accounts at one address share
one allowance. A paste that could never fit a quota is `PayloadTooLargeFailure` (413);
one that does not fit what is left of it now, `RateLimitFailure` (429, with Retry-After).
"""

import time

from limits import RateLimitItem, parse_many
from limits.errors import StorageError

from pastecms import ratelimit
from pastecms.config import settings
from pastecms.errors import PayloadTooLargeFailure, RateLimitFailure
from pastecms.services.identity.auth import Caller


def _counters(caller: Caller) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    config = settings()
    address = caller.address or "-"
    if not caller.is_authenticated:
        keys = [ratelimit.counter("quota", "anonymous", "address", address)]
        setting = config.quota_anonymous
    else:
        keys = [
            ratelimit.counter("quota", "user", str(caller.user_id)),
            ratelimit.counter("quota", "users", "address", address),
        ]
        setting = config.quota_user
    return [(item, key) for item in parse_many(setting) for key in keys]


def charge(caller: Caller, size: int) -> None:
    """Count `size` bytes of new paste data against the caller's quotas.

    Nothing is counted when a quota refuses: raises `PayloadTooLargeFailure` when `size`
    is more than a quota allows in a whole window, and `RateLimitFailure` (with
    `Retry-After`) when it is more than is left of one now.
    """
    if not settings().ratelimit_enabled or size <= 0:
        return
    strategy = ratelimit.limiter().limiter
    counters = _counters(caller)
    try:
        for item, key in counters:
            if size > item.amount:
                raise PayloadTooLargeFailure(
                    f"The paste ({size} bytes) is larger than this server stores for you in "
                    f"{_window(item)} ({item.amount} bytes)."
                )
            if not strategy.test(item, *key, cost=size):
                reset_at = strategy.get_window_stats(item, *key).reset_time
                raise RateLimitFailure(
                    f"You have stored as much as this server allows in {_window(item)} "
                    f"({item.amount} bytes); retry later.",
                    headers={"Retry-After": str(max(1, int(reset_at - time.time())))},
                )
        # Tested first, counted after: a refused paste uses up nothing. Two racing pastes
        # may both pass the test and overshoot by one paste, never by more.
        for item, key in counters:
            strategy.hit(item, *key, cost=size)
    except StorageError as error:
        ratelimit.storage_down(error, "byte quotas")


def _window(item: RateLimitItem) -> str:
    return f"{item.multiples} {item.GRANULARITY.name}{'s' if item.multiples != 1 else ''}"
