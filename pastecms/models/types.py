from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that goes in and comes out UTC-aware on every database.

    SQLite has no time zones and hands back naive values; storing UTC and tagging it on
    the way out keeps comparisons and `timestamp()` right everywhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTCDateTime column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


#: Table options of every table whose integer id the database counts out. SQLite, without
#: AUTOINCREMENT, gives a new row the largest id stored plus one, so the id of a deleted
#: newest row (a burnt paste) would go to the next row and an old link would show it;
#: with it, no id is ever given twice. PostgreSQL's sequences never go back anyway.
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}
