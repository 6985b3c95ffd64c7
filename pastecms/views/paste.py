"""/api/paste/*: the Modern Paste paste API (seed 003)."""

from flask import request

from pastecms.api import REQUIRED, endpoint
from pastecms.errors import (
    AddressBlockedFailure,
    AuthFailure,
    ForbiddenFailure,
    IdempotencyKeyInUseFailure,
    IdempotencyKeyReusedFailure,
    NonexistentPasteFailure,
    PasteAttachmentsDisabledFailure,
    PasteAttachmentTooLargeFailure,
    RateLimitFailure,
    UnauthenticatedPastesDisabledFailure,
)
from pastecms.ratelimit import REPORT_LIMIT, SUBMIT_LIMIT
from pastecms.schemas.moderation import PasteReportedOut, PasteReportIn
from pastecms.schemas.paste import (
    PageIn,
    PasteDeactivateIn,
    PasteDetailsIn,
    PasteListOut,
    PasteOut,
    PasteRefOut,
    PasteSetPasswordIn,
    PasteSubmitIn,
    PasteSubmittedOut,
    UserPastesIn,
)
from pastecms.services.pastes import moderation as moderation_service
from pastecms.services.pastes import paste as paste_service
from pastecms.services.pastes.idempotency import HEADER as IDEMPOTENCY_HEADER
from pastecms.views.envelopes import modern_paste
from pastecms.views.links import with_url, with_urls

bp = modern_paste.blueprint("paste_api", __name__, url_prefix="/api/paste")


@bp.post("/submit")
@endpoint(
    modern_paste,
    load=PasteSubmitIn,
    dump=PasteSubmittedOut,
    limits=(SUBMIT_LIMIT,),
    failures=(
        AddressBlockedFailure,
        UnauthenticatedPastesDisabledFailure,
        PasteAttachmentsDisabledFailure,
        PasteAttachmentTooLargeFailure,
        IdempotencyKeyReusedFailure,
        IdempotencyKeyInUseFailure,
        NonexistentPasteFailure,
    ),
)
def submit(data, caller):
    """Create a paste, anonymous or the caller's; returns it with its deactivation token
    (a retry of an earlier submit, with its `Idempotency-Key`, returns that paste as it is
    now, without protected contents)."""
    paste = paste_service.submit(
        data["contents"],
        caller,
        title=data["title"],
        language=data["language"],
        password=data["password"],
        expiry_time=data["expiry_time"],
        attachments=data["attachments"],
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
        max_views=data["max_views"],
    )
    return with_url(paste)


@bp.post("/details")
@endpoint(
    modern_paste,
    load=PasteDetailsIn,
    dump=PasteOut,
    failures=(NonexistentPasteFailure, AuthFailure, RateLimitFailure),
)
def details(data, caller):
    """A paste's details and contents; counts one view."""
    return with_url(paste_service.read(data["paste_id"], caller, data["password"]))


@bp.post("/user")
@endpoint(modern_paste, load=UserPastesIn, dump=PasteListOut, caller=REQUIRED, failures=())
def user(data, caller):
    """The caller's live pastes, newest first."""
    pastes = paste_service.for_user(caller, data["page_num"], data["num_per_page"])
    return {"pastes": with_urls(pastes)}


@bp.post("/deactivate")
@endpoint(
    modern_paste,
    load=PasteDeactivateIn,
    dump=PasteRefOut,
    failures=(NonexistentPasteFailure, AuthFailure, ForbiddenFailure),
)
def deactivate(data, caller):
    """Deactivate a paste for its token holder or its owner."""
    return paste_service.deactivate(data["paste_id"], caller, data["deactivation_token"])


@bp.post("/set_password")
@endpoint(
    modern_paste,
    load=PasteSetPasswordIn,
    dump=PasteRefOut,
    caller=REQUIRED,
    failures=(NonexistentPasteFailure, ForbiddenFailure),
)
def set_password(data, caller):
    """Set or remove the password of one of the caller's pastes."""
    return paste_service.set_password(data["paste_id"], caller, data["password"])


@bp.post("/recent")
@endpoint(modern_paste, load=PageIn, dump=PasteListOut, failures=())
def recent(data, caller):
    """A page of live pastes, newest first."""
    return {"pastes": with_urls(paste_service.recent(data["page_num"], data["num_per_page"]))}


@bp.post("/top")
@endpoint(modern_paste, load=PageIn, dump=PasteListOut, failures=())
def top(data, caller):
    """A page of live pastes, most viewed first."""
    return {"pastes": with_urls(paste_service.top(data["page_num"], data["num_per_page"]))}


@bp.post("/report")
@endpoint(
    modern_paste,
    load=PasteReportIn,
    dump=PasteReportedOut,
    limits=(REPORT_LIMIT,),
    failures=(NonexistentPasteFailure,),
)
def report(data, caller):
    """Report a live paste to the site's admins (their moderation queue)."""
    return moderation_service.report(data["paste_id"], data["reason"], data["details"], caller)
