"""Ids: public paste ids, the integer id encrypted into a short URL-safe string; and the
new ids of the site's content (articles, tags, categories, images, article hashes).

One AES block holds a fixed marker and the id, so a string that does not decrypt to the
marker is not an id at all: garbage is told apart from a missing paste without a query,
and ids cannot be enumerated. The cipher is built once per app.
"""

import base64
import binascii
import functools
import re
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from ulid import ULID

from pastecms.app_cache import app_cache, keep
from pastecms.errors import NonexistentPasteFailure

_MARKER = b"pastecms"
_ENCODED = re.compile(r"[A-Za-z0-9_-]{22}")
# `pastes.id` is a 32-bit INTEGER on PostgreSQL: a larger id, bound as a parameter, is an
# "integer out of range" error there, so it is refused here as nonexistent.
_MAX_ID = 2**31 - 1


class PasteIds:
    def __init__(self, secret: str | bytes, encrypt: bool = True):
        self.encrypt = encrypt
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"pastecms paste ids"
        ).derive(secret)
        # A single-block cipher is a keyed permutation of 128-bit values, exactly what
        # hiding a counter needs; ECB is safe here because no block ever repeats.
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())
        # The same pastes head every recent and top page: each is encrypted once.
        self.encode = functools.lru_cache(maxsize=4096)(self._encode)

    def _encode(self, paste_id: int) -> str | int:
        """The public id of `paste_id` (as `encode`, which remembers them)."""
        if not self.encrypt:
            return paste_id
        block = self._cipher.encryptor().update(_MARKER + paste_id.to_bytes(8, "big"))
        return base64.urlsafe_b64encode(block).rstrip(b"=").decode("ascii")

    def decode(self, public_id) -> int:
        """The integer id behind `public_id`; `NonexistentPasteFailure` when there is none."""
        if not self.encrypt:
            return self._decode_plain(public_id)
        if not isinstance(public_id, str) or not _ENCODED.fullmatch(public_id):
            raise NonexistentPasteFailure()
        try:
            block = base64.urlsafe_b64decode(public_id + "==")
        except (binascii.Error, ValueError):
            raise NonexistentPasteFailure() from None
        plain = self._cipher.decryptor().update(block)
        if plain[:8] != _MARKER:
            raise NonexistentPasteFailure()
        return self._checked(int.from_bytes(plain[8:], "big"))

    def _decode_plain(self, public_id) -> int:
        if isinstance(public_id, bool):
            raise NonexistentPasteFailure()
        if isinstance(public_id, str) and public_id.isascii() and public_id.isdigit():
            public_id = int(public_id) if len(public_id) <= 19 else 0
        if not isinstance(public_id, int):
            raise NonexistentPasteFailure()
        return self._checked(public_id)

    @staticmethod
    def _checked(paste_id: int) -> int:
        if not 0 < paste_id <= _MAX_ID:
            raise NonexistentPasteFailure()
        return paste_id


def init_app(app):
    secret = app.config.get("PASTE_ID_KEY") or app.config["SECRET_KEY"]
    keep(app, "paste_ids", PasteIds(secret, app.config["ENCRYPT_PASTE_IDS"]))


def paste_ids() -> PasteIds:
    return app_cache("paste_ids")


def new_id() -> str:
    """A new id of an article, tag, category or image: 16 lowercase hex characters."""
    return secrets.token_hex(8)


def new_hash() -> str:
    """A new article hash: a ULID in lowercase."""
    return str(ULID()).lower()
