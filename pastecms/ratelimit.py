"""Rate limits: Flask-Limiter, one limiter per app, counting in the configured storage.

Each app gets its own `Limiter` (so an app's settings, storage and counters are its own,
in tests as much as in production), and a view's limits are applied through that app's
limiter on the view's first request there, with Flask-Limiter's own decorators.

An outage of the limit storage never takes the API down by default: Flask-Limiter falls
back to in-memory counting and logs a warning. With RATELIMIT_FAIL_CLOSED the storage's
errors are not swallowed, and a request that cannot be counted is refused with a named
503 instead.
"""

import functools
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem
from limits.errors import StorageError

_EXTENSION_KEY = "pastecms.limiter"
# Set on `g` once a view's own limits are being checked.
_CHECKING_VIEW = "_pastecms_checking_view_limits"

log = logging.getLogger("pastecms")


def init_app(app: Flask) -> None:
    fail_open = not app.config["RATELIMIT_FAIL_CLOSED"]
    # The storage raises its own errors (redis's, say) as limits' StorageError, which
    # the app's error handler answers when they are not swallowed.
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"wrap_exceptions": True})
    app_limiter = Limiter(
        get_remote_address,
        app=app,
        default_limits=[],
        swallow_errors=fail_open,
        in_memory_fallback_enabled=fail_open,
    )

    @app_limiter.request_filter
    def before_the_view() -> bool:
        # Every limit here is declared on an endpoint and checked by its decorator (see
        # `limited`). Flask-Limiter's own pass before every request (for default and
        # application limits, which pastecms has none of) would only check them a
        # second time: it is skipped, on every route.
        return not g._get_current_object().get(_CHECKING_VIEW)  # the object: no proxy's cost

    app.extensions[_EXTENSION_KEY] = app_limiter


def limiter(app: Flask | None = None) -> Limiter:
    """The app's limiter (the current app's by default)."""
    return (app or current_app).extensions[_EXTENSION_KEY]


def counter(*parts: str) -> tuple[str, ...]:
    """The identifiers of a count kept directly in the limiter's storage (failed
    attempts, byte quotas), behind RATELIMIT_KEY_PREFIX as Flask-Limiter puts its own:
    apps sharing one storage under different prefixes never share a count."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    return (prefix, *parts) if prefix else parts


def claim(item: RateLimitItem, what: str, *parts: str) -> bool:
    """Whether this request takes the claim named by `parts`, held by one request at a time
    in the limiter's storage (shared by every worker and host): False while another holds
    it. `release` gives it back; it lapses after `item`'s window should its holder never
    get that far. Always taken with limits off, and with the storage down unless
    RATELIMIT_FAIL_CLOSED (`storage_down`, naming `what`)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    try:
        return limiter().limiter.hit(item, *counter(*parts))
    except StorageError as error:
        storage_down(error, what)
        return True


def take(items: list[RateLimitItem], what: str, *parts: str) -> bool:
    """Whether one more may be counted in the count named by `parts` under each of `items`
    (a setting read by `limits.parse_many`), counting it if so, in the limiter's storage
    (shared by every worker and host). Always true with limits off, and with the storage
    down unless RATELIMIT_FAIL_CLOSED (`storage_down`, naming `what`)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    strategy = limiter().limiter
    key = counter(*parts)
    try:
        # Tested first, so that a refusal under one item uses up none of the others.
        if not all(strategy.test(item, *key) for item in items):
            return False
        return all([strategy.hit(item, *key) for item in items])
    except StorageError as error:
        storage_down(error, what)
        return True


def release(item: RateLimitItem, what: str, *parts: str) -> None:
    """Give back a claim taken with `claim`."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    try:
        limiter().limiter.clear(item, *counter(*parts))
    except StorageError as error:
        storage_down(error, what)


def check_workers(app: Flask, workers: int) -> None:
    """Refuse, or warn, when `workers` processes would serve `app` with each counting its
    limits in its own memory (`memory://`), so that every limit is in effect `workers`
    times what it says.

    Raises `ConfigurationError` with RATELIMIT_REQUIRE_SHARED_STORAGE (the production
    config); logs a warning otherwise. The server calls it, as only it knows how many
    workers it starts (deploy/gunicorn.conf.py).
    """
    from pastecms import ConfigurationError

    if _EXTENSION_KEY not in app.extensions:
        return  # not a pastecms app (the benchmark's ceiling, say): no limits to share
    storage = app.config["RATELIMIT_STORAGE_URI"]
    if workers <= 1 or not app.config["RATELIMIT_ENABLED"] or not storage.startswith("memory:"):
        return
    problem = (
        f"{workers} workers would each count rate limits in their own memory ({storage}), "
        f"so every limit would allow {workers} times what it says: set "
        "PASTECMS_RATELIMIT_STORAGE_URI=redis://host:6379/0, or run one worker "
        "(PASTECMS_WORKERS=1)."
    )
    if app.config["RATELIMIT_REQUIRE_SHARED_STORAGE"]:
        raise ConfigurationError(problem)
    log.warning("%s (Allowed here: RATELIMIT_REQUIRE_SHARED_STORAGE is off.)", problem)


def storage_down(error: Exception, what: str) -> None:
    """What counting `what` directly in the limiter's storage does when the storage is
    down, as every limit does: go on with a warning (the default), or with
    RATELIMIT_FAIL_CLOSED re-raise, for the app's handler to answer a named 503."""
    if current_app.config["RATELIMIT_FAIL_CLOSED"]:
        raise error
    log.warning("%s not counted: the limit storage is down (%s)", what, error)


@dataclass(frozen=True)
class RateLimit:
    """A rate limit per client address, read from the config setting `setting` on each
    request. Endpoints that name the same `scope` share one counter; `methods` limits it
    to those verbs."""

    setting: str
    scope: str | None = None
    methods: frozenset[str] | None = None

    def applies_to(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    def is_disjoint(self, other: "RateLimit") -> bool:
        """Whether no request is counted by both this limit and `other`."""
        return (
            self.methods is not None
            and other.methods is not None
            and not (self.methods & other.methods)
        )

    def decorator(self, app_limiter: Limiter) -> Callable:
        """Flask-Limiter's decorator for this limit, from `app_limiter`."""

        def provider() -> str:
            return current_app.config[self.setting]

        exempt = None
        if self.methods is not None:
            methods = self.methods

            def exempt() -> bool:
                return request.method not in methods

        if self.scope is None:
            return app_limiter.limit(provider, exempt_when=exempt)
        return app_limiter.shared_limit(provider, scope=self.scope, exempt_when=exempt)


#: One limit per client address over every way of creating a paste (the paste API's
#: submit, the web form, any upload route): each such view declares this limit, and the
#: shared scope makes them draw on one counter, so RATELIMIT_SUBMIT means what it says
#: however a client mixes them.
SUBMIT_LIMIT = RateLimit("RATELIMIT_SUBMIT", scope="paste_submit")
#: Reports of pastes per client address, over the paste API and the web form alike.
REPORT_LIMIT = RateLimit("RATELIMIT_REPORT", scope="paste_report")


def _layers(limits: tuple[RateLimit, ...]) -> list[list[RateLimit]]:
    """`limits` in groups whose members never apply to the same method (a face's read
    limit and its write limit, say), so that each group costs Flask-Limiter one limit to
    evaluate on a request rather than one per member."""
    layers: list[list[RateLimit]] = []
    for limit in limits:
        for layer in layers:
            if all(limit.is_disjoint(other) for other in layer):
                layer.append(limit)
                break
        else:
            layers.append([limit])
    return layers


def _layer_decorator(layer: list[RateLimit], app_limiter: Limiter) -> Callable:
    """One Flask-Limiter limit that is, on each request, the member of `layer` applying to
    its method: that member's setting and counter, or no limit if none applies."""
    if len(layer) == 1:
        return layer[0].decorator(app_limiter)

    def applying() -> RateLimit | None:
        return next((limit for limit in layer if limit.applies_to(request.method)), None)

    def provider() -> str:
        return current_app.config[(applying() or layer[0]).setting]

    def scope(endpoint: str) -> str:
        return (applying() or layer[0]).scope or endpoint

    def exempt() -> bool:
        return applying() is None

    return app_limiter.shared_limit(provider, scope=scope, exempt_when=exempt)


def limited(view: Callable, limits: tuple[RateLimit, ...]) -> Callable:
    """`view`, checked against `limits` by the limiter of the app serving it."""
    if not limits:
        return view
    layers = _layers(limits)
    by_app: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @functools.wraps(view)
    def checked(**url_args):
        app = current_app._get_current_object()
        decorated = by_app.get(app)
        if decorated is None:
            decorated = view
            for layer in layers:
                decorated = _layer_decorator(layer, limiter(app))(decorated)
            by_app[app] = decorated
        g._get_current_object().setdefault(_CHECKING_VIEW, True)
        return decorated(**url_args)

    return checked
