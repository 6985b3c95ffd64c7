"""Moderation: reports of pastes, the address ranges that may not post, and the log of
what admins did about them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pastecms.extensions import db
from pastecms.models.types import IDS_NEVER_REUSED, UTCDateTime, utcnow

#: Why a paste may be reported, as the report form lists them (value -> label).
REPORT_REASONS = {
    "spam": "Spam or advertising",
    "malware": "Malware or an exploit",
    "phishing": "Phishing or fraud",
    "personal": "Someone's personal data",
    "illegal": "Illegal content",
    "other": "Something else",
}


class PasteReport(db.Model):
    """One visitor's report of a paste; open until an admin acts on the paste or
    dismisses it. Deleted with the paste (a purge)."""

    __tablename__ = "paste_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    paste_id: Mapped[int] = mapped_column(ForeignKey("pastes.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(32))
    details: Mapped[str | None] = mapped_column(Text)
    # Who sent it: the address (after ProxyFix) and the signed-in user, if any.
    address: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the report is dealt with (an action on its paste, or dismissed).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # The queue reads open reports by paste.
        Index("ix_paste_report_open", "closed_at", "paste_id"),
        Index("ix_paste_report_paste", "paste_id"),
        IDS_NEVER_REUSED,
    )


class BlockedNetwork(db.Model):
    """An address range (CIDR) from which no paste is taken, on any face."""

    __tablename__ = "blocked_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised (`ipaddress.ip_network(...).with_prefixlen`), so one range is one row.
    cidr: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = IDS_NEVER_REUSED


class ModerationEntry(db.Model):
    """One moderation action: who (kept by name as well, should the account go), what,
    on which paste, range or setting, and when."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    # What it acted on, as the console shows it: a paste's public id, a CIDR, a username.
    target: Mapped[str] = mapped_column(String(256))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_moderation_log_at", "at", "id"), IDS_NEVER_REUSED)
