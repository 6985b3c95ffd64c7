"""Who may read `/metrics`: the operator's Prometheus, never the public.

The metrics show request rates, failures and pool waits: nothing secret, but a map of
the server's load that is no one else's business. Off unless configured; with a token
(METRICS_TOKEN), a scrape must send it as `Authorization: Bearer <token>`; with networks
(METRICS_ALLOWED_NETWORKS), it must come from one of them; with both, both hold.
"""

import hmac
import ipaddress

from pastecms.errors import AuthFailure, ForbiddenFailure, NotFoundFailure
from pastecms.services.content import webhook


def admit(bearer: str | None, address: str | None, *, token: str | None, networks) -> None:
    """Return when a scrape with this bearer token from this client address may read the
    metrics. Raises `NotFoundFailure` when metrics are off (neither setting), so that
    they look like any other missing page; `ForbiddenFailure` from an address outside
    every allowed network; `AuthFailure` for a missing or wrong token (compared in
    constant time)."""
    allowed = webhook.networks(networks or [])
    if not token and not allowed:
        raise NotFoundFailure()
    if allowed and not _within(address, allowed):
        raise ForbiddenFailure("Metrics are not served to this address.")
    if token and not hmac.compare_digest((bearer or "").encode(), token.encode()):
        raise AuthFailure(
            "Metrics need the operator's token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )


def _within(address: str | None, allowed) -> bool:
    try:
        found = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        found = found.ipv4_mapped
    return any(found in network for network in allowed)
