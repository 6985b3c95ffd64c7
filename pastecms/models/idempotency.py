from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pastecms.extensions import db
from pastecms.models.types import UTCDateTime


class IdempotencyKey(db.Model):
    """A client's `Idempotency-Key` on a paste submission, the request it came with, and
    what a retry's answer needs: the same paste and deactivation token, not a second paste.
    """

    __tablename__ = "idempotency_keys"

    # SHA-256 of the caller's scope and the key they sent: one caller's key never names
    # another's paste, and the key itself (the client's to choose) is not stored.
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # HMAC-SHA256 of the request the key first came with: a retry must send the same one.
    # Keyed, because the request holds the paste's password.
    request_hash: Mapped[str] = mapped_column(String(64))
    # Both None once the paste is deleted (burned, purged): the key is kept to its
    # lifetime, so that a retry learns the paste is gone rather than posting it again.
    paste_id: Mapped[int | None] = mapped_column(
        ForeignKey("pastes.id", ondelete="SET NULL"), index=True
    )
    # The paste's deactivation token, encrypted with a key derived from the secret key:
    # the answer to a retry must carry it, and the database must not.
    token: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
