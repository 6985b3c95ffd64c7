"""The clock every domain's services stamp their rows with."""

from datetime import datetime

from pastecms.models import utcnow


def now() -> datetime:
    """The time now, to the millisecond: what the wire shows is what is stored, so an
    exported and re-imported article keeps its times exactly."""
    stamp = utcnow()
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)
