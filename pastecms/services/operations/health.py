"""Whether this app host can serve: the database answers."""

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from pastecms.errors import ServiceUnavailableFailure
from pastecms.extensions import db

log = logging.getLogger("pastecms")


def check() -> dict:
    """`{"status": "ok", "database": True}` when the database answers a query;
    `ServiceUnavailableFailure` (logged) when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("health check: database unreachable", exc_info=True)
        raise ServiceUnavailableFailure(
            "The database is unreachable.", details={"database": False}
        ) from None
    return {"status": "ok", "database": True}
