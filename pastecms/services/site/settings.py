"""Site settings: a fixed set of known keys, each a string.

The CMS face reads and writes them through `get_all` and `update`, so a key nobody knows
is never stored; `repair` puts missing or invalid ones back to their defaults.
The table also keeps a key of the server's own (the webhook's URL), which `get_all`
never shows.
"""

import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from pastecms.errors import InvalidParamsFailure
from pastecms.extensions import db
from pastecms.models import Setting
from pastecms.services import clock

#: The keys a site has, and what each means (README, "Site settings").
KEYS = (
    "site_name",  # the site's title
    "site_description",
    "site_url",  # its public address, http(s)
    "site_language",  # e.g. "en", "ja"
    "author_name",
    "author_email",
    "footer_text",
    "social_github",  # profile URLs, http(s)
    "social_twitter",
    "social_mastodon",
)
URL_KEYS = ("site_url", "social_github", "social_twitter", "social_mastodon")
#: Keys that may be removed but never set to a blank value.
NOT_BLANK = ("site_name",)
#: A key the server keeps for itself (`services.content.webhook`), never shown by `get_all`.
WEBHOOK_KEY = "webhook_url"
MAX_VALUE = 2000


#: What `repair` puts in place of a missing or invalid setting.
DEFAULTS = {key: "" for key in KEYS} | {"site_name": "My Site", "site_language": "en"}
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")


def repair() -> int:
    """Put every setting that is missing or invalid back to its default (and drop a
    webhook URL that is not http(s)); returns how many it changed."""
    stored = {row.key: row for row in db.session.scalars(select(Setting))}
    repaired = {}
    for key in KEYS:
        row = stored.get(key)
        if row is None or not _valid(key, row.value):
            repaired[key] = DEFAULTS[key]
    webhook = stored.get(WEBHOOK_KEY)
    if webhook is not None and not _is_web_url(webhook.value):
        repaired[WEBHOOK_KEY] = None
    stamp = clock.now()
    for key, value in repaired.items():
        _store(key, value, stamp)
    db.session.flush()
    return len(repaired)


def _valid(key: str, value) -> bool:
    if not isinstance(value, str) or len(value) > MAX_VALUE:
        return False
    if key in NOT_BLANK and not value.strip():
        return False
    if key in URL_KEYS and value and not _is_web_url(value):
        return False
    if key == "site_language" and value and not _LANGUAGE.match(value):
        return False
    return True


def get_all() -> dict:
    """`{"settings": {key: value}, "updated_at": the latest change or None}`."""
    # Only the public keys: the table also keeps the server's own (the webhook's URL).
    rows = list(
        db.session.scalars(select(Setting).where(Setting.key.in_(KEYS)).order_by(Setting.key))
    )
    return {
        "settings": {row.key: row.value for row in rows},
        "updated_at": max((row.updated_at for row in rows), default=None),
    }


def update(values: dict) -> dict:
    """Store the values given (None removes a setting) and return `get_all()`.

    Raises `InvalidParamsFailure` naming each unknown key, each blank site name and each
    URL that is not http(s).
    """
    problems = {}
    for key, value in values.items():
        if key not in KEYS:
            problems[str(key)] = "Unknown setting."
        elif value is not None and not isinstance(value, str):
            problems[key] = "Not a valid string."
        elif key in NOT_BLANK and value is not None and not value.strip():
            problems[key] = "Must not be blank."
        elif key in URL_KEYS and value and not _is_web_url(value):
            problems[key] = "Must be an http or https URL."
    if problems:
        text = "; ".join(f"{key}: {message}" for key, message in problems.items())
        raise InvalidParamsFailure(text[:500], details=problems)
    stamp = clock.now()
    for key, value in values.items():
        _store(key, value, stamp)
    db.session.flush()
    return get_all()


def _store(key: str, value: str | None, stamp: datetime) -> None:
    row = db.session.get(Setting, key)
    if value is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(Setting(key=key, value=value, updated_at=stamp))
    elif row.value != value:
        row.value = value
        row.updated_at = stamp


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
