from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pastecms.extensions import db
from pastecms.models.types import UTCDateTime, utcnow
from pastecms.models.user import User


class RefreshToken(db.Model):
    """A refresh token that may still renew access tokens: deleting the row revokes it.

    The signed token itself is never stored; its `guid` claim names this row.
    """

    __tablename__ = "refresh_tokens"

    guid: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Absolute, fixed at login, equal to the token's `exp` claim.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        # A user's tokens newest first (revoking them all, listing them); expired rows
        # for the purge.
        Index("ix_refresh_token_user", "user_id", "issued_at"),
        Index("ix_refresh_token_expires_at", "expires_at"),
    )
