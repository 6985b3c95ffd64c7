"""Tables. Models import only `extensions`; rules live in `pastecms.services`."""

from pastecms.models.apikey import ApiKey
from pastecms.models.paste import Attachment, Paste
from pastecms.models.site import (
    CustomField,
    FriendLink,
    Notification,
    SiteCounter,
    SiteVisitor,
    Talk,
    TalkLike,
    VisitCount,
)
from pastecms.models.token import RefreshToken
from pastecms.models.types import UTCDateTime, utcnow
from pastecms.models.user import User

__all__ = [
    "ApiKey",
    "Attachment",
    "CustomField",
    "FriendLink",
    "Notification",
    "Paste",
    "RefreshToken",
    "SiteCounter",
    "SiteVisitor",
    "Talk",
    "TalkLike",
    "User",
    "UTCDateTime",
    "VisitCount",
    "utcnow",
]
