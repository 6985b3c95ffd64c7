"""Paste rules: submission, reading, lists, deactivation, passwords, purge."""

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import undefer

from pastecms.config import settings
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
from pastecms.models import Attachment, Highlight, Paste, User, utcnow
from pastecms.queries import pastes as paste_reads
from pastecms.queries.pastes import PasteRecord, Poster
from pastecms.services import attempts, secret
from pastecms.services.identity import auth
from pastecms.services.identity.auth import Caller
from pastecms.services.ids import PasteIds, paste_ids
from pastecms.services.pastes import highlight, idempotency, paste_policy, quota
from pastecms.services.pastes import language as language_service

DEFAULT_TITLE = "Untitled"
#: What wrong paste passwords are counted as (`services.attempts`).
PASSWORD_ATTEMPTS = "paste_password"


def submit(
    contents: str,
    caller: Caller,
    *,
    title: str | None = None,
    language: str | None = None,
    guess_language: bool = False,
    password: str | None = None,
    expiry_time: datetime | None = None,
    attachments: list[dict] | None = None,
    idempotency_key: str | None = None,
    max_views: int | None = None,
) -> "PasteRecord":
    """Store a new paste and return it with `deactivation_token` set (shown only now).
    With `max_views`, the read that counts the last view deletes the paste (`read`,
    `page`). Its language is `language_service.choose`'s: as named, else plain text, or
    with `guess_language` (the faces for people) a guess from the contents and the title.
    Once committed, its HTML is made in the background (`highlight.ahead`).

    With an `idempotency_key` (`services.pastes.idempotency`), the caller's first request with
    it stores its paste as without one; the same request again stores nothing and returns
    that paste as the caller may see it now, with its token (`_replayed`).

    Raises `AddressBlockedFailure` (the caller's address is in a range an admin blocked:
    `services.pastes.paste_policy`), `UnauthenticatedPastesDisabledFailure`,
    `PayloadTooLargeFailure`, `InvalidParamsFailure` (past expiry, or longer than the
    admins allow, bad attachments, a password shorter than
    MIN_PASTE_PASSWORD_LENGTH, a malformed idempotency key),
    `PasteAttachmentsDisabledFailure`, `PasteAttachmentTooLargeFailure`, over the
    caller's byte quota (`services.pastes.quota`) `PayloadTooLargeFailure` or `RateLimitFailure`;
    with a key, `IdempotencyKeyReusedFailure` (it came with another request before),
    `IdempotencyKeyInUseFailure` (its first request is still running) and
    `NonexistentPasteFailure` (the paste it made is gone).
    """
    # First: a blocked network learns nothing else about its paste.
    paste_policy.check_address(caller.address)
    if caller.user is None and settings().require_login_to_paste:
        raise UnauthenticatedPastesDisabledFailure()
    # The request as the paste will store it: what it means, not how it was spelled,
    # is what a retry must repeat.
    request = {
        "contents": contents,
        "title": title or DEFAULT_TITLE,
        "language": language_service.choose(language, contents, title, may_guess=guess_language),
        "password": password or None,
        "expiry_time": expiry_time,
        "attachments": attachments or [],
        "max_views": max_views,
    }
    if not idempotency_key:
        return _store(caller, None, **request)
    with idempotency.attempt(caller, idempotency_key, request) as attempt:
        if attempt.earlier is not None:
            return _replayed(attempt.earlier)
        return _store(caller, attempt, **request)


def _store(
    caller: Caller,
    attempt: idempotency.Attempt | None,
    *,
    contents: str,
    title: str,
    language: str,
    password: str | None,
    expiry_time: datetime | None,
    attachments: list[dict],
    max_views: int | None,
) -> PasteRecord:
    """`submit`'s new paste, kept under `attempt`'s key when there is one."""
    config = settings()
    user = caller.user
    size = len(contents.encode("utf-8"))
    if max_views is not None and max_views < 1:
        raise InvalidParamsFailure("max_views must be at least 1.")
    if size > config.max_paste_size:
        raise PayloadTooLargeFailure(f"The paste is larger than {config.max_paste_size} bytes.")
    now = utcnow()
    if expiry_time is not None and expiry_time <= now:
        _invalid("expiry_time", "Must be in the future.")
    paste_policy.check_expiry(expiry_time, now)
    _check_attachments(attachments)
    _check_new_password(password)
    # Last, once the paste is known to be storable: a refused paste uses up no quota.
    quota.charge(caller, size + sum(len(item["data"]) for item in attachments))

    token = secret.new_token()
    # bcrypt before the first write: nothing may hold a write lock through it.
    password_hash = secret.hash_password(password) if password else None
    row = paste_reads.run(
        "insert",
        {
            "user_id": user.id if user else None,
            "title": title,
            "language": language,
            "contents": contents,
            "size": size,
            "password_hash": password_hash,
            "deactivation_token_hash": secret.hash_token(token),
            "post_time": now,
            "expiry_time": expiry_time,
            "views": 0,
            "max_views": max_views,
            "is_active": True,
            "attachment_count": len(attachments),
        },
    ).first()
    poster = Poster(user.username, user.is_active) if user else None
    paste = PasteRecord(row, paste_ids(), poster)
    if attempt is not None:
        earlier = idempotency.remember(attempt, paste.id, token)
        if earlier is not None:
            # The same request with the same key stored its paste first: this one is
            # undone (it has no attachments yet), and that one is the answer.
            db.session.execute(delete(Paste).where(Paste.id == paste.id))
            return _replayed(earlier)
    paste.attachments = [
        Attachment(
            paste_id=paste.id,
            file_name=item["file_name"],
            mime_type=item["mime_type"],
            file_size=len(item["data"]),
            data=item["data"],
        )
        for item in attachments
    ]
    db.session.add_all(paste.attachments)
    paste.deactivation_token = token
    highlight.ahead(paste)
    return paste


def _replayed(earlier: "idempotency.Earlier") -> PasteRecord:
    """The paste an earlier submit made, as a retry of it answers: with its deactivation
    token (the caller's own: the key is theirs, and the request the same), and otherwise
    only what a caller without the password may see now.

    A retry is no read: it counts no view and unlocks nothing, so the contents of a
    protected paste, or of one that counts its views down, stay out (null). Raises
    `NonexistentPasteFailure` once the paste is deactivated, expired, used up or purged.
    """
    if earlier.paste_id is None:
        raise NonexistentPasteFailure()
    paste = _live_by_id(paste_ids(), earlier.paste_id)
    paste_reads.complete([paste])
    if paste.is_password_protected or paste.max_views is not None:
        paste.contents = None
    paste.deactivation_token = earlier.token
    return paste


def _check_new_password(password: str | None) -> None:
    """`InvalidParamsFailure` for a new paste password shorter than the server allows; no
    password at all (None or empty, as Modern Paste clients send it) is no password."""
    shortest = settings().min_paste_password_length
    if password and len(password) < shortest:
        message = f"A paste password needs at least {shortest} characters."
        raise InvalidParamsFailure(message, details={"password": message})


def _invalid(field: str, problem: str):
    """Refuse a parameter the schema let through, as the schema refuses one: the message
    names it, and `details` maps it to the problem."""
    raise InvalidParamsFailure(f"{field}: {problem}", details={field: problem})


def _check_attachments(attachments: list[dict]) -> None:
    if not attachments:
        return
    config = settings()
    if not config.enable_paste_attachments:
        raise PasteAttachmentsDisabledFailure()
    if len(attachments) > config.max_attachment_count:
        _invalid("attachments", f"A paste takes at most {config.max_attachment_count}.")
    names = [item["file_name"] for item in attachments]
    if len(set(names)) != len(names):
        _invalid("attachments", "Names must be unique within a paste.")
    for item in attachments:
        if len(item["data"]) > config.max_attachment_size:
            raise PasteAttachmentTooLargeFailure(
                f"Attachment {item['file_name']!r} is larger than "
                f"{config.max_attachment_size} bytes."
            )


def live(public_id) -> PasteRecord:
    """The live paste with this public id, as its readers may find it (without counting a
    view); `NonexistentPasteFailure` for an unknown, garbage, expired, deactivated or
    hidden id."""
    return _get_live(public_id)


def _get_live(public_id) -> PasteRecord:
    ids = paste_ids()
    return _live_by_id(ids, ids.decode(public_id))


def _live_by_id(ids: PasteIds, paste_id: int) -> PasteRecord:
    row = paste_reads.run("live", {"paste_id": paste_id, "now": utcnow()}).first()
    if row is None:
        raise NonexistentPasteFailure()
    return PasteRecord(row, ids)


def file_name(paste, public_id) -> str:
    """The name a paste's download is saved under: its title when it has one of its own
    (`demo.py`), the path and control characters taken out and `.txt` added when it names
    no type; else its public id, `.txt`."""
    title = "".join(c for c in paste.title if c.isprintable() and c not in '/\\:"')
    title = title.strip().strip(".")[:200]
    if not title or paste.title == DEFAULT_TITLE:
        return f"{public_id}.txt"
    return title if "." in title.strip(".") else f"{title}.txt"


def read(
    public_id,
    caller: Caller,
    password: str | None = None,
    *,
    unlock: str | None = None,
    counted: bool = True,
) -> PasteRecord:
    """A live paste whose contents the caller may read, with this read counted as a view.

    `unlock` is what the caller kept from opening the paste earlier (`unlock_stamp`); it
    opens the paste while its password is still the one it opened. A read that is not
    `counted` (a HEAD) returns the paste as the counted read would have, and writes
    nothing: no view, no burn.
    Raises `NonexistentPasteFailure` (unknown, garbage, expired, deactivated or used-up
    id), `AuthFailure` (protected paste, password missing or wrong) and
    `RateLimitFailure` (too many wrong passwords lately for this paste, or from this
    address).
    """
    ids = paste_ids()
    paste_id = ids.decode(public_id)
    if counted and not password:
        # Most reads are of open pastes: one statement counts the view and fetches the
        # row. No row: missing, or protected (an unlock or nothing to check).
        paste = _count_view(ids, paste_id, open_only=True)
        if paste is not None:
            return _finish_read(paste)
    # Something to check: look, and check it before anything is written, so that no
    # write (on SQLite, the database's one write lock) is held through bcrypt.
    found = _live_by_id(ids, paste_id)
    _check_access(found, password, unlock, caller)
    return _finish_read(_take_view(ids, found, counted), counted)


def attachment(
    public_id, file_name: str, caller: Caller, *, unlock: str | None = None, counted: bool = True
) -> Attachment:
    """One attachment of a live paste, with its data. Downloading it is a read of the
    paste: it counts one view (unless not `counted`, as `read`), and the download that
    counts a paste's last view deletes the paste with its attachments.

    Raises `NonexistentPasteFailure`, `AuthFailure` (protected paste not unlocked) and
    `NonexistentAttachmentFailure` (which counts nothing).
    """
    ids = paste_ids()
    paste = _live_by_id(ids, ids.decode(public_id))
    _check_access(paste, None, unlock, caller)
    found = db.session.scalar(
        select(Attachment)
        .where(Attachment.paste_id == paste.id, Attachment.file_name == file_name)
        .options(undefer(Attachment.data))
    )
    if found is None:
        raise NonexistentAttachmentFailure()
    # Loaded whole and let go of: a burn below deletes the row, not what is sent.
    db.session.expunge(found)
    read_paste = _take_view(ids, paste, counted)
    if counted:
        _burn_if_used_up(read_paste)
    return found


def page(
    public_id,
    caller: Caller,
    password: str | None = None,
    *,
    unlock: str | None = None,
    reveal: bool = False,
    counted: bool = True,
) -> PasteRecord:
    """`read` for the paste's web page: the record also carries `highlighted`, its
    contents as HTML (`services.pastes.highlight`).

    A paste that counts down to its deletion (`max_views`) is only read when `reveal`
    says the visitor asked for it: otherwise (once its password is checked) it comes back
    `held_back`, without contents, and no view counted, so a link preview burns nothing.

    Everything slow (the password check; highlighting, on the paste's first view) runs
    before the view is counted, and the view and the new HTML are written together after
    it, so no write, and on SQLite no write lock, is held through either. Raises as `read`.
    """
    ids = paste_ids()
    found = _get_live(public_id)
    _check_access(found, password, unlock, caller)
    if found.max_views is not None and not reveal:
        found.contents = None
        found.held_back = True
        paste_reads.complete([found])
        return found
    rendering = highlight.render(found)
    paste = _take_view(ids, found, counted)
    # Kept HTML is no view: a HEAD may keep it too, for the GET after it.
    highlight.store(rendering)
    paste.highlighted = rendering.html
    return _finish_read(paste, counted)


def unlock_stamp(paste: PasteRecord) -> str | None:
    """What a visitor who opened the protected `paste` keeps (in the web session) to
    read it again without its password; None for an open paste.

    A digest of the paste's stored password hash: any new password, the same one set
    again included (bcrypt salts anew), makes a new hash, and ends every unlock. The hash
    itself stays on the server; the digest tells nothing about the password.
    """
    if paste.password_hash is None:
        return None
    return hashlib.sha256(paste.password_hash.encode("ascii")).hexdigest()[:32]


def _check_access(
    paste: PasteRecord, password: str | None, unlock: str | None, caller: Caller
) -> None:
    """Nothing when the caller may read the paste: it is open, `unlock` is its current
    stamp, or `password` is its password; raises as `_check_password` otherwise."""
    stamp = unlock_stamp(paste)
    if stamp is not None and unlock and hmac.compare_digest(stamp.encode(), unlock.encode()):
        return
    _check_password(paste, password, caller)


def _take_view(ids: PasteIds, paste: PasteRecord, counted: bool) -> PasteRecord:
    """The paste, checked readable, with this read's view counted in SQL; not `counted`,
    the paste as the counted read would have returned it, nothing written (so a HEAD
    answers the headers of a GET, the page's view count included).
    `NonexistentPasteFailure` when it has no view left (used up, or since the look
    deactivated or expired)."""
    if counted:
        counted_paste = _count_view(ids, paste.id, open_only=False)
        if counted_paste is None:
            raise NonexistentPasteFailure()
        return counted_paste
    if paste.max_views is not None and paste.views >= paste.max_views:
        raise NonexistentPasteFailure()
    paste.views += 1
    return paste


def _finish_read(paste: PasteRecord, counted: bool = True) -> PasteRecord:
    """Fill in the read paste's answer, and delete it when this read, counted, used it
    up."""
    paste_reads.complete([paste])
    if counted:
        _burn_if_used_up(paste)
    return paste


def _burn_if_used_up(paste: PasteRecord) -> None:
    """Delete the paste, in this read's transaction, when this read counted its last
    view (the record keeps what the read returns); `views_left` in the counting UPDATE
    makes sure only one read ever gets here."""
    if paste.max_views is not None and paste.views >= paste.max_views:
        _delete_pastes([paste.id])
        paste.is_active = False


def _check_password(paste: PasteRecord, password: str | None, caller: Caller) -> None:
    """Nothing when the paste is open or `password` is its password; else `AuthFailure`,
    or `RateLimitFailure` before any bcrypt work when this paste, or the caller's address,
    has seen too many wrong passwords lately or has another being checked."""
    if not paste.is_password_protected:
        return
    if not password:
        raise AuthFailure("The paste is password-protected: the password is missing.")
    target = str(paste.id)
    with attempts.comparing(PASSWORD_ATTEMPTS, target, caller.address):
        if not secret.check_password(password, paste.password_hash):
            attempts.failed(PASSWORD_ATTEMPTS, target, caller.address)
            raise AuthFailure("The paste is password-protected: the password is wrong.")


def _count_view(ids: PasteIds, paste_id: int, *, open_only: bool) -> PasteRecord | None:
    """Add one view to a live paste in SQL, so concurrent reads never lose an update, and
    return the paste as it now stands (None when no live paste, or with `open_only` no
    live paste without a password, matched)."""
    row = paste_reads.count_view({"paste_id": paste_id, "now": utcnow()}, open_only=open_only)
    return PasteRecord(row, ids) if row is not None else None


def for_user(caller: Caller, page_num: int = 0, num_per_page: int | None = None) -> list:
    """The caller's live pastes, newest first; `AuthFailure` when anonymous.

    Without `num_per_page`, a page is as large as the server allows: the reference API
    answers with all of a user's pastes, so scripts expect more than the lists' 20.
    """
    auth.check(caller)  # the id is all a page needs: no query for the User row
    per_page = num_per_page or settings().max_page_size
    return _page("user", page_num, per_page, user_id=caller.user_id)


def recent(page_num: int = 0, num_per_page: int | None = None) -> list:
    """A page of live pastes, newest first."""
    return _page("recent", page_num, num_per_page)


def top(page_num: int = 0, num_per_page: int | None = None) -> list:
    """A page of live pastes, most viewed first."""
    return _page("top", page_num, num_per_page)


def _page(which: str, page_num: int, num_per_page: int | None, **params) -> list:
    config = settings()
    per_page = min(num_per_page or 20, config.max_page_size)
    if page_num > config.max_page_num:
        _invalid("page_num", f"Must be at most {config.max_page_num}.")
    budget = config.max_page_bytes
    if budget is None:
        budget = config.max_paste_size
    # A page of pastes that each weigh their share of the budget or less is read whole,
    # in one query, and never weighs more than the budget.
    params.update(
        now=utcnow(), limit=per_page, offset=page_num * per_page, share=budget // per_page
    )
    return paste_reads.page(paste_ids(), which, params, budget)


def deactivate(public_id, caller: Caller, deactivation_token: str | None = None) -> PasteRecord:
    """Deactivate a paste for its token holder, its owner or an admin.

    Raises `NonexistentPasteFailure`, `AuthFailure` (no or wrong token, anonymous) and
    `ForbiddenFailure` (signed in, but not the owner).
    """
    paste = deactivatable(public_id, caller, deactivation_token)
    _update(paste, is_active=False)
    return paste


def deactivatable(public_id, caller: Caller, deactivation_token: str | None = None) -> PasteRecord:
    """The live paste that `deactivate` would deactivate, with the same arguments, when it
    would; raises as `deactivate` when it would not. Writes nothing (a confirmation page
    asks first)."""
    paste = _get_live(public_id)
    # Either proof is enough: the owner's key works even beside a stale token.
    if not secret.token_matches(deactivation_token, paste.deactivation_token_hash) and not (
        is_owner(paste, caller)
    ):
        if deactivation_token:
            raise AuthFailure("The deactivation token is not valid for this paste.")
        _require_owner(paste, caller)
    return paste


def is_owner(paste: PasteRecord, caller: Caller) -> bool:
    """Whether the caller may manage the paste: its poster, or an admin."""
    return caller.is_authenticated and _owns(paste, caller)


def set_password(public_id, caller: Caller, password: str | None) -> PasteRecord:
    """Set, or with an empty or null password remove, the password of the caller's paste.

    Only the owner may: an admin moderates (deactivates) but never sets or removes a
    password, since removing one publishes the contents in `details` and the lists.

    Raises `AuthFailure` (anonymous), `NonexistentPasteFailure`, `ForbiddenFailure` (not
    the owner, admins included) and `InvalidParamsFailure` (a password shorter than
    MIN_PASTE_PASSWORD_LENGTH).
    """
    auth.check(caller)
    paste = _get_live(public_id)
    if paste.user_id != caller.user_id:
        raise ForbiddenFailure("Only the paste's owner may set or remove its password.")
    _check_new_password(password)
    _update(paste, password_hash=secret.hash_password(password) if password else None)
    return paste


def _update(paste: PasteRecord, **values) -> None:
    """Store `values` on the paste's row, and on the record the caller gets back."""
    db.session.execute(update(Paste).where(Paste.id == paste.id).values(**values))
    for key, value in values.items():
        setattr(paste, key, value)


def _owns(paste: PasteRecord, caller: Caller) -> bool:
    return paste.user_id == caller.user_id or caller.is_admin


def _require_owner(paste: PasteRecord, caller: Caller) -> None:
    auth.check(caller)
    if not _owns(paste, caller):
        raise ForbiddenFailure("You do not own this paste.")


def deactivate_all_for(user: User) -> None:
    db.session.execute(
        update(Paste)
        .where(Paste.user_id == user.id, Paste.is_active.is_(True))
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )


def purge(now: datetime | None = None) -> int:
    """Delete expired and deactivated pastes with their attachments and highlighted HTML,
    and every idempotency key past its lifetime; return how many pastes were deleted."""
    now = now or utcnow()
    doomed = select(Paste.id).where(or_(Paste.is_active.is_(False), Paste.expiry_time <= now))
    ids = list(db.session.scalars(doomed))
    idempotency.purge(now)
    for start in range(0, len(ids), 500):
        _delete_pastes(ids[start : start + 500])
    return len(ids)


def _delete_pastes(ids: list[int]) -> None:
    """Delete pastes with their attachments and highlighted HTML; their idempotency keys
    forget them, and stay to tell a retry the paste is gone."""
    for table in (Attachment, Highlight):
        db.session.execute(delete(table).where(table.paste_id.in_(ids)))
    idempotency.forget_pastes(ids)
    db.session.execute(
        delete(Paste).where(Paste.id.in_(ids)).execution_options(synchronize_session=False)
    )
