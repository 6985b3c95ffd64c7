"""Paste rules: submission, reading, lists, deactivation, passwords, purge."""

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from pastecms.errors import (
    AuthFailure,
    ForbiddenFailure,
    InvalidParamsFailure,
    NonexistentAttachmentFailure,
    NonexistentPasteFailure,
    PasteAttachmentsDisabledFailure,
    PasteAttachmentTooLargeFailure,
    PayloadTooLargeFailure,
    UnauthenticatedPastesDisabledFailure,
)
from pastecms.extensions import db
from pastecms.models import Attachment, Paste, User, utcnow
from pastecms.services import auth, secret
from pastecms.services.ids import paste_ids

DEFAULT_TITLE = "Untitled"
DEFAULT_LANGUAGE = "text"


def _live(now: datetime):
    """Filters shared by every read: active and not past its expiry."""
    return (
        Paste.is_active.is_(True),
        or_(Paste.expiry_time.is_(None), Paste.expiry_time > now),
    )


def submit(
    contents: str,
    caller: User | None,
    *,
    title: str | None = None,
    language: str | None = None,
    password: str | None = None,
    expiry_time: datetime | None = None,
    attachments: list[dict] | None = None,
) -> Paste:
    """Store a new paste and return it with `deactivation_token` set (shown only now).

    Raises `UnauthenticatedPastesDisabledFailure`, `PayloadTooLargeFailure`,
    `InvalidParamsFailure` (past expiry, bad attachments), `PasteAttachmentsDisabledFailure`
    and `PasteAttachmentTooLargeFailure`.
    """
    config = current_app.config
    if caller is None and config["REQUIRE_LOGIN_TO_PASTE"]:
        raise UnauthenticatedPastesDisabledFailure()
    if len(contents.encode("utf-8")) > config["MAX_PASTE_SIZE"]:
        raise PayloadTooLargeFailure(f"The paste is larger than {config['MAX_PASTE_SIZE']} bytes.")
    now = utcnow()
    if expiry_time is not None and expiry_time <= now:
        raise InvalidParamsFailure("expiry_time is in the past.")
    attachments = attachments or []
    _check_attachments(attachments)

    token = secret.new_token()
    paste = Paste(
        user_id=caller.id if caller else None,
        title=title or DEFAULT_TITLE,
        language=language or DEFAULT_LANGUAGE,
        contents=contents,
        password_hash=secret.hash_password(password) if password else None,
        deactivation_token_hash=secret.hash_token(token),
        post_time=now,
        expiry_time=expiry_time,
        views=0,
        is_active=True,
        attachment_count=len(attachments),
        poster=caller,
        attachments=[
            Attachment(
                file_name=item["file_name"],
                mime_type=item["mime_type"],
                file_size=len(item["data"]),
                data=item["data"],
            )
            for item in attachments
        ],
    )
    db.session.add(paste)
    db.session.flush()
    paste.deactivation_token = token
    return paste


def _check_attachments(attachments: list[dict]) -> None:
    if not attachments:
        return
    config = current_app.config
    if not config["ENABLE_PASTE_ATTACHMENTS"]:
        raise PasteAttachmentsDisabledFailure()
    if len(attachments) > config["MAX_ATTACHMENT_COUNT"]:
        raise InvalidParamsFailure(
            f"A paste takes at most {config['MAX_ATTACHMENT_COUNT']} attachments."
        )
    names = [item["file_name"] for item in attachments]
    if len(set(names)) != len(names):
        raise InvalidParamsFailure("Attachment names must be unique within a paste.")
    for item in attachments:
        if len(item["data"]) > config["MAX_ATTACHMENT_SIZE"]:
            raise PasteAttachmentTooLargeFailure(
                f"Attachment {item['file_name']!r} is larger than "
                f"{config['MAX_ATTACHMENT_SIZE']} bytes."
            )


def _get_live(public_id) -> Paste:
    paste_id = paste_ids().decode(public_id)
    paste = db.session.scalar(select(Paste).where(Paste.id == paste_id, *_live(utcnow())))
    if paste is None:
        raise NonexistentPasteFailure()
    return paste


def read(public_id, password: str | None = None, *, unlocked: bool = False) -> Paste:
    """A live paste whose contents the caller may read, with this read counted as a view.

    `unlocked` says the caller proved the password earlier (the web session remembers it).
    Raises `NonexistentPasteFailure` (unknown, garbage, expired or deactivated id) and
    `AuthFailure` (protected paste, password missing or wrong).
    """
    paste = _get_live(public_id)
    if (
        paste.is_password_protected
        and not unlocked
        and not secret.check_password(password, paste.password_hash)
    ):
        raise AuthFailure("The paste is password-protected: the password is missing or wrong.")
    # Counted in SQL, so concurrent reads never lose an update.
    views = db.session.execute(
        update(Paste)
        .where(Paste.id == paste.id)
        .values(views=Paste.views + 1)
        .returning(Paste.views)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(paste, "views", views)
    _load_attachment_lists([paste])
    return paste


def attachment(public_id, file_name: str, *, unlocked: bool = False) -> Attachment:
    """One attachment of a live paste, with its data.

    Raises `NonexistentPasteFailure`, `AuthFailure` (protected paste not unlocked) and
    `NonexistentAttachmentFailure`.
    """
    paste = _get_live(public_id)
    if paste.is_password_protected and not unlocked:
        raise AuthFailure("The paste is password-protected.")
    found = db.session.scalar(
        select(Attachment).where(Attachment.paste_id == paste.id, Attachment.file_name == file_name)
    )
    if found is None:
        raise NonexistentAttachmentFailure()
    return found


def for_user(caller: User | None, page_num: int = 0, num_per_page: int | None = None) -> list:
    """The caller's live pastes, newest first; `AuthFailure` when anonymous."""
    user = auth.require(caller)
    query = select(Paste).where(Paste.user_id == user.id, *_live(utcnow()))
    return _page(query.order_by(Paste.post_time.desc(), Paste.id.desc()), page_num, num_per_page)


def recent(page_num: int = 0, num_per_page: int | None = None) -> list:
    """A page of live pastes, newest first."""
    query = select(Paste).where(*_live(utcnow()))
    return _page(query.order_by(Paste.post_time.desc(), Paste.id.desc()), page_num, num_per_page)


def top(page_num: int = 0, num_per_page: int | None = None) -> list:
    """A page of live pastes, most viewed first."""
    query = select(Paste).where(*_live(utcnow()))
    return _page(query.order_by(Paste.views.desc(), Paste.id.desc()), page_num, num_per_page)


def _page(query, page_num: int, num_per_page: int | None) -> list:
    config = current_app.config
    per_page = min(num_per_page or 20, config["MAX_PAGE_SIZE"])
    if page_num > config["MAX_PAGE_NUM"]:
        raise InvalidParamsFailure(f"page_num is at most {config['MAX_PAGE_NUM']}.")
    pastes = list(db.session.scalars(query.offset(page_num * per_page).limit(per_page)))
    _load_attachment_lists(pastes)
    return pastes


def _load_attachment_lists(pastes: list[Paste]) -> None:
    """Fill `attachments` (without their data) with one query for the whole page."""
    by_id = {paste.id: [] for paste in pastes if paste.attachment_count}
    if by_id:
        rows = db.session.scalars(
            select(Attachment).where(Attachment.paste_id.in_(by_id)).order_by(Attachment.id)
        )
        for row in rows:
            by_id[row.paste_id].append(row)
    for paste in pastes:
        set_committed_value(paste, "attachments", by_id.get(paste.id, []))


def deactivate(public_id, caller: User | None, deactivation_token: str | None = None) -> Paste:
    """Deactivate a paste for its token holder, its owner or an admin.

    Raises `NonexistentPasteFailure`, `AuthFailure` (no or wrong token, anonymous) and
    `ForbiddenFailure` (signed in, but not the owner).
    """
    paste = _get_live(public_id)
    allowed_by_token = secret.token_matches(deactivation_token, paste.deactivation_token_hash)
    if not allowed_by_token:
        if deactivation_token:
            raise AuthFailure("The deactivation token is not valid for this paste.")
        _require_owner(paste, caller)
    paste.is_active = False
    return paste


def set_password(public_id, caller: User | None, password: str | None) -> Paste:
    """Set, or with an empty or null password remove, the password of the caller's paste.

    Raises `AuthFailure` (anonymous), `NonexistentPasteFailure` and `ForbiddenFailure`.
    """
    auth.require(caller)
    paste = _get_live(public_id)
    _require_owner(paste, caller)
    paste.password_hash = secret.hash_password(password) if password else None
    return paste


def _require_owner(paste: Paste, caller: User | None) -> None:
    user = auth.require(caller)
    if paste.user_id != user.id and not user.is_admin:
        raise ForbiddenFailure("You do not own this paste.")


def deactivate_all_for(user: User) -> None:
    db.session.execute(
        update(Paste)
        .where(Paste.user_id == user.id, Paste.is_active.is_(True))
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )


def purge(now: datetime | None = None) -> int:
    """Delete expired and deactivated pastes with their attachments; return how many."""
    now = now or utcnow()
    doomed = select(Paste.id).where(or_(Paste.is_active.is_(False), Paste.expiry_time <= now))
    ids = list(db.session.scalars(doomed))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        db.session.execute(delete(Attachment).where(Attachment.paste_id.in_(chunk)))
        db.session.execute(
            delete(Paste).where(Paste.id.in_(chunk)).execution_options(synchronize_session=False)
        )
    return len(ids)
