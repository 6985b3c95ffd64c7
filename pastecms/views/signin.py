"""Cookie sign-in, shared by the faces that start a session (the JSON login and the web
pages): what the session holds, and who it holds."""

from flask import session
from sqlalchemy.exc import SQLAlchemyError

from pastecms.extensions import db
from pastecms.models import User
from pastecms.services import auth


def sign_in(user: User, remember: bool = False) -> None:
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


def signed_in_user() -> User | None:
    """The user the session cookie signs in, for showing who is signed in (a page's
    header); None when anonymous, stale, or the database cannot say."""
    if not session or auth.SESSION_USER_ID not in session:
        return None
    user_id = session.get(auth.SESSION_USER_ID)
    generation = session.get(auth.SESSION_GENERATION)
    if type(user_id) is not int or type(generation) is not int:
        return None
    credentials = auth.Credentials(session_user_id=user_id, session_generation=generation)
    try:
        return auth.resolve(credentials).user
    except SQLAlchemyError:
        db.session.rollback()
        return None
