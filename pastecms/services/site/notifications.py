"""Notifications for the site's admins: posted by scripts, or made by the server (a
friend application)."""

from sqlalchemy import delete, select

from pastecms.extensions import db
from pastecms.models import Notification, utcnow


def create(label: str, content: str) -> Notification:
    """Store a notification; returns it."""
    notification = Notification(label=label, content=content, created_at=utcnow())
    db.session.add(notification)
    db.session.flush()
    return notification


def newest_first() -> list[Notification]:
    """Every notification, the newest first."""
    return list(
        db.session.scalars(
            select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
        )
    )


def remove(notification_id: int) -> bool:
    """Delete one notification; False when there was none (cleared already)."""
    statement = delete(Notification).where(Notification.id == notification_id)
    return bool(db.session.execute(statement).rowcount)


def clear() -> int:
    """Delete every notification; returns how many there were."""
    return db.session.execute(delete(Notification)).rowcount
