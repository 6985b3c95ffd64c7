"""Site content served by the Qexo face: friend links, talks and their likes,
notifications, custom fields, visit counts."""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from pastecms.extensions import db
from pastecms.models.types import IDS_NEVER_REUSED, UTCDateTime, utcnow

#: What a visitor row's days read when they were not kept yet (before migration 0017).
EPOCH_DAY = "1970-01-01"


class FriendLink(db.Model):
    """A link to a friend's site. `time` (epoch seconds with six decimals, fixed width, so
    its text sorts as its value) is the id clients address it by."""

    __tablename__ = "friend_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    time: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    url: Mapped[str] = mapped_column(String(2048))
    image: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text)
    is_shown: Mapped[bool] = mapped_column(default=False)
    #: A visitor's application (ask_friend) no admin has shown or refused yet.
    is_application: Mapped[bool] = mapped_column(default=False, server_default=false())

    __table_args__ = (
        # The public list: shown links, oldest first, straight off the index.
        Index("ix_friend_link_shown", "is_shown", "time"),
        IDS_NEVER_REUSED,
    )


class Talk(db.Model):
    """A short post. `likes` is kept equal to its rows in `talk_likes`, changed in SQL with
    them, so a page of talks never counts likes."""

    __tablename__ = "talks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4, 32 hex
    content: Mapped[str] = mapped_column(Text)
    time: Mapped[int] = mapped_column(BigInteger)  # epoch seconds
    tags: Mapped[list] = mapped_column(JSON)
    values: Mapped[dict] = mapped_column(JSON)
    likes: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_talk_time", "time", "id"),)


class TalkLike(db.Model):
    """One client's like of one talk: the key makes a second like from the same client
    impossible, whatever the race."""

    __tablename__ = "talk_likes"

    talk_id: Mapped[str] = mapped_column(
        ForeignKey("talks.id", ondelete="CASCADE"), primary_key=True
    )
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteCounter(db.Model):
    """A count kept in SQL beside what it counts (the number of talks), so that lists
    report a total without scanning a table."""

    __tablename__ = "site_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(512))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_notification_created_at", "created_at", "id"), IDS_NEVER_REUSED)


class CustomField(db.Model):
    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    content: Mapped[str] = mapped_column(Text)

    __table_args__ = IDS_NEVER_REUSED


class WebhookDelivery(db.Model):
    """One call of the content webhook (or a test call from the console): when, what it
    announced, where to (masked: no credentials, path or query, where the token is), and
    how it went: the HTTP status it answered, or why it was not answered. Only the newest
    few are kept (`services.content.webhook.KEEP_DELIVERIES`)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(String(2048))
    status: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(512))
    duration_ms: Mapped[int] = mapped_column()

    __table_args__ = IDS_NEVER_REUSED


class VisitCount(db.Model):
    """Page views of a site (`target` "host[:port]", with `uv` its distinct visitors) or
    of a page (`target` "host[:port]/path")."""

    __tablename__ = "visit_counts"

    target: Mapped[str] = mapped_column(String(1024), primary_key=True)
    pv: Mapped[int] = mapped_column(BigInteger, default=0)
    uv: Mapped[int] = mapped_column(BigInteger, default=0)


class SiteVisitor(db.Model):
    """A client address seen on a site: the key counts it once. `first_day` and
    `last_day` (UTC) tell a visit whether its client is new to the site, new today, or
    neither, from the one statement that records it (rows from before they were kept
    read 1970-01-01)."""

    __tablename__ = "site_visitors"

    site: Mapped[str] = mapped_column(String(1024), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date, server_default=EPOCH_DAY)
    last_day: Mapped[date] = mapped_column(Date, server_default=EPOCH_DAY)


class VisitDay(db.Model):
    """A site's page views on one UTC day, and its distinct visitors that day."""

    __tablename__ = "visit_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    site: Mapped[str] = mapped_column(String(1024), primary_key=True)
    pv: Mapped[int] = mapped_column(BigInteger, default=0)
    uv: Mapped[int] = mapped_column(BigInteger, default=0)


class SiteFile(db.Model):
    """A file of the site that is neither a post nor a page (a theme's `_config.yml`, a
    script): kept as text under its path, as a static-site generator lays it out."""

    __tablename__ = "site_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(512), unique=True)
    content: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)  # of the content in UTF-8, in bytes
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = IDS_NEVER_REUSED
