"""The web face's CSRF check, refusing with a failure that says why it failed."""

from flask import current_app, request
from flask_wtf.csrf import CSRFError

from pastecms.errors import CsrfFailure
from pastecms.extensions import csrf

#: The session cookie is secure-only (the production config) and the page came over
#: plain HTTP: the browser keeps the cookie to itself, so no form can ever pass.
INSECURE_TRANSPORT = (
    "The form could not be checked: its session cookie did not come back. This server "
    "sends that cookie over HTTPS only (PASTECMS_SESSION_COOKIE_SECURE is true, as in the "
    "production config) and this page came over plain HTTP, so the browser kept it. "
    "Serve the site over HTTPS (README, Deploy), or on a server without TLS set "
    "PASTECMS_SESSION_COOKIE_SECURE=false."
)
NO_COOKIE = (
    "The form could not be checked: the browser did not send its session cookie back. "
    "Allow cookies for this site, reload the form and submit again."
)


def protect() -> None:
    """Check a posted form's CSRF token against the session (when WTF_CSRF_ENABLED);
    raises `CsrfFailure`, naming the cause a person can mend."""
    if not current_app.config["WTF_CSRF_ENABLED"]:
        return
    try:
        csrf.protect()
    except CSRFError:
        raise CsrfFailure(_cause()) from None


def _cause() -> str | None:
    app = current_app
    if app.session_interface.get_cookie_name(app) in request.cookies:
        return None  # the token is missing, stale or foreign: the default message
    if app.config["SESSION_COOKIE_SECURE"] and not request.is_secure:
        return INSECURE_TRANSPORT
    return NO_COOKIE
