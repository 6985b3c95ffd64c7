"""Tables. Models import only `extensions`; rules live in `pastecms.services`."""

from pastecms.models.apikey import ApiKey
from pastecms.models.highlight import Highlight
from pastecms.models.idempotency import IdempotencyKey
from pastecms.models.paste import Attachment, Paste
from pastecms.models.types import UTCDateTime, utcnow
from pastecms.models.user import User

__all__ = [
    "ApiKey",
    "Attachment",
    "Highlight",
    "IdempotencyKey",
    "Paste",
    "User",
    "UTCDateTime",
    "utcnow",
]
