"""Devices an account has signed in from: OWASP's "device cookie" against lockout.

Failed logins are limited per account, so that guesses spread over many addresses are
slowed; but then anyone could keep an account locked by failing at it now and then. A
client that signed in to an account once gets a device cookie: a random nonce with the
account's id, signed with the app's secret key. A login that brings a valid one for the
account it names is counted on that device alone (still limited, should the device be
stolen), never on the account's or the address's counts, so the owner's right password
from a device that signed in before works while a stranger is locked out.
"""

import hashlib
import hmac
import secrets

from pastecms.config import settings

#: The cookie's name; it lives a year, and every sign-in gives a fresh one.
COOKIE = "pastecms_device"
MAX_AGE = 365 * 24 * 3600


def _signature(user_id: int, nonce: str) -> str:
    key = hmac.new(
        settings().secret_key.encode(), b"pastecms device cookie", hashlib.sha256
    ).digest()
    return hmac.new(key, f"{user_id}.{nonce}".encode(), hashlib.sha256).hexdigest()


def issue(user_id: int) -> str:
    """A new device cookie's value for `user_id`."""
    nonce = secrets.token_urlsafe(16)
    return f"{user_id}.{nonce}.{_signature(user_id, nonce)}"


def recognised(cookie: str | None, user_id: int | None) -> str | None:
    """The device's nonce when `cookie` is a device cookie this app signed for
    `user_id`; None otherwise (no cookie, another account's, forged)."""
    if not cookie or user_id is None:
        return None
    claimed, _, rest = cookie.partition(".")
    nonce, _, signature = rest.partition(".")
    if claimed != str(user_id) or not nonce or not signature:
        return None
    if not hmac.compare_digest(signature, _signature(user_id, nonce)):
        return None
    return nonce
