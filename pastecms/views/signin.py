"""Cookie sign-in, shared by the faces that start a session (the JSON login and the web
pages): what the session holds, and who it holds."""

from flask import session

from pastecms.services import auth


def sign_in(user, remember: bool = False) -> None:
    """Start a fresh session for `user` (nothing of the one before survives it)."""
    session.clear()
    session.update(auth.session_values(user))
    session.permanent = remember


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
