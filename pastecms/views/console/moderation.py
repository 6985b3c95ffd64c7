"""The console's moderation section, for admins: the queue of reported pastes and what
to do about each, the blocked address ranges, the longest expiry allowed, a search over
every stored paste, and the log of what admins did."""

from flask import flash, redirect, request, url_for

from pastecms.api import endpoint
from pastecms.schemas.moderation import (
    BlockFormIn,
    ExpiryLimitFormIn,
    ModerationActionPathIn,
    SearchIn,
    UnblockFormIn,
)
from pastecms.schemas.web import EXPIRY_CHOICES, PastePathIn
from pastecms.services.pastes import moderation as moderation_service
from pastecms.views.console import SECTIONS, Section, bp, console_page
from pastecms.views.envelopes import Page, web_page

SECTIONS.append(Section("Moderation", "console.moderation", admin=True))

#: The buttons of a reported paste: path segment -> the service's action and what the
#: page says after it.
ACTIONS = {
    "hide": (moderation_service.hide, "The paste is hidden on every face."),
    "unhide": (moderation_service.unhide, "The paste is shown again."),
    "delete": (moderation_service.delete_paste, "The paste is deleted."),
    "deactivate_poster": (
        moderation_service.deactivate_poster,
        "The poster's account is deactivated, with their pastes and keys.",
    ),
    "dismiss": (moderation_service.dismiss, "The paste's reports are dismissed."),
}


def _back(default: str):
    """A 303 to where the form was (a local path only), else `default`."""
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = default
    return redirect(target, code=303)


@bp.get("/moderation")
@endpoint(web_page)
@console_page
def moderation(data, caller):
    """The queue, the blocked ranges, the longest expiry and the log."""
    return Page(
        "console/moderation.html",
        longest_choices=_longest_choices(),
        **moderation_service.overview(caller),
    )


def _longest_choices() -> list[tuple[str, int | None]]:
    return [("any", None)] + [
        (name, int(life.total_seconds())) for name, life in EXPIRY_CHOICES.items() if life
    ]


@bp.get("/moderation/pastes")
@endpoint(web_page, load=SearchIn, location="query")
@console_page
def moderation_pastes(data, caller):
    """Stored pastes (hidden ones too) by id, title or poster."""
    pastes = moderation_service.search(caller, data["q"])
    return Page("console/moderation_pastes.html", pastes=pastes, q=data["q"])


@bp.get("/moderation/paste/<paste_id>")
@endpoint(web_page, path=PastePathIn)
@console_page
def moderation_paste(data, caller):
    """One paste as an admin sees it, hidden or not, with its reports and the actions."""
    found = moderation_service.paste(caller, data["paste_id"])
    return Page("console/moderation_paste.html", item=found, reports=found.reports)


@bp.post("/moderation/paste/<paste_id>/<action>")
@endpoint(web_page, path=ModerationActionPathIn)
@console_page
def moderation_act(data, caller):
    """Hide, show again, delete, deactivate the poster of, or dismiss the reports of a
    paste; logged. Then back to the page the button was on."""
    act, done = ACTIONS[data["action"]]
    act(caller, data["paste_id"])
    flash(done, "console")
    return _back(url_for("console.moderation"))


@bp.post("/moderation/block")
@endpoint(web_page, load=BlockFormIn)
@console_page
def moderation_block(data, caller):
    """Block an address range from posting pastes; logged."""
    found = moderation_service.block(caller, data["cidr"], data["note"])
    flash(f"New pastes from {found.cidr} are refused from now on.", "console")
    return redirect(url_for("console.moderation"), code=303)


@bp.post("/moderation/unblock")
@endpoint(web_page, load=UnblockFormIn)
@console_page
def moderation_unblock(data, caller):
    """Take pastes from a blocked range again; logged."""
    moderation_service.unblock(caller, data["cidr"])
    flash(f"{data['cidr']} may post again.", "console")
    return redirect(url_for("console.moderation"), code=303)


@bp.post("/moderation/expiry")
@endpoint(web_page, load=ExpiryLimitFormIn)
@console_page
def moderation_expiry(data, caller):
    """Set the longest expiry a new paste may have, and whether "never" is offered."""
    lifetime = EXPIRY_CHOICES.get(data["longest"])
    limit = moderation_service.set_expiry_limit(caller, lifetime, data["never"])
    flash(f"New pastes may have {limit.describe()}.", "console")
    return redirect(url_for("console.moderation"), code=303)
