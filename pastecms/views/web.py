"""The web face: a paste form for people, and the pages a paste's `url` points to."""

from io import BytesIO

from flask import Response, current_app, flash, redirect, request, send_file, session, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from pastecms.api import endpoint
from pastecms.errors import (
    AuthFailure,
    IncompleteParamsFailure,
    InvalidParamsFailure,
    NonexistentAttachmentFailure,
    NonexistentPasteFailure,
    NotFoundFailure,
    RateLimitFailure,
)
from pastecms.models import REPORT_REASONS
from pastecms.ratelimit import REPORT_LIMIT, SUBMIT_LIMIT
from pastecms.schemas.moderation import ReportFormIn
from pastecms.schemas.web import (
    EXPIRY_CHOICES,
    ArchiveIn,
    AttachmentPathIn,
    DeletePathIn,
    PasteFormIn,
    PastePathIn,
    ShellUploadIn,
    ThemeIn,
    UnlockFormIn,
    UploadNameIn,
)
from pastecms.services.pastes import language as language_service
from pastecms.services.pastes import moderation as moderation_service
from pastecms.services.pastes import paste as paste_service
from pastecms.services.pastes import paste_policy
from pastecms.views import csrf
from pastecms.views.envelopes import (
    Page,
    WebPage,
    answer_in_plain_text,
    asks_for_text,
    shell_text,
    web_page,
)

bp = web_page.blueprint("web", __name__)


class FileName(BaseConverter):
    """One path segment that names a file (it has a dot: `notes.txt`), as `curl -T
    notes.txt URL/` puts it; `/api`, `/v1` and the other faces' roots are none."""

    regex = r"[^/]*[^/.]\.[^/]+"


bp.record_once(lambda state: state.app.url_map.converters.setdefault("file_name", FileName))

#: Sent with every HTML answer of the app: no inline script or style, no framing, no
#: foreign forms or base URLs, and no guessing of types.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
_UNLOCKED_KEEP = 50  # protected pastes a session remembers as unlocked
ARCHIVE_PAGE_SIZE = 20
THEME_COOKIE = "theme"
THEME_COOKIE_AGE = 365 * 24 * 3600


def _form_choices() -> dict:
    # Only the lifetimes the site's admins allow (`services.paste_policy`).
    limit = paste_policy.expiry_limit()
    return {
        "languages": [language_service.AUTO, *language_service.LANGUAGES],
        "expiry_choices": [name for name, life in EXPIRY_CHOICES.items() if limit.allows(life)],
    }


#: The paste form: any refusal shows the form again, with the reason and what was typed.
paste_form = WebPage("index.html", context=_form_choices)
#: A protected paste: a missing or wrong password shows the password prompt.
unlock_form = WebPage(
    "unlock.html",
    retry=(AuthFailure, RateLimitFailure, IncompleteParamsFailure, InvalidParamsFailure),
    context=lambda: {"paste_id": request.view_args["paste_id"]},
)


def _report_context() -> dict:
    return {"paste_id": request.view_args["paste_id"], "reasons": REPORT_REASONS}


#: The report form: a refusal of what was typed (or too many reports) shows it again.
report_form_page = WebPage(
    "report.html",
    retry=(IncompleteParamsFailure, InvalidParamsFailure, RateLimitFailure),
    context=_report_context,
)


@bp.before_request
def check_csrf_token():
    """Every form post carries the token its page was served with (Flask-WTF checks
    the methods that post: WTF_CSRF_METHODS)."""
    if not _from_a_shell():
        csrf.protect()


def _from_a_shell() -> bool:
    """Whether a post to the form's URL comes from a shell (`curl -F file=@notes.txt`,
    `curl --data-binary @-`) rather than the form: it has a body but neither the form's
    `contents` nor its CSRF token. A shell's post is anonymous unless it carries an API
    key (`shell_text` trusts no session cookie), so a forged one gains nothing."""
    if request.endpoint == "web.put_upload":
        answer_in_plain_text()  # no form puts
        return True
    if request.endpoint != "web.create" or request.method != "POST":
        return False
    if request.mimetype == "multipart/form-data":
        has_text = "file" in request.files
    else:
        try:
            has_text = bool(request.get_data(cache=True))  # cached: the form parses it after
        except RequestEntityTooLarge:
            answer_in_plain_text()  # the browser's form is multipart: this is a shell
            raise
    # An empty body from curl (`--data-binary ''`) is a shell's too: told that the paste
    # is empty, not that a browser lost its session cookie.
    from_the_form = "contents" in request.form or "csrf_token" in request.form
    shell = not from_the_form and (has_text or asks_for_text())
    if shell:
        answer_in_plain_text()
    return shell


def _wants_text() -> bool:
    """Whether a paste page is asked for as raw text (`?raw`, `Accept: text/plain`)."""
    offered = request.accept_mimetypes.best_match(["text/html", "text/plain"])
    wants = "raw" in request.args or offered == "text/plain"
    if wants:
        answer_in_plain_text()
    return wants


@bp.after_app_request
def protect_pages(response: Response) -> Response:
    """Security headers on every HTML page, whichever blueprint made it; nothing the app
    serves is to be sniffed into another type."""
    headers = SECURITY_HEADERS if response.mimetype == "text/html" else _NOSNIFF
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


_NOSNIFF = {"X-Content-Type-Options": "nosniff"}


def _reading(paste_id) -> dict:
    """How this request may read a paste, for the paste service: the unlock the session
    kept for it, and whether the read counts. HEAD is a safe method: Flask answers it
    with the GET view (Werkzeug drops the body), so it runs, and answers what the GET
    would, but counts, burns and unlocks nothing (OPTIONS never reaches a view)."""
    kept = dict(_unlocks())
    return {"unlock": kept.get(paste_id), "counted": request.method != "HEAD"}


def _unlocks() -> list:
    """The session's unlocks, oldest first: [paste id, `unlock_stamp`] pairs (anything
    else, such as a cookie from before unlocks were stamped, unlocks nothing)."""
    kept = session.get("unlocked", []) if session else []
    return [
        entry
        for entry in kept
        if isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(value, str) for value in entry)
    ]


def _remember_unlocked(paste_id, paste) -> None:
    """Keep the visitor's unlock of `paste`, bound to its password (a new one ends it)."""
    kept = [entry for entry in _unlocks() if entry[0] != paste_id]
    stamp = paste_service.unlock_stamp(paste)
    session["unlocked"] = [*kept, [paste_id, stamp]][-_UNLOCKED_KEEP:]


def _paste_page(paste, paste_id, caller) -> Page:
    owned = paste_service.is_owner(paste, caller)
    return Page("paste.html", paste=paste, paste_id=paste_id, owned=owned)


@bp.get("/")
@endpoint(web_page)
def index(data, caller):
    """The paste form."""
    return Page("index.html", form={}, failure=None, **_form_choices())


@bp.app_context_processor
def chosen_theme() -> dict:
    """The theme the visitor chose with the toggle (None: the system's preference)."""
    theme = request.cookies.get(THEME_COOKIE)
    return {"theme": theme if theme in ("light", "dark") else None}


@bp.route("/theme", methods=["GET", "POST"])
@endpoint(web_page, load=ThemeIn, location="params")
def theme(data, caller):
    """Choose the light or dark theme, or "auto" for the system's, then go back."""
    response = redirect(data["next"], code=303)
    if data["theme"] == "auto":
        response.delete_cookie(THEME_COOKIE)
    else:
        response.set_cookie(
            THEME_COOKIE,
            data["theme"],
            max_age=THEME_COOKIE_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.get("/favicon.ico")
@endpoint(web_page)
def favicon(data, caller):
    """The site's icon, where browsers look for it."""
    return current_app.send_static_file("favicon.ico")


@bp.post("/")
def create():
    """A new paste: from the form (then its page), or from a shell (then its URLs)."""
    return (shell_create if _from_a_shell() else form_create)()


@endpoint(paste_form, load=PasteFormIn, location="form_and_files", limits=(SUBMIT_LIMIT,))
def form_create(data, caller):
    """Create a paste from the form and show it."""
    paste = paste_service.submit(
        data["contents"],
        caller,
        title=data["title"],
        # Guessed from the contents, and from the title as a file name ("notes.py").
        language=data["language"],
        guess_language=True,
        password=data["password"],
        expiry_time=data["expiry_time"],
        attachments=data["attachments"],
        max_views=data["max_views"],
    )
    public_id = str(paste.public_id)
    if paste.is_password_protected:
        _remember_unlocked(public_id, paste)
    # Through the session, not the URL: a token in a query string ends up in logs.
    flash(paste.deactivation_token, "deactivation_token")
    return redirect(url_for("web.show", paste_id=public_id))


@bp.put("/", defaults={"name": None})
@bp.put("/<file_name:name>")
def put_upload(name):
    """A paste put by a shell (`curl -T notes.txt URL/`, as 0x0.st and transfer.sh take
    them): its URLs, as for a post."""
    return shell_put(name=name)


@bp.get("/<file_name:name>")
@endpoint(web_page)
def no_such_file(data, caller):
    """A file name at the site's root, which only a shell's upload (a PUT) takes: read,
    it names nothing."""
    raise NotFoundFailure()


def _shell_create(data, caller):
    """Create a paste from a shell; answer its URL and its deletion URL, a line each."""
    contents = data["contents"]
    title = data["title"] or data.get("name")
    paste = paste_service.submit(
        contents,
        caller,
        title=title,
        language=data["language"],
        guess_language=True,
        password=data["password"],
        expiry_time=data["expiry_time"],
        max_views=data["max_views"],
    )
    public_id = str(paste.public_id)
    token = paste.deactivation_token
    return [
        url_for("web.show", paste_id=public_id, _external=True),
        url_for("web.confirm_delete", paste_id=public_id, token=token, _external=True),
    ]


shell_create = endpoint(shell_text, load=ShellUploadIn, limits=(SUBMIT_LIMIT,))(_shell_create)
shell_put = endpoint(shell_text, load=ShellUploadIn, path=UploadNameIn, limits=(SUBMIT_LIMIT,))(
    _shell_create
)


@bp.get("/paste/<paste_id>")
def show(paste_id):
    """A paste's page, or for a shell that asks (`?raw`, `Accept: text/plain`) its text."""
    response = (raw_text if _wants_text() else paste_page)(paste_id=paste_id)
    response.vary.add("Accept")  # caches must keep the page and the text apart
    return response


@endpoint(unlock_form, path=PastePathIn)
def paste_page(data, caller):
    """A paste, highlighted; a protected one asks for its password first."""
    paste_id = data["paste_id"]
    paste = paste_service.page(paste_id, caller, **_reading(paste_id))
    return _paste_page(paste, paste_id, caller)


@bp.post("/paste/<paste_id>")
@endpoint(unlock_form, load=UnlockFormIn, path=PastePathIn)
def unlock(data, caller):
    """A protected paste, opened with its password; the session remembers it."""
    paste_id = data["paste_id"]
    paste = paste_service.page(paste_id, caller, data["password"], reveal=True)
    _remember_unlocked(paste_id, paste)
    return _paste_page(paste, paste_id, caller)


@bp.post("/paste/<paste_id>/reveal")
@endpoint(unlock_form, path=PastePathIn)
def reveal(data, caller):
    """A paste that counts down to its deletion, shown (and counted) on request."""
    paste_id = data["paste_id"]
    paste = paste_service.page(paste_id, caller, reveal=True, **_reading(paste_id))
    return _paste_page(paste, paste_id, caller)


@bp.get("/paste/<paste_id>/delete")
@bp.get("/paste/<paste_id>/deactivate/<token>")
@endpoint(web_page, path=DeletePathIn)
def confirm_delete(data, caller):
    """Asks before deleting: its owner's, or anyone's with the paste's deactivation link."""
    paste = paste_service.deactivatable(data["paste_id"], caller, data["token"])
    return Page("delete.html", paste=paste, paste_id=data["paste_id"], token=data["token"])


@bp.post("/paste/<paste_id>/delete")
@bp.post("/paste/<paste_id>/deactivate/<token>")
@endpoint(web_page, path=DeletePathIn)
def delete(data, caller):
    """Deletes the paste (deactivated: gone for everyone at once, purged later)."""
    paste = paste_service.deactivate(data["paste_id"], caller, data["token"])
    return Page("deleted.html", paste=paste)


@bp.get("/archive")
@endpoint(web_page, load=ArchiveIn, location="query")
def archive(data, caller):
    """Live pastes, a page at a time, newest or most viewed first; a protected paste is
    listed without any of its contents."""
    lists = {"recent": paste_service.recent, "top": paste_service.top}
    pastes = lists[data["sort"]](data["index"], ARCHIVE_PAGE_SIZE)
    return Page(
        "archive.html",
        pastes=pastes,
        per_page=ARCHIVE_PAGE_SIZE,
        page=data["page"],
        sort=data["sort"],
    )


def _raw(data, caller) -> Response:
    paste_id = data["paste_id"]
    paste = paste_service.read(paste_id, caller, **_reading(paste_id))
    return Response(paste.contents, mimetype="text/plain")


@bp.get("/paste/<paste_id>/report")
@endpoint(web_page, path=PastePathIn)
def report_form(data, caller):
    """The form to report a live paste to the site's admins (counts no view)."""
    paste = paste_service.live(data["paste_id"])
    return Page("report.html", paste=paste, form={}, failure=None, **_report_context())


@bp.post("/paste/<paste_id>/report")
@endpoint(report_form_page, load=ReportFormIn, path=PastePathIn, limits=(REPORT_LIMIT,))
def report(data, caller):
    """Send a report of a paste to the moderation queue."""
    moderation_service.report(data["paste_id"], data["reason"], data["details"], caller)
    return Page("reported.html", paste_id=data["paste_id"])


@bp.get("/paste/<paste_id>/raw")
@endpoint(web_page, path=PastePathIn)
def raw(data, caller):
    """The contents as plain text."""
    return _raw(data, caller)


#: The paste page's URL asked for as text: failures in plain text too.
raw_text = endpoint(shell_text, path=PastePathIn, path_failure=NonexistentPasteFailure)(_raw)


@bp.get("/paste/<paste_id>/download")
@endpoint(web_page, path=PastePathIn)
def download(data, caller):
    """The contents as a file download."""
    paste_id = data["paste_id"]
    paste = paste_service.read(paste_id, caller, **_reading(paste_id))
    response = Response(paste.contents, mimetype="text/plain")
    response.headers.set(
        "Content-Disposition", "attachment", filename=paste_service.file_name(paste, paste_id)
    )
    return response


@bp.get("/paste/<paste_id>/attachment/<file_name>")
@endpoint(web_page, path=AttachmentPathIn, path_failure=NonexistentAttachmentFailure)
def attachment(data, caller):
    """An attachment, with its stored type, always as a download."""
    paste_id = data["paste_id"]
    found = paste_service.attachment(paste_id, data["file_name"], caller, **_reading(paste_id))
    return send_file(
        BytesIO(found.data),
        mimetype=found.mime_type,
        as_attachment=True,
        download_name=found.file_name,
    )
