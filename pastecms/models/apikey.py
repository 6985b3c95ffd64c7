from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pastecms.extensions import db
from pastecms.models.types import IDS_NEVER_REUSED, UTCDateTime, utcnow
from pastecms.models.user import User


class ApiKey(db.Model):
    """An API key, kept only as the SHA-256 of the key the user was shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key's first characters, so a user can tell keys apart without the secret.
    prefix: Mapped[str] = mapped_column(String(8))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Made by the CMS face's generate, beside the user's own key (`services.identity.apikey`).
    is_additional: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = IDS_NEVER_REUSED
