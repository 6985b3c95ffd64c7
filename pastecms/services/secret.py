"""Hashing and comparing secrets: passwords with bcrypt, tokens and keys with SHA-256.

bcrypt costs a quarter of a second of CPU by design, and a wrong guess costs as much as
a right password. It runs outside Python's lock, in a few threads of its own per process
at a lower scheduling priority (Linux), so that on a busy machine the kernel serves the
requests that only read before the guesses (`make hostile`), and a process hashes at most
that many at once.
"""

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt

from pastecms.config import settings

_BCRYPT_THREADS = 2
_BCRYPT_NICENESS = 10
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lower_this_threads_priority() -> None:
    # On Linux a thread has a nice value of its own (setpriority(2) on its thread id); a
    # process may raise it but not lower it again, so these threads do nothing else.
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _BCRYPT_NICENESS)


def _in_bcrypt_thread(function, *args):
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    _BCRYPT_THREADS, "bcrypt", initializer=_lower_this_threads_priority
                )
    return _pool.submit(function, *args).result()


def _forget_pool() -> None:
    # A forked child (a gunicorn worker of a preloading master) has none of the threads,
    # and a lock held by one of them at the fork would stay held.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _bcrypt_input(password: str) -> bytes:
    # bcrypt reads at most 72 bytes and stops at NUL; hashing first lets any password of
    # any length count in full.
    digest = hashlib.sha256(password.encode("utf-8")).digest()
    return base64.b64encode(digest)


def hash_password(password: str) -> str:
    rounds = settings().bcrypt_rounds
    hashed = _in_bcrypt_thread(bcrypt.hashpw, _bcrypt_input(password), bcrypt.gensalt(rounds))
    return hashed.decode("ascii")


def check_password(password: str, password_hash: str | None) -> bool:
    """True when `password` matches; constant-time inside bcrypt."""
    if not password_hash or not isinstance(password, str):
        return False
    try:
        return _in_bcrypt_thread(
            bcrypt.checkpw, _bcrypt_input(password), password_hash.encode("ascii")
        )
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
