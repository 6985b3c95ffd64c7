"""Visit statistics for the sites that embed the counter widget: page views per page and
per site, and distinct visitors (client addresses) per site, counted in SQL.

A visit is known by the page's address, which the browser sends as the Referer; only
pages on hosts of STATISTIC_DOMAINS are counted. A site is "host" or "host:port" (a port
other than the scheme's own); a page is the site followed by the path, written one way
(`_page_path`) and cut at MAX_TARGET_LENGTH, so that the ways of writing one address
count as one page.

Anyone may ask, and each page or port not counted before is a new row: a host starts at
most STATISTIC_NEW_PAGES of them (counted in the rate limiter's storage, shared by every
worker); past that, a visit to a new page is counted under its site's "other" page
("site#other"), and to a new port under the host's, so rows stay bounded while every
visit still counts for its site.
"""

import functools
import json
import re
from datetime import date, timedelta
from urllib.parse import quote, unquote, urlsplit

from limits import parse_many
from sqlalchemy import bindparam, func, or_, select, true, update

from pastecms import database, ratelimit
from pastecms.config import settings
from pastecms.errors import DomainNotVerifiedFailure, FeatureDisabledFailure
from pastecms.extensions import db
from pastecms.models import SiteVisitor, VisitCount, VisitDay, utcnow

_COUNTS = VisitCount.__table__
_VISITORS = SiteVisitor.__table__
_DAYS = VisitDay.__table__
MAX_TARGET_LENGTH = 256
#: The page a site's visits are counted under once its host starts no more new pages: a
#: page's own target never has a "#" (the fragment is dropped, a "#" in the path escaped).
OTHER = "#other"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Kept as they are in a path (RFC 3986's pchar, besides letters, digits and "-._~"); any
# other character is percent-encoded, in capitals, however the Referer wrote it.
_PATH_SAFE = "/!$&'()*+,;=:@"
_CUT_ESCAPE = re.compile(r"%[0-9A-F]?\Z")


@functools.lru_cache(maxsize=16)
def _hosts(setting) -> frozenset:
    if isinstance(setting, str):
        try:
            setting = json.loads(setting)
        except ValueError:
            setting = setting.split(",")
        if isinstance(setting, str):
            setting = [setting]
    return frozenset(
        host.strip().lower().rstrip(".") for host in setting if isinstance(host, str) and host
    ) - {""}


def allowed_hosts() -> frozenset:
    """The hosts whose pages are counted, from STATISTIC_DOMAINS (a list, or a JSON list
    or comma-separated hosts as text)."""
    setting = settings().statistic_domains or ()
    return _hosts(setting if isinstance(setting, str) else tuple(setting))


def _page_path(path: str) -> str:
    """`path` written one way: percent-escapes decoded and written again the same way,
    repeated slashes one, `.` and `..` parts resolved, and a trailing slash after a last
    part without a dot (`/posts/hello` is `/posts/hello/`, as Hexo writes its pages), so
    that the stored address of a page as browsers send it is what it always was."""
    decoded = unquote(path)
    parts: list[str] = []
    for part in decoded.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    if not parts:
        return "/"
    slash = decoded.endswith("/") or "." not in parts[-1]
    return quote("/" + "/".join(parts) + ("/" if slash else ""), safe=_PATH_SAFE)


def _site_and_page(referer: str | None) -> tuple[str, str, str]:
    """The host, the site and the page a Referer names; `DomainNotVerifiedFailure` unless
    it is an http(s) address on an allowed host."""
    if not referer or not referer.isascii() or not referer.isprintable() or " " in referer:
        raise DomainNotVerifiedFailure("Domain not verified: no usable Referer.")
    try:
        split = urlsplit(referer)
        port = split.port
    except ValueError:
        raise DomainNotVerifiedFailure("Domain not verified: the Referer is malformed.") from None
    host = (split.hostname or "").rstrip(".")
    if split.scheme not in ("http", "https") or host not in allowed_hosts():
        raise DomainNotVerifiedFailure()
    site = host if port in (None, _DEFAULT_PORTS[split.scheme]) else f"{host}:{port}"
    page = (site + _page_path(split.path))[:MAX_TARGET_LENGTH]
    return host, site, _CUT_ESCAPE.sub("", page)


def _new_row(host: str) -> bool:
    """Whether `host` may start counting one more page or port now (and counts it)."""
    bound = parse_many(settings().statistic_new_pages)
    return ratelimit.take(bound, "new statistic pages", "statistic", "new_pages", host)


@functools.cache
def _statements(dialect: str):
    # `dialect` is also a key: each database builds its own ON CONFLICT statements.
    # A visitor's row answers, in the statement that records it, what its visit is: no
    # row when the client was seen today already; its `first_day` otherwise, which is
    # today only for a client new to the site (RETURNING says this where rowcount is not
    # reliable for an INSERT, and without a second statement to read the row).
    visitor = database.dialect_insert(_VISITORS).values(
        site=bindparam("site"),
        client=bindparam("client"),
        first_day=bindparam("day"),
        last_day=bindparam("day"),
    )
    visitor = visitor.on_conflict_do_update(
        index_elements=[_VISITORS.c.site, _VISITORS.c.client],
        set_={"last_day": visitor.excluded.last_day},
        where=_VISITORS.c.last_day != visitor.excluded.last_day,
    ).returning(_VISITORS.c.first_day)
    # One row per statement: SQLAlchemy caches the compiled form of a single-row INSERT,
    # not of a multi-row one, and compiling it again cost more than a statement's run.
    views = database.dialect_insert(_COUNTS).values(
        target=bindparam("target"), pv=1, uv=bindparam("new_visitor")
    )
    views = views.on_conflict_do_update(
        index_elements=[_COUNTS.c.target],
        set_={"pv": _COUNTS.c.pv + 1, "uv": _COUNTS.c.uv + views.excluded.uv},
    ).returning(_COUNTS.c.pv, _COUNTS.c.uv)
    day = database.dialect_insert(_DAYS).values(
        day=bindparam("day"), site=bindparam("site"), pv=1, uv=bindparam("new_today")
    )
    day = day.on_conflict_do_update(
        index_elements=[_DAYS.c.day, _DAYS.c.site],
        set_={"pv": _DAYS.c.pv + 1, "uv": _DAYS.c.uv + day.excluded.uv},
    )
    if dialect == "postgresql":
        # Every visit runs this one: its transaction, counters alone, commits without
        # waiting for the WAL flush (`relaxed_commit_if`, no round trip of its own).
        day = day.returning(database.relaxed_commit_if(true()))
    # A page counted before is counted by `bump` alone; only a new one costs its host's
    # bound (`_new_row`) and `views` after it.
    bump = (
        update(_COUNTS)
        .where(_COUNTS.c.target == bindparam("page"))
        .values(pv=_COUNTS.c.pv + 1)
        .returning(_COUNTS.c.pv)
    )
    exists = select(_COUNTS.c.pv).where(_COUNTS.c.target == bindparam("site"))
    visit = None
    if dialect == "postgresql":
        visit = _one_statement(visitor, views, day, bump)
        # After `visit`, which committed: a new page's first count, a counter alone.
        views = database.commits_alone(views.returning(database.relaxed_commit_if(true())))
    return visitor, views, day, bump, exists, visit


def _one_statement(visitor, views, day, bump):
    """On PostgreSQL, a visit as one statement, the four writes in its WITH: (site_pv,
    site_uv, page_pv, _), page_pv None for a page not counted before. It commits on its
    own (`commits_alone`), without waiting for its WAL flush: one round trip where the
    four statements in a transaction cost six. A new page's first count follows in a
    statement of its own, after the new page's bound is checked (`_new_row`)."""
    seen = visitor.cte("seen")
    day_value = bindparam("day")
    new_to_site = select(func.count()).select_from(seen).where(seen.c.first_day == day_value)
    site = views.values(target=bindparam("site"), uv=new_to_site.scalar_subquery()).cte("site")
    today = day.values(uv=select(func.count()).select_from(seen).scalar_subquery()).cte("today")
    page = bump.cte("page")
    return database.commits_alone(
        select(
            site.c.pv,
            site.c.uv,
            select(page.c.pv).scalar_subquery(),
            select(today.c.relaxed_commit).scalar_subquery(),
        )
    )


def count_visit(referer: str | None, address: str | None, *, counted: bool = True) -> dict:
    """Count one view of the page `referer` by the client at `address`; returns
    `page_pv`, `site_pv` and `site_uv` after it (the "other" page's for a page past its
    host's STATISTIC_NEW_PAGES). With `counted` false (a HEAD, which never counts) the
    counts are only read.

    Raises `FeatureDisabledFailure` when STATISTIC_DOMAINS is empty, and
    `DomainNotVerifiedFailure` for a page elsewhere (or no Referer).
    """
    if not allowed_hosts():
        raise FeatureDisabledFailure("Visit statistics are switched off on this server.")
    host, site, page = _site_and_page(referer)
    connection = db.session.connection()
    if not counted:
        query = select(_COUNTS.c.target, _COUNTS.c.pv, _COUNTS.c.uv).where(
            _COUNTS.c.target.in_((site, page))
        )
        found = {target: (pv, uv) for target, pv, uv in connection.execute(query)}
        site_pv, site_uv = found.get(site, (0, 0))
        return {"page_pv": found.get(page, (0, 0))[0], "site_pv": site_pv, "site_uv": site_uv}
    add_visitor, add_view, add_day, bump, exists, visit = _statements(connection.dialect.name)
    today = utcnow().date()
    # A site of the host's own port exists once per allowed host; one on another port is
    # new, and bounded like a page, until it has been counted.
    if site != host and connection.execute(exists, {"site": site}).first() is None:
        if not _new_row(host):
            site, page = host, host + OTHER
    client = address or ""
    if visit is not None:
        params = {"site": site, "client": client, "day": today, "page": page}
        site_pv, site_uv, page_pv, _ = connection.execute(visit, params).one()
    else:
        seen = connection.execute(add_visitor, {"site": site, "client": client, "day": today})
        seen = seen.first()
        # Site, its day, then page, always: concurrent visits lock the rows in one order.
        new_visitor = int(seen is not None and seen[0] == today)
        site_pv, site_uv = connection.execute(
            add_view, {"target": site, "new_visitor": new_visitor}
        ).one()
        new_today = int(seen is not None)
        connection.execute(add_day, {"day": today, "site": site, "new_today": new_today})
        page_pv = connection.execute(bump, {"page": page}).scalar()
    if page_pv is None:
        if not page.endswith(OTHER) and not _new_row(host):
            page = site + OTHER
        page_pv = connection.execute(add_view, {"target": page, "new_visitor": 0}).one()[0]
    return {"page_pv": page_pv, "site_pv": site_pv, "site_uv": site_uv}


def daily(days: int, today: date | None = None) -> list[dict]:
    """Page views (`pv`) and distinct visitors (`uv`) of every counted site together, per
    UTC day, for the `days` days up to `today` (default: this one), oldest first; a day
    without visits is there with zeros. A client seen on two sites counts on each."""
    today = today or utcnow().date()
    first = today - timedelta(days=days - 1)
    rows = db.session.execute(
        select(_DAYS.c.day, func.sum(_DAYS.c.pv), func.sum(_DAYS.c.uv))
        .where(_DAYS.c.day >= first, _DAYS.c.day <= today)
        .group_by(_DAYS.c.day)
    ).all()
    counted = {day: (int(pv), int(uv)) for day, pv, uv in rows}
    return [
        {"day": day, "pv": counted.get(day, (0, 0))[0], "uv": counted.get(day, (0, 0))[1]}
        for day in (first + timedelta(days=n) for n in range(days))
    ]


def top_pages(limit: int) -> list:
    """The `limit` pages with the most views ever, most first (rows with `target` and
    `pv`); a site's "other" page is one of them, a site's own total is not."""
    is_page = or_(_COUNTS.c.target.contains("/"), _COUNTS.c.target.endswith(OTHER))
    return db.session.execute(
        select(_COUNTS.c.target, _COUNTS.c.pv)
        .where(is_page)
        .order_by(_COUNTS.c.pv.desc(), _COUNTS.c.target)
        .limit(limit)
    ).all()


def sites() -> list:
    """Every counted site's totals, most viewed first (rows with `target`, `pv`, `uv`)."""
    is_page = or_(_COUNTS.c.target.contains("/"), _COUNTS.c.target.endswith(OTHER))
    return db.session.execute(
        select(_COUNTS.c.target, _COUNTS.c.pv, _COUNTS.c.uv)
        .where(~is_page)
        .order_by(_COUNTS.c.pv.desc(), _COUNTS.c.target)
    ).all()
