"""Who is calling: one resolver for every credential a request can carry.

A request may carry an API key as a request parameter (in a JSON body, a query string
or a form), an `Authorization: Bearer` header holding an API key or a JWT access token,
and a session cookie. `resolve` turns them into one `Caller`; the precedence between
them lives here and nowhere else.
"""

from dataclasses import dataclass, field, replace

from sqlalchemy.exc import SQLAlchemyError

from pastecms.errors import AuthFailure, ForbiddenFailure
from pastecms.extensions import db
from pastecms.models import User
from pastecms.queries import callers
from pastecms.services import secret
from pastecms.services.identity import tokens

API_KEY = "api_key"
ACCESS_TOKEN = "access_token"
SESSION = "session"

MAX_API_KEY_LENGTH = 256

# The keys of a signed-in session cookie (see `session_values`).
SESSION_USER_ID = "user_id"
SESSION_GENERATION = "generation"


@dataclass(frozen=True)
class Credentials:
    """What a request presents, as plain values (the request path gathers them)."""

    #: The value of `Authorization: Bearer <value>`: an API key or a JWT access token.
    bearer: str | None = None
    #: An API key sent as a request parameter.
    api_key: str | None = None
    #: The user id a signed session cookie holds.
    session_user_id: int | None = None
    #: The user's session generation the cookie was signed in under.
    session_generation: int | None = None
    #: Whether only a script or a page of this site could have sent the request: a safe
    #: method, a JSON body (a cross-site form cannot send one without CORS consent, which
    #: no API face gives), or a form carrying its CSRF token (the web face checks it).
    #: A session cookie alone authenticates nothing else.
    same_site: bool = True
    #: The client's address (after the trusted proxies), for limits and likes.
    address: str | None = None
    #: The verified claims of a JWT bearer, once `screen` has checked it.
    claims: dict | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Caller:
    """The user behind a request (none when anonymous) and how they proved it.

    Resolving a caller reads only who they are (`user_id`, `is_admin`), with one small
    query: most requests need no more. `user`, the `User` itself, is loaded on first use,
    by the views and services that change or show the account.
    """

    user_id: int | None = None
    via: str | None = None
    address: str | None = None
    is_admin: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def user(self) -> User | None:
        """The caller's `User`: one query on first use in a request, the session's
        identity map after that."""
        return db.session.get(User, self.user_id) if self.user_id is not None else None


ANONYMOUS = Caller()


def screen(credentials: Credentials) -> Credentials:
    """Check a JWT bearer before anything else is read: a token past its expiry is a
    `TokenExpiredFailure` (HTTP 440, so the client renews and retries), any other bad
    token an `AuthFailure`. Needs no query; returns the credentials with the claims."""
    if credentials.bearer is not None and tokens.looks_like_jwt(credentials.bearer):
        return replace(credentials, claims=tokens.decode(credentials.bearer, tokens.ACCESS))
    return credentials


def resolve(credentials: Credentials) -> Caller:
    """The caller behind the credentials.

    Precedence: an API key sent as a parameter, then the bearer (a JWT access token or
    an API key), then the session; none of them is anonymous. A credential that is given
    but not valid (unknown, disabled, its user deactivated) is an `AuthFailure`, never a
    silent fall back to the next one or to anonymous. A stale session is anonymous (its
    user deactivated, or its generation ended by a logout, a password change or a new API
    key), and so is a session on a request another site could have made: the cookie is
    ignored.
    """
    address = credentials.address
    if credentials.api_key is not None:
        return _caller(key_owner(credentials.api_key), API_KEY, address)
    if credentials.bearer is not None:
        if credentials.claims is None:
            credentials = screen(credentials)
        if credentials.claims is not None:
            return _caller(_claimed_user(credentials.claims), ACCESS_TOKEN, address)
        return _caller(key_owner(credentials.bearer), API_KEY, address)
    if credentials.session_user_id is not None and credentials.same_site:
        found = callers.active_user(credentials.session_user_id)
        if found is not None and credentials.session_generation == found.session_generation:
            return _caller(found, SESSION, address)
    return Caller(address=address)


def _caller(found, via: str, address: str | None) -> Caller:
    return Caller(found.id, via, address, found.is_admin)


def session_values(user: User) -> dict:
    """What a session cookie holds to sign `user` in: their id and current session
    generation. The cookie is signed, so neither can be forged; `end_sessions` retires
    every cookie holding an older generation."""
    return {SESSION_USER_ID: user.id, SESSION_GENERATION: user.session_generation}


def session_user(user_id, generation) -> User | None:
    """The user a session cookie holding these values signs in, to name on a page (who
    is signed in); None when anonymous, stale, or the database cannot say (an error page
    for a database that is down still renders)."""
    if type(user_id) is not int or type(generation) is not int:
        return None
    credentials = Credentials(session_user_id=user_id, session_generation=generation)
    try:
        return resolve(credentials).user
    except SQLAlchemyError:
        db.session.rollback()
        return None


def end_sessions(user: User) -> None:
    """End every cookie session of `user`, on every device: the next request with a
    cookie signed in before is anonymous. Counted in SQL, so two racing calls both
    count; the attribute reloads on its next read."""
    user.session_generation = User.session_generation + 1
    db.session.flush()


def _claimed_user(claims: dict):
    found = callers.active_user(claims["user_id"])
    if found is None:
        raise AuthFailure("The token is not valid.")
    return found


def key_owner(api_key):
    """The identity (`queries.callers.IDENTITY`) of the owner of an enabled API key;
    `AuthFailure` otherwise."""
    if not isinstance(api_key, str) or not api_key or len(api_key) > MAX_API_KEY_LENGTH:
        raise AuthFailure("The API key is not valid.")
    found = callers.key_owner(secret.hash_token(api_key))
    # The lookup is by hash already; comparing again in constant time costs nothing and
    # keeps the check honest if the lookup ever changes.
    if found is None or not secret.token_matches(api_key, found.key_hash):
        raise AuthFailure("The API key is not valid.")
    return found


def check(caller: Caller, *, admin: bool = False) -> None:
    """Refuse `caller` unless signed in (and an admin, with `admin`), without loading
    their `User`: `AuthFailure` when anonymous, else `ForbiddenFailure`."""
    if caller.user_id is None:
        raise AuthFailure("This endpoint requires an API key or a login.")
    if admin and not caller.is_admin:
        raise ForbiddenFailure("Only an admin may do this.")


def require(caller: Caller) -> User:
    """The caller's user, or `AuthFailure` when the request is anonymous."""
    check(caller)
    return caller.user


def require_admin(caller: Caller) -> User:
    """The caller's user when an admin; `AuthFailure` when anonymous, else
    `ForbiddenFailure`."""
    check(caller, admin=True)
    return caller.user
