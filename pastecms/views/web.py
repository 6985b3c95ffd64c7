"""The web face: a paste form for people, and the pages a paste's `url` points to."""

import functools
from io import BytesIO

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from marshmallow import ValidationError
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from pastecms.api import params_failure
from pastecms.errors import Failure, NonexistentAttachmentFailure
from pastecms.extensions import csrf, db, limiter
from pastecms.models import utcnow
from pastecms.schemas.web import (
    EXPIRY_CHOICES,
    AttachmentPathIn,
    PasteFormIn,
    UnlockFormIn,
    UploadIn,
)
from pastecms.services import auth
from pastecms.services import paste as paste_service
from pastecms.views.envelopes import web_page

bp = Blueprint("web", __name__)


@bp.before_request
def check_csrf_token():
    """Every form post carries the token its page was served with (Flask-WTF checks
    the methods that post: WTF_CSRF_METHODS)."""
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


LANGUAGES = [
    "text", "bash", "c", "cpp", "csharp", "css", "diff", "go", "haskell", "html", "ini",
    "java", "javascript", "json", "kotlin", "lua", "make", "markdown", "perl", "php",
    "python", "ruby", "rust", "scala", "sql", "swift", "toml", "typescript", "xml", "yaml",
]  # fmt: skip
_FORMATTER = HtmlFormatter(linenos="table", cssclass="highlight", wrapcode=True)
_UNLOCKED_KEEP = 50  # protected pastes a session remembers as unlocked


def page(form_template: str | None = None):
    """Commit after a page view; render a `Failure` as a page, or the form again."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(**url_args):
            try:
                response = view(**url_args)
                db.session.commit()
                return response
            except Failure as failure:
                db.session.rollback()
                if form_template is None:
                    return web_page.failure(failure)
                return _render_form(form_template, failure, failure.status)

        return wrapper

    return decorate


def _render_form(template: str, failure: Failure | None = None, status: int = 200, **extra):
    html = render_template(
        template,
        failure=failure,
        form=request.form,
        languages=LANGUAGES,
        expiry_choices=list(EXPIRY_CHOICES),
        **extra,
    )
    return Response(html, status=status, mimetype="text/html")


def _caller():
    return auth.resolve(session_user_id=session.get("user_id"))


def _form(schema_class, source) -> dict:
    try:
        return schema_class().load(source)
    except ValidationError as error:
        raise params_failure(error) from None


def _is_unlocked(paste_id: str) -> bool:
    return paste_id in session.get("unlocked", [])


def _remember_unlocked(paste_id: str) -> None:
    unlocked = [pid for pid in session.get("unlocked", []) if pid != paste_id]
    session["unlocked"] = [*unlocked, paste_id][-_UNLOCKED_KEEP:]


@bp.get("/")
def index():
    """The paste form."""
    return _render_form("index.html")


def _submit_limit():
    return current_app.config["RATELIMIT_SUBMIT"]


@bp.post("/")
@limiter.limit(_submit_limit)
@page(form_template="index.html")
def create():
    """Create a paste from the form and show it."""
    data = _form(PasteFormIn, request.form)
    lifetime = EXPIRY_CHOICES[data.pop("expires_in")]
    limit = current_app.config["MAX_ATTACHMENT_SIZE"]
    attachments = [
        _form(
            UploadIn,
            {
                "name": upload.filename,
                "mime_type": upload.mimetype or "application/octet-stream",
                # One byte over the limit is enough for the service to refuse it.
                "data": upload.read(limit + 1),
            },
        )
        for upload in request.files.getlist("attachments")
        if upload.filename
    ]
    paste = paste_service.submit(
        data.pop("contents"),
        _caller(),
        expiry_time=utcnow() + lifetime if lifetime else None,
        attachments=attachments,
        **data,
    )
    public_id = str(paste.public_id)
    if paste.is_password_protected:
        _remember_unlocked(public_id)
    # Through the session, not the URL: a token in a query string ends up in logs.
    flash(paste.deactivation_token, "deactivation_token")
    return redirect(url_for("web.show", paste_id=public_id))


@bp.route("/paste/<paste_id>", methods=["GET", "POST"])
@page()
def show(paste_id):
    """A paste, highlighted; a protected one asks for its password first."""
    unlocked = _is_unlocked(paste_id)
    if request.method == "POST":
        password = _form(UnlockFormIn, request.form)["password"]
        paste = paste_service.read(paste_id, password)
        _remember_unlocked(paste_id)
    else:
        try:
            paste = paste_service.read(paste_id, unlocked=unlocked)
        except Failure as failure:
            if failure.status != 401:
                raise
            return _render_form("unlock.html", paste_id=paste_id)
    html = render_template(
        "paste.html",
        paste=paste,
        paste_id=paste_id,
        highlighted=_highlight(paste.contents, paste.language),
    )
    return Response(html, mimetype="text/html")


def _highlight(contents: str, language: str) -> str:
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    return highlight(contents, lexer, _FORMATTER)


@bp.get("/paste/<paste_id>/raw")
@page()
def raw(paste_id):
    """The contents as plain text."""
    paste = paste_service.read(paste_id, unlocked=_is_unlocked(paste_id))
    return Response(paste.contents, mimetype="text/plain")


@bp.get("/paste/<paste_id>/download")
@page()
def download(paste_id):
    """The contents as a file download."""
    paste = paste_service.read(paste_id, unlocked=_is_unlocked(paste_id))
    response = Response(paste.contents, mimetype="text/plain")
    response.headers.set("Content-Disposition", "attachment", filename=f"{paste_id}.txt")
    return response


@bp.get("/paste/<paste_id>/attachment/<file_name>")
@page()
def attachment(paste_id, file_name):
    """An attachment, with its stored type, always as a download."""
    try:
        # A name no attachment could be stored under (NUL, a control character, too long)
        # names none: refused here, before the database sees it.
        file_name = AttachmentPathIn().load({"name": file_name})["file_name"]
    except ValidationError:
        raise NonexistentAttachmentFailure() from None
    found = paste_service.attachment(paste_id, file_name, unlocked=_is_unlocked(paste_id))
    return send_file(
        BytesIO(found.data),
        mimetype=found.mime_type,
        as_attachment=True,
        download_name=found.file_name,
    )
