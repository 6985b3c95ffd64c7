"""The pastes as the paste face reads them: prebuilt statements and plain records.

What it buys, counted when it was built (commit 0f8eb9d, `make bench` ratios to a bare
Flask route): ORM entity loading, statements built anew and `url_for` per paste were
most of a read's cost, so the hot statements are built once per process with bound
parameters, `details` counts its view and reads its row in one UPDATE ... RETURNING,
lists join the poster in the same query, and reads return `PasteRecord`s made from Core
rows (details 0.24 -> 0.32, recent 0.17 -> 0.34, top 0.16 -> 0.33). A submit's
INSERT ... RETURNING gives a record too (commit e6c2fdc: 1.41 -> 1.34 ms in process).
A page reads only the contents within its byte budget (commit bc6cc18): a page of large
pastes is neither read whole nor answered whole.

`live_filters` is the one definition of a readable paste (active, not hidden, not expired),
written into the statements; the rules that use them (passwords, views left, burning)
are `services.pastes.paste`'s.
"""

import functools
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import and_, bindparam, case, insert, or_, select, update

from pastecms import database, queries
from pastecms.extensions import db
from pastecms.models import Attachment, Paste, User

if TYPE_CHECKING:
    from pastecms.services.ids import PasteIds

_PASTES = Paste.__table__
_USERS = User.__table__


def live_filters(now):
    """Filters shared by every read: active, not hidden by an admin, and not past its
    expiry."""
    return (
        _PASTES.c.is_active.is_(True),
        _PASTES.c.is_hidden.is_(False),
        or_(_PASTES.c.expiry_time.is_(None), _PASTES.c.expiry_time > now),
    )


class Poster(NamedTuple):
    username: str
    is_active: bool


_POSTER_COLUMNS = (_USERS.c.username, _USERS.c.is_active)


class PasteRecord:
    """A paste as every paste service returns it: one row's values as plain attributes,
    named as on `Paste`.

    Loading ORM entities costs more than running the query on the hot paths, and nothing
    read there is changed afterwards, so the services read and write Core rows.
    """

    _KEYS = tuple(column.key for column in _PASTES.columns)
    # public_id: the id as the API and URLs show it (`services.ids`).
    # deactivation_token: set on a new paste only, the one time it is shown.
    # url: the paste's web page, set by the view that shows it (URLs are the views').
    # highlighted: the contents as HTML, set for the web page (`page`).
    __slots__ = (
        *_KEYS,
        "public_id",
        "poster",
        "attachments",
        "deactivation_token",
        "url",
        "highlighted",
        "held_back",
    )

    is_password_protected = Paste.__dict__["is_password_protected"]
    listed_attachments = Paste.__dict__["listed_attachments"]

    def __init__(self, values, ids: "PasteIds", poster: Poster | None = None):
        for key, value in zip(self._KEYS, values, strict=False):
            setattr(self, key, value)
        self.public_id = ids.encode(self.id)
        self.poster = poster
        self.attachments = []
        self.url = None
        self.held_back = False

    @property
    def revision(self) -> tuple:
        """What tells this paste's stored values apart from any other's, its views and
        state aside: ids are reused after a purge on some databases, but never with the
        same random token; a new password, or the poster's state, makes a new revision.
        The public id tells apart the id keys of different apps."""
        return (self.public_id, self.deactivation_token_hash, self.password_hash, self.poster)

    @classmethod
    def from_row(cls, row, ids: "PasteIds") -> "PasteRecord":
        """From a row of every paste column followed by the poster's username and state."""
        width = len(cls._KEYS)
        poster = Poster(row[width], row[width + 1]) if row[width] is not None else None
        return cls(row, ids, poster)


@functools.cache
def _hot() -> dict:
    """The statements of the hot paths (submit, details, recent, top, a user's list), built
    once per process with the request's values as bound parameters (`now`, `paste_id`,
    `user_id`, `limit`, `offset`, `share`, a new paste's columns): building a
    statement anew takes longer than running it on SQLite, even with SQLAlchemy's
    compiled cache."""
    live = live_filters(bindparam("now"))
    # A paste with views left only: of two reads racing for its last view, the second
    # finds the row changed (or gone) and matches nothing.
    views_left = or_(_PASTES.c.max_views.is_(None), _PASTES.c.views < _PASTES.c.max_views)
    count_view = (
        update(_PASTES)
        .where(_PASTES.c.id == bindparam("paste_id"), *live, views_left)
        .values(views=_PASTES.c.views + 1)
        .returning(*_PASTES.columns)
    )
    # Public lists leave out pastes that count down to deletion: listing is no reading.
    unlimited = _PASTES.c.max_views.is_(None)
    newest_first = (_PASTES.c.post_time.desc(), _PASTES.c.id.desc())
    most_viewed = (_PASTES.c.views.desc(), _PASTES.c.id.desc())
    # On PostgreSQL, the count of a paste without a view limit commits without waiting
    # for its WAL flush, set by the counting statement itself (`relaxed_commit_if`); a
    # limited paste's count, and the read that burns it, stay durable.
    relaxed = database.relaxed_commit_if(_PASTES.c.max_views.is_(None))
    # The count of an open paste without a view limit writes nothing else, so on
    # PostgreSQL it commits on its own (`commits_alone`: no BEGIN, no COMMIT); a limited
    # one goes the way of a protected one, counted in the transaction that burns it.
    counted_open = database.commits_alone(
        count_view.where(_PASTES.c.password_hash.is_(None), _PASTES.c.max_views.is_(None))
    )
    return {
        # Not alone, though often the only write: a request that fails after it (a 500)
        # must leave no paste behind.
        "insert": insert(_PASTES).returning(*_PASTES.columns),
        "live": select(*_PASTES.columns).where(_PASTES.c.id == bindparam("paste_id"), *live),
        "count_view": count_view,
        "count_open_view": counted_open,
        "count_view_postgresql": count_view.returning(relaxed),
        "count_open_view_postgresql": counted_open.returning(relaxed),
        "poster": select(*_POSTER_COLUMNS).where(_USERS.c.id == bindparam("user_id")),
        "by_id": select(*_PASTES.columns, *_POSTER_COLUMNS)
        .select_from(_PASTES.outerjoin(_USERS, _USERS.c.id == _PASTES.c.user_id))
        .where(_PASTES.c.id == bindparam("paste_id")),
        "recent": _page_statement(newest_first, *live, unlimited),
        "top": _page_statement(most_viewed, *live, unlimited),
        "user": _page_statement(newest_first, *live, _PASTES.c.user_id == bindparam("user_id")),
        "contents": select(_PASTES.c.id, _PASTES.c.contents).where(
            _PASTES.c.id.in_(bindparam("paste_ids", expanding=True))
        ),
    }


def _page_statement(order: tuple, *where):
    """`limit` pastes from `offset`, in `order`, each with its contents only when it is
    not protected and weighs at most `share` bytes (`_keep_to_budget` does the rest)."""
    light = case(
        (
            and_(_PASTES.c.password_hash.is_(None), _PASTES.c.size <= bindparam("share")),
            _PASTES.c.contents,
        )
    )
    columns = [
        light.label("contents") if column.key == "contents" else column
        for column in _PASTES.columns
    ]
    return queries.paged(
        select(*columns, *_POSTER_COLUMNS)
        .select_from(_PASTES.outerjoin(_USERS, _USERS.c.id == _PASTES.c.user_id))
        .where(*where)
        .order_by(*order)
    )


def run(name: str, params: dict):
    """Run the `_hot()` statement `name` in the request's transaction."""
    return queries.run(_hot()[name], params)


def count_view(params: dict, *, open_only: bool):
    """Count a view of the live paste `paste_id` (`params`: `paste_id`, `now`) and
    return its row as it now stands, or None; with `open_only`, of a paste without a
    password or view limit only. On PostgreSQL, the statement that also relaxes the
    commit of an unlimited paste's count (`database.relaxed_commit_if`)."""
    name = "count_open_view" if open_only else "count_view"

    def for_dialect(dialect):
        return _hot()[name + "_postgresql" if dialect.name == "postgresql" else name]

    return queries.run(for_dialect, params).first()


def page(ids: "PasteIds", which: str, params: dict, budget: int) -> list[PasteRecord]:
    """A page of the `_hot()` list statement `which` (`recent`, `top`, `user`), with
    `params` (`now`, `limit`, `offset`, `share` and the statement's own), its contents
    kept to `budget` bytes (`keep_to_budget`) and its attachment lists loaded."""
    rows = run(which, params)
    pastes = [PasteRecord.from_row(row, ids) for row in rows]
    keep_to_budget(pastes, budget)
    load_attachment_lists(pastes)
    return pastes


def keep_to_budget(pastes: list[PasteRecord], budget: int) -> None:
    """Leave a page's pastes their contents in order while they weigh `budget` bytes or
    less together, and take them from every paste after that: a page of large pastes is
    neither read whole nor answered whole. The page query left out the contents of the
    pastes heavier than their share; those that fit are read here, in one query.
    Protected pastes have none in a list, and weigh nothing."""
    spent = 0
    heavy = {}
    for paste in pastes:
        if paste.is_password_protected:
            continue
        spent += paste.size
        if spent > budget:
            paste.contents = None
        elif paste.contents is None:
            heavy[paste.id] = paste
    if heavy:
        for paste_id, contents in run("contents", {"paste_ids": list(heavy)}):
            heavy[paste_id].contents = contents


def load_attachment_lists(pastes: list[PasteRecord]) -> None:
    """Fill `attachments` (without their data) with one query for the whole page; most
    pastes have none, and then no query runs at all."""
    by_id = {paste.id: paste.attachments for paste in pastes if paste.attachment_count}
    if by_id:
        rows = db.session.scalars(
            select(Attachment).where(Attachment.paste_id.in_(by_id)).order_by(Attachment.id)
        )
        for row in rows:
            by_id[row.paste_id].append(row)


def complete(pastes: list[PasteRecord]) -> None:
    """Fill in what a paste's answer shows beside its row: its poster and attachments."""
    for paste in pastes:
        if paste.user_id is not None:
            row = run("poster", {"user_id": paste.user_id}).first()
            paste.poster = Poster(*row) if row else None
    load_attachment_lists(pastes)
