"""Moderation of the pastebin: visitors report pastes; admins work through the reports
(hide, delete, deactivate the poster, dismiss), block address ranges from posting, set
the longest expiry allowed, and find any paste. Every admin action is logged, with who
and when (`log`).

A hidden paste is gone on every face (`services.pastes.paste` reads only pastes that are not),
but kept: admins still open it here. What a new paste is allowed (blocked ranges, the
expiry limit) is read by `services.pastes.paste_policy`, which this module writes.
"""

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from pastecms.errors import (
    ConflictFailure,
    ForbiddenFailure,
    InvalidParamsFailure,
    NonexistentPasteFailure,
)
from pastecms.extensions import db
from pastecms.models import (
    REPORT_REASONS,
    BlockedNetwork,
    ModerationEntry,
    Paste,
    PasteReport,
    Setting,
    User,
    utcnow,
)
from pastecms.services.identity import user as user_service
from pastecms.services.identity.auth import Caller
from pastecms.services.ids import paste_ids
from pastecms.services.pastes import paste as paste_service
from pastecms.services.pastes import paste_policy

MAX_DETAILS = 2000
SEARCH_PAGE = 50
LOG_PAGE = 100


# -- reports ----------------------------------------------------------------------------


def report(public_id, reason: str, details: str | None, caller: Caller) -> PasteReport:
    """File a report of a live paste from `caller` (anyone; the rate limit is the view's).
    Returns the report (`public_id` set to the paste's).

    Raises `NonexistentPasteFailure` (unknown, garbage, expired, deactivated or hidden
    id) and `InvalidParamsFailure` (a reason not in `REPORT_REASONS`, details too long).
    """
    if reason not in REPORT_REASONS:
        problem = f"Must be one of: {', '.join(REPORT_REASONS)}."
        raise InvalidParamsFailure(f"reason: {problem}", details={"reason": problem})
    if details is not None and len(details) > MAX_DETAILS:
        problem = f"At most {MAX_DETAILS} characters."
        raise InvalidParamsFailure(f"details: {problem}", details={"details": problem})
    paste = paste_service.live(public_id)
    filed = PasteReport(
        paste_id=paste.id,
        reason=reason,
        details=(details or "").strip() or None,
        address=(caller.address or "")[:64] or None,
        user_id=caller.user_id,
    )
    db.session.add(filed)
    db.session.flush()
    filed.public_id = paste.public_id
    return filed


@dataclass
class Reported:
    """A paste in the queue: its open reports, summed up."""

    paste_id: int
    public_id: str
    title: str
    is_hidden: bool
    poster: str | None
    count: int
    first: datetime
    last: datetime
    reasons: list[str] = field(default_factory=list)


def queue(caller: Caller) -> list[Reported]:
    """Pastes with open reports, the most reported first (then the latest). Only for
    admins: `ForbiddenFailure` otherwise."""
    _require_admin(caller)
    rows = db.session.execute(
        select(
            PasteReport.paste_id,
            func.count(PasteReport.id),
            func.min(PasteReport.created_at),
            func.max(PasteReport.created_at),
        )
        .where(PasteReport.closed_at.is_(None))
        .group_by(PasteReport.paste_id)
    ).all()
    if not rows:
        return []
    pastes = {
        paste.id: paste
        for paste in db.session.scalars(
            select(Paste).where(Paste.id.in_([row[0] for row in rows]), Paste.is_active)
        )
    }
    reasons: dict[int, set] = {}
    for paste_id, reason in db.session.execute(
        select(PasteReport.paste_id, PasteReport.reason)
        .where(PasteReport.closed_at.is_(None), PasteReport.paste_id.in_(list(pastes)))
        .distinct()
    ):
        reasons.setdefault(paste_id, set()).add(reason)
    ids = paste_ids()
    found = [
        Reported(
            paste_id=paste_id,
            public_id=str(ids.encode(paste_id)),
            title=pastes[paste_id].title,
            is_hidden=pastes[paste_id].is_hidden,
            poster=pastes[paste_id].poster.username if pastes[paste_id].poster else None,
            count=count,
            first=_aware(first),
            last=_aware(last),
            reasons=sorted(reasons.get(paste_id, ())),
        )
        for paste_id, count, first, last in rows
        if paste_id in pastes
    ]
    found.sort(key=lambda item: (item.count, item.last), reverse=True)
    return found


def _aware(value: datetime) -> datetime:
    # An aggregate comes back as the database has it: naive on SQLite, where it is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=utcnow().tzinfo)


# -- pastes, as admins see them ---------------------------------------------------------


@dataclass
class AdminPaste:
    """A paste as the console shows it: hidden or not, with its poster and contents."""

    paste: Paste
    public_id: str
    state: str  # "live", "hidden", "expired" or "deleted"
    #: Its reports, the newest first (filled in by `paste` only).
    reports: list[PasteReport] = field(default_factory=list)

    @property
    def poster(self) -> str | None:
        return self.paste.poster.username if self.paste.poster else None


def _state(paste: Paste, now: datetime) -> str:
    if not paste.is_active:
        return "deleted"
    if paste.expiry_time is not None and paste.expiry_time <= now:
        return "expired"
    return "hidden" if paste.is_hidden else "live"


def _any_paste(public_id) -> Paste:
    """The stored paste behind a public id, whatever its state (purged: none).
    `NonexistentPasteFailure` when there is none."""
    paste = db.session.get(Paste, paste_ids().decode(public_id))
    if paste is None:
        raise NonexistentPasteFailure()
    return paste


def paste(caller: Caller, public_id) -> AdminPaste:
    """Any stored paste, hidden ones too, with every report of it, for an admin to look
    at; reads no view. Raises `ForbiddenFailure` and `NonexistentPasteFailure`."""
    _require_admin(caller)
    found = _any_paste(public_id)
    reports = db.session.scalars(
        select(PasteReport)
        .where(PasteReport.paste_id == found.id)
        .order_by(PasteReport.created_at.desc(), PasteReport.id.desc())
    )
    public = str(paste_ids().encode(found.id))
    return AdminPaste(found, public, _state(found, utcnow()), list(reports))


def search(caller: Caller, query: str = "") -> list[AdminPaste]:
    """Up to SEARCH_PAGE stored pastes, the newest first, whose public id is `query`, or
    whose title or poster's username contains it (any case); every paste without a
    query. Hidden, expired and deactivated ones too (not yet purged). Admins only."""
    _require_admin(caller)
    query = query.strip()
    statement = select(Paste).outerjoin(User, User.id == Paste.user_id)
    if query:
        pattern = (
            "%" + query.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        )
        matches = [
            func.lower(Paste.title).like(pattern, escape="\\"),
            func.lower(User.username).like(pattern, escape="\\"),
        ]
        try:
            matches.append(Paste.id == paste_ids().decode(query))
        except NonexistentPasteFailure:
            pass  # not an id: a title or a name only
        statement = statement.where(or_(*matches))
    ids = paste_ids()
    now = utcnow()
    return [
        AdminPaste(found, str(ids.encode(found.id)), _state(found, now))
        for found in db.session.scalars(
            statement.order_by(Paste.post_time.desc(), Paste.id.desc()).limit(SEARCH_PAGE)
        )
    ]


# -- actions ----------------------------------------------------------------------------


def hide(caller: Caller, public_id) -> AdminPaste:
    """Hide a paste from every face (its reports are closed); admins still see it here.
    Raises `ForbiddenFailure` and `NonexistentPasteFailure`."""
    return _act(caller, public_id, "hide", is_hidden=True)


def unhide(caller: Caller, public_id) -> AdminPaste:
    """Show a hidden paste again. Raises as `hide`."""
    return _act(caller, public_id, "unhide", is_hidden=False)


def delete_paste(caller: Caller, public_id) -> AdminPaste:
    """Delete a paste as its owner's deletion does (gone at once, purged later), and
    close its reports. Raises as `hide`."""
    return _act(caller, public_id, "delete", is_active=False)


def _act(caller: Caller, public_id, action: str, **values) -> AdminPaste:
    _require_admin(caller)
    found = _any_paste(public_id)
    db.session.execute(update(Paste).where(Paste.id == found.id).values(**values))
    db.session.refresh(found)
    target = str(paste_ids().encode(found.id))
    _close_reports(found.id)
    _log(caller, action, target, found.title)
    return AdminPaste(found, target, _state(found, utcnow()))


def deactivate_poster(caller: Caller, public_id) -> User:
    """Deactivate the account that posted a paste, through `services.identity.user` (its pastes,
    keys and sessions end with it), and close the paste's reports. Raises
    `ForbiddenFailure` (not an admin; or the poster is an admin, who is deactivated from
    the command line only), `NonexistentPasteFailure`, and `InvalidParamsFailure` for an
    anonymous paste."""
    _require_admin(caller)
    found = _any_paste(public_id)
    poster = found.poster
    if poster is None:
        raise InvalidParamsFailure("The paste was posted anonymously: no account to deactivate.")
    if poster.is_admin:
        raise ForbiddenFailure("An admin's account is not deactivated from the console.")
    user_service.deactivate_named(poster.username)
    _close_reports(found.id)
    _log(caller, "deactivate_poster", poster.username, f"poster of {paste_ids().encode(found.id)}")
    return poster


def dismiss(caller: Caller, public_id) -> int:
    """Close a paste's open reports without acting on it; returns how many. Raises
    `ForbiddenFailure` and `NonexistentPasteFailure`."""
    _require_admin(caller)
    found = _any_paste(public_id)
    closed = _close_reports(found.id)
    _log(caller, "dismiss", str(paste_ids().encode(found.id)), f"{closed} report(s)")
    return closed


def _close_reports(paste_id: int) -> int:
    result = db.session.execute(
        update(PasteReport)
        .where(PasteReport.paste_id == paste_id, PasteReport.closed_at.is_(None))
        .values(closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# -- blocked address ranges -------------------------------------------------------------


def blocked_networks(caller: Caller) -> list[BlockedNetwork]:
    """The blocked ranges, the newest first (admins only)."""
    _require_admin(caller)
    return list(
        db.session.scalars(
            select(BlockedNetwork).order_by(BlockedNetwork.created_at.desc(), BlockedNetwork.id)
        )
    )


def block(caller: Caller, cidr: str, note: str | None = None) -> BlockedNetwork:
    """Refuse new pastes from an address range (a CIDR such as 203.0.113.0/24, or one
    address) on every face, from now on. Raises `ForbiddenFailure`,
    `InvalidParamsFailure` (not a range; one holding the caller's own address) and
    `ConflictFailure` (already blocked)."""
    _require_admin(caller)
    try:
        network = paste_policy.network(cidr)
    except ValueError:
        problem = "Not an address range: write one as 203.0.113.0/24 or 2001:db8::/32."
        raise InvalidParamsFailure(f"cidr: {problem}", details={"cidr": problem}) from None
    if _holds(network, caller.address):
        problem = "This range holds your own address."
        raise InvalidParamsFailure(f"cidr: {problem}", details={"cidr": problem})
    text = network.with_prefixlen
    if db.session.scalar(select(BlockedNetwork.id).where(BlockedNetwork.cidr == text)):
        raise ConflictFailure(f"{text} is blocked already.")
    found = BlockedNetwork(cidr=text, note=(note or "").strip()[:256] or None)
    db.session.add(found)
    db.session.flush()
    paste_policy.forget()
    _log(caller, "block", text, found.note)
    return found


def _holds(network, address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address) in network
    except ValueError:
        return False


def unblock(caller: Caller, cidr: str) -> None:
    """Take new pastes from a blocked range again. Raises `ForbiddenFailure` and
    `InvalidParamsFailure` (not a blocked range)."""
    _require_admin(caller)
    removed = db.session.execute(delete(BlockedNetwork).where(BlockedNetwork.cidr == cidr))
    if not removed.rowcount:
        problem = "Not a blocked range."
        raise InvalidParamsFailure(f"cidr: {problem}", details={"cidr": problem})
    paste_policy.forget()
    _log(caller, "unblock", cidr, None)


# -- the longest expiry -----------------------------------------------------------------


def set_expiry_limit(
    caller: Caller, longest: timedelta | None, never: bool
) -> paste_policy.ExpiryLimit:
    """Store the longest expiry a new paste may have (None: any) and whether it may have
    none; it applies to every face from the next submit. Raises `ForbiddenFailure`
    and `InvalidParamsFailure` (a lifetime under a minute)."""
    _require_admin(caller)
    if longest is not None and longest < timedelta(minutes=1):
        raise InvalidParamsFailure("The longest expiry is at least a minute.")
    now = utcnow()
    values = {
        paste_policy.LONGEST_EXPIRY_KEY: str(int(longest.total_seconds())) if longest else "",
        paste_policy.NEVER_EXPIRES_KEY: "true" if never else "false",
    }
    for key, value in values.items():
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now
    db.session.flush()
    paste_policy.forget()
    limit = paste_policy.ExpiryLimit(longest, never)
    _log(caller, "expiry_limit", "longest expiry", limit.describe())
    return limit


# -- the log ----------------------------------------------------------------------------


def log(caller: Caller, limit: int = LOG_PAGE) -> list[ModerationEntry]:
    """The latest moderation actions, the newest first (admins only)."""
    _require_admin(caller)
    return list(
        db.session.scalars(
            select(ModerationEntry)
            .order_by(ModerationEntry.at.desc(), ModerationEntry.id.desc())
            .limit(limit)
        )
    )


def _log(caller: Caller, action: str, target: str, note: str | None) -> None:
    user = caller.user
    db.session.add(
        ModerationEntry(
            actor_id=caller.user_id,
            actor_name=user.username if user else "?",
            action=action,
            target=target[:256],
            note=note,
        )
    )


def _require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise ForbiddenFailure("Only an admin may moderate.")


def overview(caller: Caller) -> dict:
    """What the console's moderation page shows: the `queue`, the `blocked` ranges, the
    expiry `limit` and the latest `log`. Admins only: `ForbiddenFailure` otherwise."""
    return {
        "queue": queue(caller),
        "blocked": blocked_networks(caller),
        "limit": paste_policy.expiry_limit(),
        "log": log(caller),
    }
