"""Talks: short posts, a public page of them with likes, and likes that toggle per client.

Likes are rows of `talk_likes`, one per talk and client (its key), and `talks.likes` is
changed in SQL in the same transaction as they are, only by the row count a statement
reports: concurrent likes never lose or double one, and a page of talks reads its counts
and this client's likes straight off the rows and their indexes.
"""

import uuid

from sqlalchemy import String as SQLString
from sqlalchemy import cast, delete, func, or_, select, update

from pastecms import database
from pastecms.config import settings
from pastecms.errors import (
    IncompleteParamsFailure,
    InvalidParamsFailure,
    NonexistentTalkFailure,
)
from pastecms.extensions import db
from pastecms.models import SiteCounter, Talk, TalkLike, utcnow
from pastecms.queries import talks as talk_reads
from pastecms.queries.talks import TALK_COUNT

_TALKS = Talk.__table__
_LIKES = TalkLike.__table__
_COUNTERS = SiteCounter.__table__
DEFAULT_LIMIT = 5


def page(page: int, limit: int, address: str | None) -> dict:
    """A page of talks, newest first: `count` (every talk) and `data` (rows with id,
    content, time, tags, values, likes and `liked`, whether the client at `address`
    likes it). `page` counts from 1 (0 reads as 1); `limit` 0 reads as the default, and
    is clamped to MAX_PAGE_SIZE. Raises `InvalidParamsFailure` past MAX_PAGE_NUM."""
    config = settings()
    page = max(page, 1)
    limit = min(limit or DEFAULT_LIMIT, config.max_page_size)
    if page > config.max_page_num:
        raise InvalidParamsFailure(f"page: Must be at most {config.max_page_num}.")
    rows, count = talk_reads.page(address or "", limit, (page - 1) * limit)
    return {"count": count, "data": rows}


def _change_count(delta: int) -> None:
    statement = database.dialect_insert(_COUNTERS).values(name=TALK_COUNT, value=delta)
    statement = statement.on_conflict_do_update(
        index_elements=[_COUNTERS.c.name], set_={"value": _COUNTERS.c.value + delta}
    )
    db.session.execute(statement)


def toggle_like(talk_id: str, address: str | None) -> bool:
    """Like the talk for the client at `address`, or withdraw its like if it had one;
    True when it now likes it. Raises `NonexistentTalkFailure`.

    Two requests racing from one client (a double click) never count twice: the second
    insert meets the first's row and counts nothing.
    """
    connection = db.session.connection()
    client = address or ""
    if connection.execute(select(_TALKS.c.id).where(_TALKS.c.id == talk_id)).first() is None:
        raise NonexistentTalkFailure()
    withdrawn = connection.execute(
        delete(_LIKES).where(_LIKES.c.talk_id == talk_id, _LIKES.c.client == client)
    ).rowcount
    if withdrawn:
        connection.execute(
            update(_TALKS).where(_TALKS.c.id == talk_id).values(likes=_TALKS.c.likes - withdrawn)
        )
        return False
    # RETURNING says whether the row went in (rowcount is not reliable for an INSERT).
    added = connection.execute(
        database.dialect_insert(_LIKES)
        .values(talk_id=talk_id, client=client, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(_LIKES.c.talk_id)
    ).first()
    if added is not None:
        connection.execute(
            update(_TALKS).where(_TALKS.c.id == talk_id).values(likes=_TALKS.c.likes + 1)
        )
    return True


def save(
    talk_id: str | None = None,
    *,
    content: str | None = None,
    tags: list | None = None,
    values: dict | None = None,
    time: int | None = None,
) -> dict:
    """Create a talk (no `talk_id`) or change the given fields of one; returns `talk` and
    `created`. A new talk needs `content`; its time is now unless given, its tags and
    values empty unless given.

    Raises `IncompleteParamsFailure` (a new talk without content) and
    `NonexistentTalkFailure`.
    """
    if talk_id is None:
        if content is None or not content.strip():
            raise IncompleteParamsFailure("content: Missing data for required field.")
        talk = Talk(
            id=uuid.uuid4().hex,
            content=content,
            time=time if time is not None else int(utcnow().timestamp()),
            tags=tags if tags is not None else [],
            values=values if values is not None else {},
            likes=0,
        )
        db.session.add(talk)
        db.session.flush()
        _change_count(+1)
        return {"talk": talk, "created": True}
    talk = find(talk_id)
    changes = {"content": content, "tags": tags, "values": values, "time": time}
    for field, value in changes.items():
        if value is not None:
            setattr(talk, field, value)
    db.session.flush()
    return {"talk": talk, "created": False}


def find(talk_id: str) -> Talk:
    """The talk `talk_id`; `NonexistentTalkFailure` when there is none."""
    talk = db.session.get(Talk, talk_id)
    if talk is None:
        raise NonexistentTalkFailure()
    return talk


def remove(talk_id: str) -> None:
    """Delete a talk and its likes; `NonexistentTalkFailure` when there is none."""
    db.session.execute(delete(TalkLike).where(TalkLike.talk_id == talk_id))
    removed = db.session.execute(delete(Talk).where(Talk.id == talk_id)).rowcount
    if not removed:
        raise NonexistentTalkFailure()
    _change_count(-1)


def everything(search: str | None = None) -> list[Talk]:
    """Every talk, newest first; with `search`, those whose content, tags or values
    contain it, whatever the case."""
    query = select(Talk).order_by(Talk.time.desc(), Talk.id.desc())
    if search:
        needle = search.lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        Talk.content,
                        cast(Talk.tags, SQLString),
                        cast(Talk.values, SQLString),
                    )
                )
            )
        )
    return list(db.session.scalars(query))
