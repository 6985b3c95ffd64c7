from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pastecms.extensions import db
from pastecms.models.types import IDS_NEVER_REUSED, UTCDateTime, utcnow
from pastecms.models.user import User


def _utf8_size(context) -> int:
    return len(context.get_current_parameters()["contents"].encode("utf-8"))


class Paste(db.Model):
    __tablename__ = "pastes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(256))
    language: Mapped[str] = mapped_column(String(64))
    # Bytes of the contents, UTF-8 encoded: what a list weighs a paste by (MAX_PAGE_BYTES)
    # without reading its contents.
    size: Mapped[int] = mapped_column(default=_utf8_size, server_default="0")
    password_hash: Mapped[str | None] = mapped_column(String(128))
    # SHA-256 of the token handed out once at submission.
    deactivation_token_hash: Mapped[str] = mapped_column(String(64))
    post_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Absolute, fixed at submission: an expired paste simply stops matching queries.
    expiry_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    views: Mapped[int] = mapped_column(default=0)
    # The read that makes `views` reach this deletes the paste (1: burn after reading).
    max_views: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    # Hidden by an admin (`services.moderation`): gone on every face, kept for the console.
    is_hidden: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Lets lists skip the attachment query for the common paste without any.
    attachment_count: Mapped[int] = mapped_column(default=0)
    # Last: on SQLite a large value's overflow pages are walked to reach any column stored
    # after it, and lists read the other columns of every paste they show (migration 0019).
    contents: Mapped[str] = mapped_column(Text)

    poster: Mapped[User | None] = relationship(lazy="joined")
    attachments: Mapped[list["Attachment"]] = relationship(
        lazy="raise",
        order_by="Attachment.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        back_populates="paste",
    )

    __table_args__ = (
        # One index per list query, leading with the filter, then the sort key, so a page
        # is read straight off the index however many pastes are stored.
        Index("ix_paste_recent", "is_active", "post_time", "id"),
        Index("ix_paste_top", "is_active", "views", "id"),
        Index("ix_paste_user", "user_id", "is_active", "post_time", "id"),
        Index("ix_paste_expiry_time", "expiry_time"),
        IDS_NEVER_REUSED,
    )

    @property
    def is_password_protected(self) -> bool:
        return self.password_hash is not None

    @property
    def listed_attachments(self) -> list["Attachment"]:
        """`attachments`, or [] without touching the relationship when there are none: a
        list page loads them only for the pastes that have some."""
        return self.attachments if self.attachment_count else []


class Attachment(db.Model):
    """A file sent with a paste, stored in the database so every app host can serve it."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    paste_id: Mapped[int] = mapped_column(ForeignKey("pastes.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(255))
    file_size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    paste: Mapped[Paste] = relationship(back_populates="attachments")

    __table_args__ = (UniqueConstraint("paste_id", "file_name"), IDS_NEVER_REUSED)
