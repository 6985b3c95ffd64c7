"""Visit statistics for the sites that embed the counter widget: page views per page and
per site, and distinct visitors (client addresses) per site, counted in SQL.

A visit is known by the page's address, which the browser sends as the Referer; only
pages on hosts of STATISTIC_DOMAINS are counted. A site is "host" or "host:port" as the
address writes it; a page is the site followed by the path (no query, no fragment).
"""

import functools
import json
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import bindparam

from pastecms import database
from pastecms.errors import DomainNotVerifiedFailure, FeatureDisabledFailure, InvalidParamsFailure
from pastecms.extensions import db
from pastecms.models import SiteVisitor, VisitCount

_COUNTS = VisitCount.__table__
_VISITORS = SiteVisitor.__table__
MAX_TARGET_LENGTH = 1024


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


def _site_and_page(referer: str | None) -> tuple[str, str]:
    """The site and the page a Referer names; `DomainNotVerifiedFailure` unless it is an
    http(s) address on an allowed host."""
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
    site = host if port is None else f"{host}:{port}"
    page = site + (split.path or "/")
    if len(page) > MAX_TARGET_LENGTH:
        raise InvalidParamsFailure(f"The page address is longer than {MAX_TARGET_LENGTH}.")
    return site, page


@functools.cache
def _statements(dialect: str):
    del dialect  # a key: each database builds its own ON CONFLICT statements
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
    return visitor.on_conflict_do_nothing().returning(_VISITORS.c.site), views


def count_visit(referer: str | None, address: str | None) -> dict:
    """Count one view of the page `referer` by the client at `address`; returns
    `page_pv`, `site_pv` and `site_uv` after it.

    Raises `FeatureDisabledFailure` when STATISTIC_DOMAINS is empty,
    `DomainNotVerifiedFailure` for a page elsewhere (or no Referer), and
    `InvalidParamsFailure` for a page address too long to keep.
    """
    if not allowed_hosts():
        raise FeatureDisabledFailure("Visit statistics are switched off on this server.")
    site, page = _site_and_page(referer)
    connection = db.session.connection()
    add_visitor, add_view = _statements(connection.dialect.name)
    new_visitor = connection.execute(add_visitor, {"site": site, "client": address or ""}).first()
    # Site before page, always: concurrent visits lock the rows in one order.
    site_pv, site_uv = connection.execute(
        add_view, {"target": site, "new_visitor": int(new_visitor is not None)}
    ).one()
    page_pv, _ = connection.execute(add_view, {"target": page, "new_visitor": 0}).one()
    return {"page_pv": page_pv, "site_pv": site_pv, "site_uv": site_uv}
