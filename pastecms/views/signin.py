"""Cookie sign-in, shared by the faces that start a session (the JSON login and the web
pages): what the session holds, and who it holds."""

import functools

from flask import after_this_request, current_app, redirect, request, session, url_for

from pastecms.services.identity import auth, devices


def sign_in(user, remember: bool = False) -> None:
    """Start a fresh session for `user` (nothing of the one before survives it), and
    remember the device it was started from."""
    session.clear()
    session.update(auth.session_values(user))
    session.permanent = remember
    remember_device(user.id)


def device_cookie() -> str | None:
    """The client's device cookie, if it sent one (`services.identity.devices`)."""
    return request.cookies.get(devices.COOKIE)


def remember_device(user_id: int) -> None:
    """Send this client a fresh device cookie for `user_id` with the answer: its later
    logins to the account are counted on their own (`services.identity.devices`)."""
    value = devices.issue(user_id)

    @after_this_request
    def set_device_cookie(response):
        response.set_cookie(
            devices.COOKIE,
            value,
            max_age=devices.MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        return response


def stay_signed_in(caller: auth.Caller) -> None:
    """After a change that ended the user's sessions, keep the caller's own."""
    if caller.via == auth.SESSION:
        session.update(auth.session_values(caller.user))


def sign_out() -> None:
    session.clear()


def signed_in_user():
    """The user the session cookie signs in, for a page's header; None otherwise."""
    if not session or auth.SESSION_USER_ID not in session:
        return None
    return auth.session_user(
        session.get(auth.SESSION_USER_ID), session.get(auth.SESSION_GENERATION)
    )


def signed_in(view):
    """A page for a signed-in user: a visitor is sent to sign in first, then back to the
    page (a form's post: to the account page, since a redirect cannot post again)."""

    @functools.wraps(view)
    def wrapper(data, caller):
        if not caller.is_authenticated:
            get = request.method == "GET"
            back = request.full_path.rstrip("?") if get else url_for("accounts.account")
            return redirect(url_for("accounts.login", next=back), code=303)
        return view(data, caller)

    return wrapper
