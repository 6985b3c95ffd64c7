"""Tables. Models import only `extensions`; rules live in `pastecms.services`."""

from pastecms.models.apikey import ApiKey
from pastecms.models.content import (
    NEVER,
    Article,
    ArticleTag,
    ArticleTotal,
    Category,
    ContentVersion,
    Image,
    Setting,
    Tag,
)
from pastecms.models.highlight import Highlight
from pastecms.models.idempotency import IdempotencyKey
from pastecms.models.moderation import (
    REPORT_REASONS,
    BlockedNetwork,
    ModerationEntry,
    PasteReport,
)
from pastecms.models.paste import Attachment, Paste
from pastecms.models.site import (
    CustomField,
    FriendLink,
    Notification,
    SiteCounter,
    SiteFile,
    SiteVisitor,
    Talk,
    TalkLike,
    VisitCount,
    VisitDay,
    WebhookDelivery,
)
from pastecms.models.token import RefreshToken
from pastecms.models.types import UTCDateTime, utcnow
from pastecms.models.user import User

__all__ = [
    "NEVER",
    "REPORT_REASONS",
    "ApiKey",
    "BlockedNetwork",
    "Article",
    "ArticleTag",
    "ArticleTotal",
    "Attachment",
    "Category",
    "ContentVersion",
    "CustomField",
    "FriendLink",
    "Highlight",
    "IdempotencyKey",
    "Image",
    "ModerationEntry",
    "Notification",
    "Paste",
    "PasteReport",
    "RefreshToken",
    "Setting",
    "SiteCounter",
    "SiteFile",
    "SiteVisitor",
    "Tag",
    "Talk",
    "TalkLike",
    "User",
    "UTCDateTime",
    "VisitCount",
    "VisitDay",
    "WebhookDelivery",
    "utcnow",
]
