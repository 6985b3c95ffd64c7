"""Friend links: the admin's list, the public one, and applications from visitors."""

import html

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from pastecms import database
from pastecms.config import settings
from pastecms.errors import ConflictFailure, FeatureDisabledFailure, NonexistentFriendFailure
from pastecms.extensions import db
from pastecms.models import FriendLink, utcnow
from pastecms.queries import friends as friend_reads
from pastecms.services.site import captcha, notifications

_LINKS = FriendLink.__table__
# A link's id is its creation time; two links made in the same microsecond take the next.
_TIME_ATTEMPTS = 20


#: The links shown to visitors, as the read model reads them.
shown = friend_reads.shown


def everything(search: str | None = None) -> list[FriendLink]:
    """Every link, shown or not, oldest first; with `search`, those whose name, url or
    description contains it, whatever the case."""
    query = select(FriendLink).order_by(FriendLink.time)
    if search:
        needle = search.lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (FriendLink.name, FriendLink.url, FriendLink.description)
                )
            )
        )
    return list(db.session.scalars(query))


def applications() -> list[FriendLink]:
    """Visitors' applications no admin has shown or removed yet, oldest first."""
    query = select(FriendLink).where(FriendLink.is_application.is_(True))
    return list(db.session.scalars(query.order_by(FriendLink.time)))


def _time_text(microseconds: int) -> str:
    """Epoch seconds with six decimals: fixed width (for ten-digit seconds), so the text
    sorts as the time."""
    return f"{microseconds // 1_000_000}.{microseconds % 1_000_000:06d}"


def add(
    name: str,
    url: str,
    image: str = "",
    description: str = "",
    shown: bool = False,
    *,
    application: bool = False,
) -> FriendLink:
    """Store a link; returns it, with its `time` (its id). An `application` (a visitor's)
    waits among `applications()` until an admin shows or removes it.

    Raises `ConflictFailure` only if no free time could be found (not in practice).
    """
    microseconds = int(utcnow().timestamp() * 1_000_000)
    for _ in range(_TIME_ATTEMPTS):
        link = FriendLink(
            time=_time_text(microseconds),
            name=name,
            url=url,
            image=image,
            description=description,
            is_shown=shown,
            is_application=application and not shown,
        )
        try:
            with db.session.begin_nested():
                db.session.add(link)
        except IntegrityError as error:
            if not database.is_unique_violation(error):
                raise
            microseconds += 1
            continue
        return link
    raise ConflictFailure("No free id for the link; retry.")


def find(time: str) -> FriendLink:
    """The link whose id is `time`; `NonexistentFriendFailure` when there is none."""
    link = db.session.scalar(select(FriendLink).where(FriendLink.time == time))
    if link is None:
        raise NonexistentFriendFailure()
    return link


def edit(
    time: str,
    *,
    name: str | None = None,
    url: str | None = None,
    image: str | None = None,
    description: str | None = None,
    shown: bool | None = None,
) -> FriendLink:
    """Change the given fields of the link `time` (None leaves one as it is); returns it.
    Showing an application approves it: it waits no more, even if hidden again later.

    Raises `NonexistentFriendFailure`.
    """
    link = find(time)
    changes = {"name": name, "url": url, "image": image, "description": description}
    for field, value in changes.items():
        if value is not None:
            setattr(link, field, value)
    if shown is not None:
        link.is_shown = shown
        if shown:
            link.is_application = False
    db.session.flush()
    return link


def remove(time: str) -> None:
    """Delete the link `time`; `NonexistentFriendFailure` when there is none."""
    removed = db.session.execute(delete(FriendLink).where(FriendLink.time == time)).rowcount
    if not removed:
        raise NonexistentFriendFailure()


def apply(
    name: str,
    url: str,
    image: str,
    description: str,
    *,
    verify: str | None,
    address: str | None,
) -> FriendLink:
    """A visitor's application: stored hidden until an admin shows it, with a notification
    for the admins; returns the link.

    The fields are HTML-escaped as they are stored: the widgets insert them into the page
    as HTML, and an application is anyone's text. Raises `FeatureDisabledFailure` unless
    FRIEND_APPLICATIONS is on, and what `captcha.verify` raises.
    """
    if not settings().friend_applications:
        raise FeatureDisabledFailure("This site does not take friend-link applications.")
    captcha.verify(verify, address)
    safe = {
        "name": html.escape(name),
        "url": html.escape(url),
        "image": html.escape(image),
        "description": html.escape(description),
    }
    link = add(**safe, shown=False, application=True)
    notifications.create(
        f"Friend Link Application - {safe['name']}",
        f"Site Name: {safe['name']}<br>Link: {safe['url']}<br>Image: {safe['image']}<br>"
        f"Description: {safe['description']}<br>",
    )
    return link
