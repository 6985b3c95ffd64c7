"""Tables. Models import only `extensions`; rules live in `pastecms.services`."""

from pastecms.models.apikey import ApiKey
from pastecms.models.content import (
    NEVER,
    Article,
    ArticleTag,
    ArticleTotal,
    Category,
    Image,
    Setting,
    Tag,
)
from pastecms.models.paste import Attachment, Paste
from pastecms.models.types import UTCDateTime, utcnow
from pastecms.models.user import User

__all__ = [
    "NEVER",
    "ApiKey",
    "Article",
    "ArticleTag",
    "ArticleTotal",
    "Attachment",
    "Category",
    "Image",
    "Paste",
    "Setting",
    "Tag",
    "User",
    "UTCDateTime",
    "utcnow",
]
