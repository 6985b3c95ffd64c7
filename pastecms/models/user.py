from datetime import datetime

from sqlalchemy import Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from pastecms.extensions import db
from pastecms.models.types import IDS_NEVER_REUSED, UTCDateTime, utcnow


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(254))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    signup_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Stored in the signed session cookie at sign-in; a cookie naming another generation
    # signs nobody in. Logout, a password change, deactivation and a new API key bump it,
    # so every session of the user ends, cookies saved before included.
    session_generation: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    __table_args__ = (
        # Usernames are unique whatever their case; lookups use the same expression.
        Index("uq_user_username_lower", func.lower(username), unique=True),
        # So are email addresses: one signs in with either, and an address that two
        # accounts claimed would name neither.
        Index("uq_user_email_lower", func.lower(email), unique=True),
        IDS_NEVER_REUSED,
    )
