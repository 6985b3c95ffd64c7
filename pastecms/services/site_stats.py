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
from urllib.parse import quote, unquote, urlsplit

from flask import current_app
from limits import parse_many
from sqlalchemy import bindparam, func, select, true, update

from pastecms import database, ratelimit
from pastecms.errors import DomainNotVerifiedFailure, FeatureDisabledFailure
from pastecms.extensions import db
from pastecms.models import SiteVisitor, VisitCount

_COUNTS = VisitCount.__table__
_VISITORS = SiteVisitor.__table__
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
    setting = current_app.config["STATISTIC_DOMAINS"] or ()
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
    bound = parse_many(current_app.config["STATISTIC_NEW_PAGES"])
    return ratelimit.take(bound, "new statistic pages", "statistic", "new_pages", host)


@functools.cache
def _statements(dialect: str):
    # `dialect` is also a key: each database builds its own ON CONFLICT statements.
    visitor = database.dialect_insert(_VISITORS).values(
        site=bindparam("site"), client=bindparam("client")
    )
    # One row per statement: SQLAlchemy caches the compiled form of a single-row INSERT,
    # not of a multi-row one, and compiling it again cost more than a statement's run.
    views = database.dialect_insert(_COUNTS).values(
        target=bindparam("target"), pv=1, uv=bindparam("new_visitor")
    )
    views = views.on_conflict_do_update(
        index_elements=[_COUNTS.c.target],
        set_={"pv": _COUNTS.c.pv + 1, "uv": _COUNTS.c.uv + views.excluded.uv},
    ).returning(_COUNTS.c.pv, _COUNTS.c.uv)
    # RETURNING says whether the visitor is new (rowcount is not reliable for an INSERT).
    # A page counted before is counted by `bump` alone; only a new one costs its host's
    # bound (`_new_row`) and `views` after it.
    bump = (
        update(_COUNTS)
        .where(_COUNTS.c.target == bindparam("page"))
        .values(pv=_COUNTS.c.pv + 1)
        .returning(_COUNTS.c.pv)
    )
    exists = select(_COUNTS.c.pv).where(_COUNTS.c.target == bindparam("site"))
    visitor = visitor.on_conflict_do_nothing().returning(_VISITORS.c.site)
    site_visit = _site_visit(visitor) if dialect == "postgresql" else None
    return visitor, views, bump, exists, site_visit


def _site_visit(visitor):
    """PostgreSQL's one statement for a visit's visitor and its site's count: the visitor
    inserted in a data-modifying WITH, the site counted with one more visitor when that
    inserted a row; and the transaction relaxed to not wait for the WAL flush
    (`relaxed_commit_if`: the `SET LOCAL` without a round trip). Three round trips were
    two statements and a SET LOCAL."""
    new_visitor = visitor.cte("new_visitor")
    counted = select(func.count()).select_from(new_visitor).scalar_subquery()
    site = database.dialect_insert(_COUNTS).values(target=bindparam("site"), pv=1, uv=counted)
    return (
        site.on_conflict_do_update(
            index_elements=[_COUNTS.c.target],
            set_={"pv": _COUNTS.c.pv + 1, "uv": _COUNTS.c.uv + site.excluded.uv},
        )
        .add_cte(new_visitor)
        .returning(_COUNTS.c.pv, _COUNTS.c.uv, database.relaxed_commit_if(true()))
    )


def count_visit(referer: str | None, address: str | None) -> dict:
    """Count one view of the page `referer` by the client at `address`; returns
    `page_pv`, `site_pv` and `site_uv` after it (the "other" page's for a page past its
    host's STATISTIC_NEW_PAGES).

    Raises `FeatureDisabledFailure` when STATISTIC_DOMAINS is empty, and
    `DomainNotVerifiedFailure` for a page elsewhere (or no Referer).
    """
    if not allowed_hosts():
        raise FeatureDisabledFailure("Visit statistics are switched off on this server.")
    host, site, page = _site_and_page(referer)
    connection = db.session.connection()
    add_visitor, add_view, bump, exists, site_visit = _statements(connection.dialect.name)
    # A site of the host's own port exists once per allowed host; one on another port is
    # new, and bounded like a page, until it has been counted.
    if site != host and connection.execute(exists, {"site": site}).first() is None:
        if not _new_row(host):
            site, page = host, host + OTHER
    # Site before page, always: concurrent visits lock the rows in one order.
    if site_visit is not None:
        site_pv, site_uv, _ = connection.execute(
            site_visit, {"site": site, "client": address or ""}
        ).one()
    else:
        visitor = {"site": site, "client": address or ""}
        new_visitor = connection.execute(add_visitor, visitor).first()
        site_pv, site_uv = connection.execute(
            add_view, {"target": site, "new_visitor": int(new_visitor is not None)}
        ).one()
    page_pv = connection.execute(bump, {"page": page}).scalar()
    if page_pv is None:
        if not page.endswith(OTHER) and not _new_row(host):
            page = site + OTHER
        page_pv, _ = connection.execute(add_view, {"target": page, "new_visitor": 0}).one()
    return {"page_pv": page_pv, "site_pv": site_pv, "site_uv": site_uv}
