"""The content webhook: one URL (the `webhook_url` setting) told of every change of the
site's content (an article created, changed or deleted through any face, a site file
saved or deleted).

A change is noted on the session while the request runs (`content_changed`); once the
transaction commits, the changes go out as one small JSON POST from a background thread
that waits at most WEBHOOK_TIMEOUT seconds. A rolled-back change is never announced, and
a webhook that is slow, down or failing is logged and never holds up or fails a request.

Whoever sets the webhook chooses where the server sends requests, so the webhook never
calls the server's own machine or networks (OWASP's SSRF cheat sheet): its host must
resolve to public addresses only, unless WEBHOOK_ALLOWED_NETWORKS lists them. That is
checked when it is created and again at each call, which connects to the very addresses
it checked, never follows a redirect, and logs the URL without its credentials or query.
"""

import base64
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import string
import threading
import time
import urllib.parse
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import delete, event, select

from pastecms import metrics
from pastecms.config import settings
from pastecms.errors import Failure, InvalidParamsFailure
from pastecms.extensions import db
from pastecms.models import Setting, WebhookDelivery, utcnow

SETTING = "webhook_url"
#: The changes one POST lists at most (an import may change thousands of articles).
MAX_CHANGES = 50
#: The deliveries kept (`WebhookDelivery`), the newest: enough to see a pattern, never a
#: table that grows with the site's traffic.
KEEP_DELIVERIES = 50
_PENDING = "webhook_pending"
_TIMEOUT = 2**31
_PORTS = {"http": http.client.HTTP_PORT, "https": http.client.HTTPS_PORT}
#: IPv6 prefixes that carry an IPv4 address a packet may end up at: 6to4 and NAT64's
#: well-known prefix (IPv4-mapped addresses are `ipv4_mapped`).
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def create(uri: str) -> dict:
    """Make `uri` (http or https, on a public address or one of WEBHOOK_ALLOWED_NETWORKS)
    the content webhook, replacing any other: answers the `token` made for it and the
    `webhook_url` that is called, `uri` with `token=<token>` added to its query so the
    receiver can tell our calls from others'. Raises `InvalidParamsFailure` for any other
    kind of address, or a host that does not resolve (`check_destination`)."""
    check_destination(uri, allowed_networks())
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


# -- where a webhook may go -------------------------------------------------------------


def networks(setting) -> tuple[Network, ...]:
    """The networks a WEBHOOK_ALLOWED_NETWORKS value lists: a list of CIDRs (or single
    addresses), or one comma-separated string of them. Raises `ValueError` saying which
    item is not one."""
    if isinstance(setting, str):
        setting = [item.strip() for item in setting.split(",") if item.strip()]
    if not isinstance(setting, list | tuple):
        raise ValueError(f"must be a list of networks (CIDRs), not {setting!r}.")
    parsed = []
    for item in setting:
        if not isinstance(item, str):
            raise ValueError(f"{item!r} is not a network (CIDR), such as 10.0.0.0/8.")
        # Strict: 10.0.0.1/8 is refused rather than read as all of 10.0.0.0/8.
        parsed.append(ipaddress.ip_network(item.strip(), strict=True))
    return tuple(parsed)


def settings_problem(config) -> str | None:
    """What is wrong with WEBHOOK_ALLOWED_NETWORKS in `config`, or None: checked when the
    app starts, so a typo refuses to start rather than refuses every webhook."""
    try:
        networks(config["WEBHOOK_ALLOWED_NETWORKS"])
    except ValueError as error:
        return f"PASTECMS_WEBHOOK_ALLOWED_NETWORKS: {error}"
    return None


def allowed_networks() -> tuple[Network, ...]:
    """The internal networks the operator lets webhooks call (WEBHOOK_ALLOWED_NETWORKS of
    the current app, checked at start)."""
    return networks(settings().webhook_allowed_networks)


@dataclass(frozen=True)
class Destination:
    """A webhook URL taken apart, with the addresses its host resolved to, each checked."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    credentials: tuple[str, str] | None
    addresses: tuple[tuple[int, tuple], ...]  # (family, sockaddr) as getaddrinfo gives


def check_destination(url: str, allowed: tuple[Network, ...] = ()) -> Destination:
    """Where a call to `url` may go: an http(s) URL whose host resolves (now) to
    addresses that are all public, or inside `allowed`. Every address counts, since a
    client may connect to any of them.

    Raises `InvalidParamsFailure` saying why not: not http(s), a host that does not
    resolve, or one address that is loopback, private, link-local (169.254.169.254, the
    clouds' metadata service), multicast, unspecified, reserved or otherwise not public,
    written as itself or inside an IPv6 one (::ffff:127.0.0.1).
    """
    if not is_web_url(url):
        raise _refused("Must be an http or https URL.")
    parts = urllib.parse.urlsplit(url)
    port = parts.port or _PORTS[parts.scheme]
    try:
        answers = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        answers = []
    addresses = []
    for family, _, _, _, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        for address in _judged(ipaddress.ip_address(sockaddr[0])):
            kind = _internal_kind(address)
            if kind and not any(address in network for network in allowed):
                raise _refused(
                    f"Its host {parts.hostname} is {kind} address ({address}): webhooks "
                    "call public addresses only, or those PASTECMS_WEBHOOK_ALLOWED_NETWORKS "
                    "lists."
                )
        addresses.append((family, sockaddr))
    if not addresses:
        raise _refused(f"Its host {parts.hostname} does not resolve.")
    credentials = None
    if parts.username is not None:
        password = urllib.parse.unquote(parts.password or "")
        credentials = (urllib.parse.unquote(parts.username), password)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # Printable ASCII is sent as written; anything else (which a request line cannot
    # carry) percent-encoded, as a browser would.
    target = urllib.parse.quote(target, safe=string.punctuation)
    return Destination(parts.scheme, parts.hostname, port, target, credentials, tuple(addresses))


def _refused(why: str) -> InvalidParamsFailure:
    return InvalidParamsFailure(f"uri: {why}", details={"uri": why})


def _judged(address: Address) -> tuple[Address, ...]:
    """The addresses `address` is judged as: an IPv4-mapped one (::ffff:127.0.0.1) as the
    IPv4 address it is; a 6to4 or NAT64 one as itself and the IPv4 address it leads to."""
    if address.version == 4:
        return (address,)
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address in _SIX_TO_FOUR:
        return (address, address.sixtofour)
    if address in _NAT64:
        return (address, ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return (address,)


def _internal_kind(address: Address) -> str | None:
    """What makes `address` one of the server's own or its networks' ("a loopback"...),
    or None for a public address."""
    for kind, internal in (
        ("a loopback", address.is_loopback),
        ("an unspecified", address.is_unspecified),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
        ("not a public", not address.is_global),
    ):
        if internal:
            return kind
    return None


def masked(url: str) -> str:
    """`url` fit for a log line: its scheme, host and port only, with its credentials
    (`user:password@`), its path and its query shown as `***`. Each may carry a secret:
    the query our token, the path that of many a receiver (chat services' webhook URLs
    end in one)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "(a malformed URL)"
    host = parts.netloc.rpartition("@")[2]
    userinfo = "***@" if "@" in parts.netloc else ""
    path = "/***" if parts.path.strip("/") else "/"
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{userinfo}{host}{path}{query}"


def content_changed(kind: str, action: str, key: str) -> None:
    """Note that a piece of content (`kind` "article" or "file", by `key`, its slug, hash
    or path) was `action` ("saved" or "deleted"), to announce after the commit."""
    info = db.session.info
    pending = info.get(_PENDING)
    if pending is None:
        # Looked up once per transaction (an import changes many articles in one).
        url = db.session.scalar(select(Setting.value).where(Setting.key == SETTING))
        pending = info[_PENDING] = {
            # The delivery is recorded from the background thread, in an app context of
            # its own (Flask's documented way to hand the app itself to a thread).
            "app": current_app._get_current_object(),
            "url": url,
            "timeout": settings().webhook_timeout,
            "allowed": allowed_networks(),
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
    thread = threading.Thread(
        target=_post,
        args=(pending["app"], pending["url"], body, pending["timeout"], pending["allowed"]),
        daemon=True,
    )
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.add(thread)
    thread.start()


#: The deliveries under way in this process, each a thread that leaves the set when done.
_IN_FLIGHT: set[threading.Thread] = set()
_IN_FLIGHT_LOCK = threading.Lock()


def wait_for_deliveries(timeout: float) -> bool:
    """Wait up to `timeout` seconds for this process's deliveries under way to end (and be
    recorded); whether they all did. A worker shutting down gives them this grace, and
    tests wait so that no delivery lands among a later test's rows."""
    deadline = time.monotonic() + timeout
    with _IN_FLIGHT_LOCK:
        threads = list(_IN_FLIGHT)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in threads)


@event.listens_for(db.session, "after_soft_rollback")
def _forget(session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Delivery:
    """How one call went: the status the receiver answered (None when it was not called
    or did not answer), or `error`, why not; `problem` is the log line of a failed call."""

    status: int | None
    error: str | None
    duration_ms: int
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _post(app: Flask, url: str, body: bytes, timeout: float, allowed: tuple) -> None:
    """POST `body` to the webhook from a background thread; the delivery is recorded,
    then any failure (a refused address or an answer other than 2xx included) is logged
    (as `masked(url)`) and goes no further."""
    try:
        delivery = _deliver(url, body, timeout, allowed)
        try:
            with app.app_context():
                if delivery.problem:
                    metrics.note_webhook_failure()
                _record("content_changed", url, delivery)
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - a record that fails never fails the hook
            log.warning("The content webhook's delivery could not be recorded: %s", error)
        if delivery.problem:
            log.warning("%s", delivery.problem)
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.discard(threading.current_thread())


def _deliver(url: str, body: bytes, timeout: float, allowed: tuple[Network, ...]) -> Delivery:
    """POST `body` to `url`, checked again first (the name may point elsewhere since the
    webhook was created, and WEBHOOK_ALLOWED_NETWORKS may list less); never raises."""
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    where = masked(url)
    try:
        destination = check_destination(url, allowed)
        status = _send(destination, body, min(timeout, _TIMEOUT))
    except Failure as refused:
        why = refused.details.get("uri", refused.message)
        problem = f"The content webhook {where} failed: not called: {why}"
        return Delivery(None, f"Not called: {why}", took(), problem)
    except Exception as error:  # noqa: BLE001 - any failure of the hook is only told
        said = _scrubbed(str(error) or type(error).__name__, url)
        return Delivery(None, said, took(), f"The content webhook {where} failed: {said}")
    if not 200 <= status < 300:
        # A redirect (3xx) too: it is not followed, since where it leads was never checked.
        problem = f"The content webhook {where} failed: it answered HTTP {status}"
        return Delivery(status, None, took(), problem)
    return Delivery(status, None, took(), None)


def _scrubbed(text: str, url: str) -> str:
    """`text` (an exception's message) without any part of `url` that may hold a secret:
    the URL itself, its credentials, its path and its query."""
    parts = urllib.parse.urlsplit(url)
    secrets_in_url = (url, parts.query, parts.path if parts.path.strip("/") else "")
    for piece in (*secrets_in_url, parts.username, parts.password):
        if piece:
            text = text.replace(piece, "***")
    return text


def _record(event_name: str, url: str, delivery: Delivery) -> WebhookDelivery:
    """Keep `delivery` (the URL masked, as the logs show it), and only the newest
    KEEP_DELIVERIES; flushed, not committed."""
    row = WebhookDelivery(
        sent_at=utcnow(),
        event=event_name,
        destination=masked(url)[:2048],
        status=delivery.status,
        error=delivery.error[:512] if delivery.error else None,
        duration_ms=delivery.duration_ms,
    )
    db.session.add(row)
    db.session.flush()
    oldest_kept = db.session.scalar(
        select(WebhookDelivery.id)
        .order_by(WebhookDelivery.id.desc())
        .offset(KEEP_DELIVERIES - 1)
        .limit(1)
    )
    if oldest_kept is not None:
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.id < oldest_kept))
    return row


def current() -> dict | None:
    """The webhook as the console shows it, or None when none is set: `{"destination":
    its URL masked (no credentials, path or query: the token is in the query),
    "updated_at"}`."""
    stored = db.session.get(Setting, SETTING)
    if stored is None or not stored.value:
        return None
    return {"destination": masked(stored.value), "updated_at": stored.updated_at}


def send_test() -> WebhookDelivery:
    """Call the webhook now with `{"event": "test"}`, as a change would, and record the
    delivery; answers it (a failed call is a delivery too, never an exception). Raises
    `InvalidParamsFailure` when no webhook is set."""
    url = db.session.scalar(select(Setting.value).where(Setting.key == SETTING))
    if not url:
        raise InvalidParamsFailure("No webhook is set.", details={"uri": "No webhook is set."})
    body = json.dumps({"event": "test", "count": 0, "changes": []}).encode()
    delivery = _deliver(url, body, settings().webhook_timeout, allowed_networks())
    if delivery.problem:
        metrics.note_webhook_failure()
        log.warning("%s", delivery.problem)
    return _record("test", url, delivery)


def deliveries(limit: int = KEEP_DELIVERIES) -> list[WebhookDelivery]:
    """The recorded deliveries, the newest first."""
    return list(
        db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit))
    )


def _send(destination: Destination, body: bytes, timeout: float) -> int:
    """POST `body` to `destination` and answer the HTTP status. http.client follows no
    redirect (urllib would), and speaks only to the addresses checked (`_Pinned`)."""
    headers = {"Content-Type": "application/json", "User-Agent": "pastecms-webhook"}
    if destination.credentials is not None:
        # The URL's `user:password@`, sent the way curl and browsers send it.
        pair = ":".join(destination.credentials).encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    kind = _PinnedTLS if destination.scheme == "https" else _Pinned
    connection = kind(destination, timeout)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)
        return response.status
    finally:
        connection.close()


class _Pinned(http.client.HTTPConnection):
    """A connection to a webhook's host by its name (the Host header; with TLS, the SNI
    and the certificate's check too) made to the addresses `check_destination` resolved
    and checked, never resolved again.

    Connecting to the checked address, rather than checking the name and letting the
    HTTP client resolve it once more: a name can answer a public address to the check and
    the server's own to a second look-up a moment later (DNS rebinding, with a zero TTL),
    and that second answer would go unchecked.
    """

    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout)
        self.destination = destination

    def connect(self) -> None:
        problem = None
        for family, sockaddr in self.destination.addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(sockaddr)
                self.sock = self.secure(sock)
                return
            except OSError as error:
                sock.close()
                problem = error
        raise problem

    def secure(self, sock: socket.socket) -> socket.socket:
        return sock


class _PinnedTLS(_Pinned):
    # The Host header leaves out the port when it is the scheme's own.
    default_port = http.client.HTTPS_PORT

    def secure(self, sock: socket.socket) -> socket.socket:
        context = ssl.create_default_context()
        return context.wrap_socket(sock, server_hostname=self.destination.host)
