"""The friend links shown to visitors, as the Qexo widget reads them: one statement
built once per process (building a statement costs more than SQLite takes to answer
it: see `queries.callers`)."""

import functools

from sqlalchemy import bindparam, select

from pastecms.models import FriendLink
from pastecms.queries import run

_LINKS = FriendLink.__table__


@functools.cache
def _shown_statement():
    columns = (_LINKS.c.name, _LINKS.c.url, _LINKS.c.image, _LINKS.c.description, _LINKS.c.time)
    return select(*columns).where(_LINKS.c.is_shown == bindparam("shown")).order_by(_LINKS.c.time)


def shown() -> list:
    """The links shown to visitors, oldest first (rows with name, url, image,
    description, time)."""
    return run(_shown_statement(), {"shown": True}).all()
