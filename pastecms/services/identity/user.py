"""User rules: registration, profile, deactivation, API keys, password login."""

import re

from sqlalchemy import func, select

from pastecms.config import settings
from pastecms.errors import (
    AuthFailure,
    ConflictFailure,
    InvalidEmailFailure,
    NonexistentUserFailure,
    UsernameNotAvailableFailure,
    UserRegistrationDisabledFailure,
)
from pastecms.extensions import db
from pastecms.models import User
from pastecms.services import attempts, secret
from pastecms.services.identity import apikey, auth, devices, refresh_token
from pastecms.services.pastes import paste as paste_service

#: What failed logins are counted as (`services.attempts`).
LOGIN_ATTEMPTS = "login"
#: What a sign-in that does not tell an unknown account from a wrong password says.
WRONG_LOGIN = "The username or password is wrong."

# Deliberately plain: the only sure test of an address is a mail that arrives.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


def is_email_valid(email: str) -> bool:
    return len(email) <= 254 and _EMAIL.fullmatch(email) is not None


def by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def by_email(email: str) -> User | None:
    """The user with this email address (in any case; addresses are unique so); None
    when none has it."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def _check_email(email: str, user: User | None = None) -> None:
    """Refuse an address that is malformed (`InvalidEmailFailure`) or that another account
    has in any case (`ConflictFailure`): one signs in with it, so it names one account."""
    if not is_email_valid(email):
        raise InvalidEmailFailure()
    holder = by_email(email)
    if holder is not None and holder is not user:
        raise ConflictFailure("That email address belongs to another account.")


def is_username_available(username: str) -> bool:
    return by_username(username) is None


def create(
    username: str,
    password: str,
    *,
    name: str | None = None,
    email: str | None = None,
    is_admin: bool = False,
    enforce_registration_setting: bool = True,
) -> User:
    """Register a user and give them an API key; the key is on `user.api_key`, once.

    Raises `UserRegistrationDisabledFailure`, `UsernameNotAvailableFailure` (taken in any
    case), `InvalidEmailFailure` and `ConflictFailure` (the email is another account's).
    """
    if enforce_registration_setting and not settings().enable_user_registration:
        raise UserRegistrationDisabledFailure()
    if not is_username_available(username):
        raise UsernameNotAvailableFailure(f"The username {username!r} is not available.")
    if email:
        _check_email(email)
    user = User(
        username=username,
        password_hash=secret.hash_password(password),
        name=name or None,
        email=email or None,
        is_admin=is_admin,
        is_active=True,
    )
    db.session.add(user)
    db.session.flush()
    user.api_key = apikey.replace(user.id)
    return user


def update_profile(
    caller: User | None,
    *,
    name: str | None = None,
    email: str | None = None,
    current_password: str | None = None,
    new_password: str | None = None,
) -> User:
    """Change the caller's name, email or password (the last needs the current one).

    An empty string clears name or email; a missing or null field is left alone. A new
    password revokes the user's refresh tokens and ends their cookie sessions (the caller
    may sign its own back in: `auth.session_values`). Raises `AuthFailure`,
    `InvalidEmailFailure` and `ConflictFailure` (the email is another account's).
    """
    user = auth.require(caller)
    if email:
        _check_email(email, user)
    if new_password:
        if not secret.check_password(current_password, user.password_hash):
            raise AuthFailure("current_password is missing or wrong.")
        user.password_hash = secret.hash_password(new_password)
        refresh_token.revoke_all_for(user)
        auth.end_sessions(user)
    if name is not None:
        user.name = name or None
    if email is not None:
        user.email = email or None
    return user


def deactivate(caller: User | None) -> User:
    """Deactivate the caller, their pastes, API keys, refresh tokens and cookie sessions;
    `AuthFailure` if anonymous."""
    return _deactivate(auth.require(caller))


def deactivate_named(username: str) -> User:
    """Deactivate a user as `deactivate` does, by name (an operator's command). Raises
    `NonexistentUserFailure`."""
    return _deactivate(named(username))


def _deactivate(user: User) -> User:
    user.is_active = False
    auth.end_sessions(user)
    paste_service.deactivate_all_for(user)
    refresh_token.revoke_all_for(user)
    apikey.disable_all(user.id)
    return user


def named(username: str) -> User:
    """The user with this username (in any case); `NonexistentUserFailure` when none."""
    user = by_username(username)
    if user is None:
        raise NonexistentUserFailure(f"There is no user {username!r}.")
    return user


def everyone() -> list[User]:
    """Every user, the earliest first."""
    return list(db.session.scalars(select(User).order_by(User.id)))


def set_admin(username: str, is_admin: bool) -> User:
    """Make the user an admin (who owns the site's content), or no longer one. Raises
    `NonexistentUserFailure`."""
    user = named(username)
    user.is_admin = is_admin
    return user


def reset_password(username: str, password: str) -> User:
    """Give the user a new password, as an operator does for one who lost theirs: their
    refresh tokens are revoked and their cookie sessions end, as with a change of their
    own. Raises `NonexistentUserFailure`."""
    user = named(username)
    user.password_hash = secret.hash_password(password)
    refresh_token.revoke_all_for(user)
    auth.end_sessions(user)
    return user


def log_out(caller) -> User:
    """End every cookie session of the caller's user, this one and any saved copy of
    it; `AuthFailure` if anonymous."""
    user = auth.require(caller)
    auth.end_sessions(user)
    return user


def regenerate_api_key(caller: User | None) -> str:
    """Replace the caller's API keys with a new one and return it (shown only now).

    The user's refresh tokens are revoked and their cookie sessions ended too: a new key
    is what a user asks for who fears their credentials have leaked, so their other
    logins end with the old key.
    """
    user = auth.require(caller)
    refresh_token.revoke_all_for(user)
    auth.end_sessions(user)
    return apikey.replace(user.id)


def authenticate(
    username: str,
    password: str,
    *,
    address: str | None = None,
    allow_email: bool = False,
    device: str | None = None,
    tell_unknown: bool = True,
) -> User:
    """The active user with these credentials; with `allow_email`, `username` may be the
    user's email address instead (a username never holds an "@").

    Raises `NonexistentUserFailure` (as the reference API does: availability is public
    anyway; without `tell_unknown`, the same `AuthFailure` as a wrong password, as a
    person's sign-in form should), `AuthFailure` (wrong password) and `RateLimitFailure`,
    before any password is compared, when the account, or the client at `address`, has
    failed too often
    lately or has another password being checked (`attempts.comparing`). `device` is the
    client's device cookie: one the account signed in from is counted on its own
    (`services.identity.devices`).
    """
    if allow_email and "@" in username:
        user = by_email(username)
    else:
        user = by_username(username)
    # Per account when there is one, per name otherwise ("user:" and "name:" targets
    # never collide), as the JWT login counts them: guesses at one account share one
    # allowance whichever login they go through.
    target = f"user:{user.id}" if user is not None else f"name:{username.lower()}"
    known = devices.recognised(device, user.id if user is not None else None)
    with attempts.comparing(LOGIN_ATTEMPTS, target, address, known):
        if user is None or not user.is_active:
            attempts.failed(LOGIN_ATTEMPTS, target, address, known)
            raise NonexistentUserFailure() if tell_unknown else AuthFailure(WRONG_LOGIN)
        if not secret.check_password(password, user.password_hash):
            attempts.failed(LOGIN_ATTEMPTS, target, address, known)
            raise AuthFailure("The password is wrong." if tell_unknown else WRONG_LOGIN)
    return user
