"""The web face: a paste form for people, and the pages a paste's `url` points to."""

from io import BytesIO

from flask import Response, flash, redirect, request, send_file, session, url_for

from pastecms.api import endpoint
from pastecms.errors import AuthFailure, NonexistentAttachmentFailure
from pastecms.schemas.web import (
    EXPIRY_CHOICES,
    AttachmentPathIn,
    PasteFormIn,
    PastePathIn,
    UnlockFormIn,
)
from pastecms.services import paste as paste_service
from pastecms.views import csrf
from pastecms.views.envelopes import Page, WebPage, web_page
from pastecms.views.paste import SUBMIT_LIMIT

bp = web_page.blueprint("web", __name__)

LANGUAGES = [
    "text", "bash", "c", "cpp", "csharp", "css", "diff", "go", "haskell", "html", "ini",
    "java", "javascript", "json", "kotlin", "lua", "make", "markdown", "perl", "php",
    "python", "ruby", "rust", "scala", "sql", "swift", "toml", "typescript", "xml", "yaml",
]  # fmt: skip
_UNLOCKED_KEEP = 50  # protected pastes a session remembers as unlocked


def _form_choices() -> dict:
    return {"languages": LANGUAGES, "expiry_choices": list(EXPIRY_CHOICES)}


#: The paste form: any refusal shows the form again, with the reason and what was typed.
paste_form = WebPage("index.html", context=_form_choices)
#: A protected paste: a missing or wrong password shows the password prompt.
unlock_form = WebPage(
    "unlock.html", retry=(AuthFailure,), context=lambda: {"paste_id": request.view_args["paste_id"]}
)


@bp.before_request
def check_csrf_token():
    """Every form post carries the token its page was served with (Flask-WTF checks
    the methods that post: WTF_CSRF_METHODS)."""
    csrf.protect()


def _is_unlocked(paste_id) -> bool:
    return paste_id in session.get("unlocked", [])


def _remember_unlocked(paste_id) -> None:
    unlocked = [pid for pid in session.get("unlocked", []) if pid != paste_id]
    session["unlocked"] = [*unlocked, paste_id][-_UNLOCKED_KEEP:]


def _paste_page(paste, paste_id) -> Page:
    return Page("paste.html", paste=paste, paste_id=paste_id)


@bp.get("/")
@endpoint(web_page)
def index(data, caller):
    """The paste form."""
    return Page("index.html", form={}, failure=None, **_form_choices())


@bp.post("/")
@endpoint(paste_form, load=PasteFormIn, location="form_and_files", limits=(SUBMIT_LIMIT,))
def create(data, caller):
    """Create a paste from the form and show it."""
    paste = paste_service.submit(
        data["contents"],
        caller,
        title=data["title"],
        language=data["language"],
        password=data["password"],
        expiry_time=data["expiry_time"],
        attachments=data["attachments"],
    )
    public_id = str(paste.public_id)
    if paste.is_password_protected:
        _remember_unlocked(public_id)
    # Through the session, not the URL: a token in a query string ends up in logs.
    flash(paste.deactivation_token, "deactivation_token")
    return redirect(url_for("web.show", paste_id=public_id))


@bp.get("/paste/<paste_id>")
@endpoint(unlock_form, path=PastePathIn)
def show(data, caller):
    """A paste, highlighted; a protected one asks for its password first."""
    paste_id = data["paste_id"]
    paste = paste_service.page(paste_id, caller, unlocked=_is_unlocked(paste_id))
    return _paste_page(paste, paste_id)


@bp.post("/paste/<paste_id>")
@endpoint(unlock_form, load=UnlockFormIn, path=PastePathIn)
def unlock(data, caller):
    """A protected paste, opened with its password; the session remembers it."""
    paste_id = data["paste_id"]
    paste = paste_service.page(paste_id, caller, data["password"])
    _remember_unlocked(paste_id)
    return _paste_page(paste, paste_id)


@bp.get("/paste/<paste_id>/raw")
@endpoint(web_page, path=PastePathIn)
def raw(data, caller):
    """The contents as plain text."""
    paste_id = data["paste_id"]
    paste = paste_service.read(paste_id, caller, unlocked=_is_unlocked(paste_id))
    return Response(paste.contents, mimetype="text/plain")


@bp.get("/paste/<paste_id>/download")
@endpoint(web_page, path=PastePathIn)
def download(data, caller):
    """The contents as a file download."""
    paste_id = data["paste_id"]
    paste = paste_service.read(paste_id, caller, unlocked=_is_unlocked(paste_id))
    response = Response(paste.contents, mimetype="text/plain")
    response.headers.set("Content-Disposition", "attachment", filename=f"{paste_id}.txt")
    return response


@bp.get("/paste/<paste_id>/attachment/<file_name>")
@endpoint(web_page, path=AttachmentPathIn, path_failure=NonexistentAttachmentFailure)
def attachment(data, caller):
    """An attachment, with its stored type, always as a download."""
    paste_id = data["paste_id"]
    found = paste_service.attachment(paste_id, data["file_name"], unlocked=_is_unlocked(paste_id))
    return send_file(
        BytesIO(found.data),
        mimetype=found.mime_type,
        as_attachment=True,
        download_name=found.file_name,
    )
