"""GET /healthz: for load balancers and systemd watchdogs."""

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from pastecms.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:
        current_app.logger.warning("health check: database unreachable", exc_info=True)
        db.session.rollback()
        return {"status": "unavailable", "database": False}, 503
    return {"status": "ok", "database": True}
