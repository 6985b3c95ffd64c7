"""Hashing and comparing secrets: passwords with bcrypt, tokens and keys with SHA-256."""

import base64
import hashlib
import hmac
import secrets

import bcrypt
from flask import current_app


def _bcrypt_input(password: str) -> bytes:
    # bcrypt reads at most 72 bytes and stops at NUL; hashing first lets any password of
    # any length count in full.
    digest = hashlib.sha256(password.encode("utf-8")).digest()
    return base64.b64encode(digest)


def hash_password(password: str) -> str:
    rounds = current_app.config["BCRYPT_ROUNDS"]
    return bcrypt.hashpw(_bcrypt_input(password), bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, password_hash: str | None) -> bool:
    """True when `password` matches; constant-time inside bcrypt."""
    if not password_hash or not isinstance(password, str):
        return False
    try:
        return bcrypt.checkpw(_bcrypt_input(password), password_hash.encode("ascii"))
    except ValueError:
        return False


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token (256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, token_hash: str | None) -> bool:
    if not token or not token_hash:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)
