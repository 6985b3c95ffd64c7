"""The content webhook: one URL (the `webhook_url` setting) told of every change of the
site's content (an article created, changed or deleted through any face, a site file
saved or deleted).

A change is noted on the session while the request runs (`content_changed`); once the
transaction commits, the changes go out as one small JSON POST from a background thread
that waits at most WEBHOOK_TIMEOUT seconds. A rolled-back change is never announced, and
a webhook that is slow, down or failing is logged and never holds up or fails a request.
"""

import json
import logging
import secrets
import threading
import urllib.parse
import urllib.request

from flask import current_app
from sqlalchemy import event, select

from pastecms.errors import InvalidParamsFailure
from pastecms.extensions import db
from pastecms.models import Setting, utcnow

SETTING = "webhook_url"
#: The changes one POST lists at most (an import may change thousands of articles).
MAX_CHANGES = 50
_PENDING = "webhook_pending"
_TIMEOUT = 2**31

log = logging.getLogger(__name__)


def create(uri: str) -> dict:
    """Make `uri` (http or https) the content webhook, replacing any other: answers the
    `token` made for it and the `webhook_url` that is called, `uri` with `token=<token>`
    added to its query so the receiver can tell our calls from others'. Raises
    `InvalidParamsFailure` for any other kind of address."""
    if not is_web_url(uri):
        raise InvalidParamsFailure(
            "uri: Must be an http or https URL.", details={"uri": "Must be an http or https URL."}
        )
    token = secrets.token_urlsafe(24)
    webhook_url = uri + ("&" if urllib.parse.urlsplit(uri).query else "?") + f"token={token}"
    stored = db.session.get(Setting, SETTING)
    if stored is None:
        db.session.add(Setting(key=SETTING, value=webhook_url, updated_at=utcnow()))
    else:
        stored.value, stored.updated_at = webhook_url, utcnow()
    db.session.flush()
    return {"token": token, "webhook_url": webhook_url}


def is_web_url(value) -> bool:
    """Whether `value` is an absolute http(s) URL with a host, and no spaces."""
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def content_changed(kind: str, action: str, key: str) -> None:
    """Note that a piece of content (`kind` "article" or "file", by `key`, its slug, hash
    or path) was `action` ("saved" or "deleted"), to announce after the commit."""
    info = db.session.info
    pending = info.get(_PENDING)
    if pending is None:
        # Looked up once per transaction (an import changes many articles in one).
        url = db.session.scalar(select(Setting.value).where(Setting.key == SETTING))
        pending = info[_PENDING] = {
            "url": url,
            "timeout": current_app.config["WEBHOOK_TIMEOUT"],
            "changes": [],
            "count": 0,
        }
    if not pending["url"]:
        return
    pending["count"] += 1
    if len(pending["changes"]) < MAX_CHANGES:
        pending["changes"].append({"type": kind, "action": action, "key": key})


@event.listens_for(db.session, "after_commit")
def _announce(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None or not pending["changes"]:
        return
    body = json.dumps(
        {"event": "content_changed", "count": pending["count"], "changes": pending["changes"]}
    ).encode()
    threading.Thread(
        target=_post, args=(pending["url"], body, pending["timeout"]), daemon=True
    ).start()


@event.listens_for(db.session, "after_soft_rollback")
def _forget(session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def _post(url: str, body: bytes, timeout: float) -> None:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "pastecms-webhook"},
    )
    try:
        with urllib.request.urlopen(request, timeout=min(timeout, _TIMEOUT)) as response:
            response.read(1024)
    except Exception as error:  # noqa: BLE001 - any failure of the hook is only logged
        log.warning("The content webhook %s failed: %s", url.split("?")[0], error)
