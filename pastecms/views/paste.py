"""/api/paste/*: the Modern Paste paste API (seed 003)."""

from flask import Blueprint, current_app

from pastecms.api import REQUIRED, endpoint
from pastecms.errors import (
    AuthFailure,
    ForbiddenFailure,
    NonexistentPasteFailure,
    PasteAttachmentsDisabledFailure,
    PasteAttachmentTooLargeFailure,
    UnauthenticatedPastesDisabledFailure,
)
from pastecms.extensions import limiter
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
from pastecms.services import paste as paste_service
from pastecms.views.envelopes import modern_paste

bp = Blueprint("paste_api", __name__, url_prefix="/api/paste")


def _submit_limit():
    return current_app.config["RATELIMIT_SUBMIT"]


@bp.post("/submit")
@limiter.limit(_submit_limit)
@endpoint(
    modern_paste,
    load=PasteSubmitIn,
    dump=PasteSubmittedOut,
    failures=(
        UnauthenticatedPastesDisabledFailure,
        PasteAttachmentsDisabledFailure,
        PasteAttachmentTooLargeFailure,
    ),
)
def submit(data, caller):
    """Create a paste, anonymous or the caller's; returns it with its deactivation token."""
    return paste_service.submit(data.pop("contents"), caller, **data)


@bp.post("/details")
@endpoint(
    modern_paste,
    load=PasteDetailsIn,
    dump=PasteOut,
    failures=(NonexistentPasteFailure, AuthFailure),
)
def details(data, caller):
    """A paste's details and contents; counts one view."""
    return paste_service.read(data["paste_id"], data["password"])


@bp.post("/user")
@endpoint(modern_paste, load=UserPastesIn, dump=PasteListOut, caller=REQUIRED, failures=())
def user(data, caller):
    """The caller's live pastes, newest first."""
    return {"pastes": paste_service.for_user(caller, data["page_num"], data["num_per_page"])}


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
    return {"pastes": paste_service.recent(data["page_num"], data["num_per_page"])}


@bp.post("/top")
@endpoint(modern_paste, load=PageIn, dump=PasteListOut, failures=())
def top(data, caller):
    """A page of live pastes, most viewed first."""
    return {"pastes": paste_service.top(data["page_num"], data["num_per_page"])}
