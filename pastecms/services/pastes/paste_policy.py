"""What the site's admins allow a new paste, on every face: the address ranges that may
not post (`blocked`), and the longest expiry (`expiry_limit`). `services.pastes.paste` asks
before it stores anything; `services.pastes.moderation` changes them.

Both are kept by each worker for POLICY_TTL seconds: read from the database on every
submit they cost two round trips of its three (a submit on PostgreSQL went from 3 to 5).
So a change applies at once in the worker that made it (`forget`), and within
POLICY_TTL seconds on every other worker and host.
"""

import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from pastecms.app_cache import app_cache
from pastecms.errors import AddressBlockedFailure, InvalidParamsFailure
from pastecms.extensions import db
from pastecms.models import BlockedNetwork, Setting

#: The `settings` rows this module keeps (never shown by `services.site.settings.get_all`).
LONGEST_EXPIRY_KEY = "paste_longest_expiry"  # seconds; "" or missing: no limit
NEVER_EXPIRES_KEY = "paste_never_expires"  # "true" / "false"; missing: "true"


@dataclass(frozen=True)
class ExpiryLimit:
    """The admins' choice: the longest lifetime a new paste may have (None: any), and
    whether it may have none at all ("never")."""

    longest: timedelta | None = None
    never: bool = True

    def allows(self, lifetime: timedelta | None) -> bool:
        """Whether a paste living `lifetime` (None: forever) may be posted."""
        if lifetime is None:
            return self.never
        return self.longest is None or lifetime <= self.longest

    def describe(self) -> str:
        """The limit in words, for a refusal and the console."""
        if self.longest is None:
            return "any expiry" + ("" if self.never else ", but not never")
        return "at most " + describe(self.longest) + (", or never" if self.never else "")


def describe(lifetime: timedelta) -> str:
    """`lifetime` in the largest whole unit that fits: "1 week", "36 hours"."""
    seconds = int(lifetime.total_seconds())
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


#: How long a worker keeps the policy it read (seconds).
POLICY_TTL = 2.0


@dataclass(frozen=True)
class _Policy:
    limit: "ExpiryLimit"
    networks: tuple
    read_at: float


class _Kept:
    """The policy this worker last read for one app (`app_cache`); None: read it anew.
    One attribute, set whole, so threads share it without a lock."""

    __slots__ = ("policy",)

    def __init__(self) -> None:
        self.policy: _Policy | None = None


def _policy() -> _Policy:
    """This app's policy as this worker last read it, read again when POLICY_TTL old."""
    kept = app_cache("paste_policy", _Kept)
    policy = kept.policy
    now = time.monotonic()
    if policy is not None and now - policy.read_at < POLICY_TTL:
        return policy
    cidrs = db.session.scalars(select(BlockedNetwork.cidr)).all()
    fresh = kept.policy = _Policy(_stored_limit(), tuple(network(cidr) for cidr in cidrs), now)
    return fresh


def forget() -> None:
    """Drop this worker's copy of the current app's policy: the next submit reads it
    again (after an admin's change here, or a test's)."""
    app_cache("paste_policy", _Kept).policy = None


def expiry_limit() -> ExpiryLimit:
    """The limit in force (no limit, and "never" offered, until an admin sets one)."""
    return _policy().limit


def _stored_limit() -> ExpiryLimit:
    rows = db.session.execute(
        select(Setting.key, Setting.value).where(
            Setting.key.in_((LONGEST_EXPIRY_KEY, NEVER_EXPIRES_KEY))
        )
    )
    stored = dict(rows.all())
    longest = stored.get(LONGEST_EXPIRY_KEY) or ""
    return ExpiryLimit(
        longest=timedelta(seconds=int(longest)) if longest.isdigit() else None,
        never=stored.get(NEVER_EXPIRES_KEY, "true") != "false",
    )


def check_expiry(expiry_time: datetime | None, now: datetime) -> None:
    """`InvalidParamsFailure` naming the limit when a paste expiring at `expiry_time`
    (None: never) lives longer than the admins allow."""
    limit = expiry_limit()
    lifetime = None if expiry_time is None else expiry_time - now
    if limit.allows(lifetime):
        return
    problem = f"Beyond the longest expiry this site allows: {limit.describe()}."
    raise InvalidParamsFailure(f"expiry_time: {problem}", details={"expiry_time": problem})


def network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """`text` as an address range (a CIDR, or one address); `ValueError` if it is none.
    Host bits are dropped: "10.1.2.3/8" is 10.0.0.0/8."""
    return ipaddress.ip_network(text.strip(), strict=False)


def blocked(address: str | None) -> str | None:
    """The blocked range `address` is in, or None (also for no or an unreadable
    address). An IPv4 address mapped into IPv6 is matched as IPv4."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for blocked_range in _policy().networks:
        if ip in blocked_range:
            return blocked_range.with_prefixlen
    return None


def check_address(address: str | None) -> None:
    """`AddressBlockedFailure` when `address` is in a blocked range."""
    if blocked(address) is not None:
        raise AddressBlockedFailure()
