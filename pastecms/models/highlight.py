from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pastecms.extensions import db


class Highlight(db.Model):
    """A paste's contents as highlighted HTML, made once and shared by every worker and
    host: highlighting costs far more than reading the row back."""

    __tablename__ = "paste_highlights"

    paste_id: Mapped[int] = mapped_column(
        ForeignKey("pastes.id", ondelete="CASCADE"), primary_key=True
    )
    # zlib-compressed, so a paste's HTML takes about the space of its contents rather than
    # several times it. NULL: highlighting was given up (over its budget), and the page
    # shows the contents as plain text without trying again.
    html: Mapped[bytes | None] = mapped_column(LargeBinary)
    # What made it (the Pygments version and our formatter's): HTML made by another is
    # stale, and made again on the next view.
    made_by: Mapped[str] = mapped_column(String(64))
