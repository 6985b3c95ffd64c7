"""pastecms: a self-hosted paste-and-content server."""

import logging
import os
import re
import secrets as _secrets
import urllib.parse

import click
from flask import Flask, Request, g, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from pastecms.encoding import JSONProvider
from pastecms.errors import (
    Failure,
    InvalidParamsFailure,
    MethodNotAllowedFailure,
    NotFoundFailure,
    PayloadTooLargeFailure,
    RateLimitFailure,
    ServiceUnavailableFailure,
    UndefinedFailure,
)

log = logging.getLogger("pastecms")


class ConfigurationError(click.ClickException):
    """The app refuses to start: its message says what is wrong and how to mend it, in
    one line. `wsgi.py` prints it so, without a traceback; being a click exception, so
    does any `flask` command that builds the app (`--app wsgi` or `--app
    pastecms:create_app`), which prints `Error: <message>` and exits 1."""


# Shorter keys are refused outside debug and tests: SECRET_KEY signs the session cookies
# and, with PASTE_ID_KEY unset, keys the paste id cipher. 32 characters is what
# `secrets.token_urlsafe(24)` makes; the documented command makes 64.
MIN_SECRET_KEY_LENGTH = 32
_MAKE_A_KEY = (
    "Generate one with `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
    "keep it, and set it once (make run writes one to instance/secret_key on first start)."
)


# The extra that installs a database driver pastecms ships with.
_DRIVER_EXTRAS = {"psycopg": "postgres"}


def create_app(config_class=None, overrides: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, CLI.

    `config_class` defaults to `config.ProdConfig`; `overrides` are applied last (tests use
    them so a developer's `PASTECMS_*` environment never points the suite at real data).
    """
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config_class, overrides)
    register_extensions(app)
    register_blueprints(app)
    register_cors(app)
    register_error_handlers(app)
    register_request_hooks(app)
    register_commands(app)
    return app


def app_from_environment() -> Flask:
    """The app as servers and commands build it: the config class named by
    PASTECMS_CONFIG (`ProdConfig` by default, `DevConfig` for a local debug server), then
    every PASTECMS_* variable. A refused start exits with its one line, no traceback."""
    try:
        return create_app(_config_class_from_environment())
    except ConfigurationError as error:
        raise SystemExit(f"pastecms: {error}") from None


def settings_from_environment() -> dict:
    """The settings `app_from_environment` starts from, read without building the app
    (unchecked): for the server's own settings, which must be known before any app is
    (pastecms/gunicorn_conf.py)."""
    from flask import Config

    settings = Config(os.getcwd())
    settings.from_object(_config_class_from_environment())
    settings.from_prefixed_env("PASTECMS")
    return dict(settings)


def _config_class_from_environment():
    from pastecms import config

    name = os.environ.get("PASTECMS_CONFIG", "ProdConfig")
    config_class = getattr(config, name, None)
    if not isinstance(config_class, type) or not issubclass(config_class, config.Config):
        raise SystemExit(
            f"pastecms: PASTECMS_CONFIG={name!r} is not a configuration "
            "(ProdConfig, DevConfig, Config or TestConfig)."
        )
    return config_class


#: Settings whose environment value is the text itself, never parsed as JSON.
_TEXT_SETTINGS = ("METRICS_TOKEN",)


def register_config(app: Flask, config_class, overrides) -> None:
    """Load the config class, then PASTECMS_* and `overrides`; check every setting against
    `config.SETTINGS` (a value a setting does not take refuses the start, in one line) and
    keep the checked values frozen for `config.settings()`."""
    from pastecms import config, database, metrics

    if config_class is None:
        config_class = config.ProdConfig
    app.config.from_object(config_class)
    app.config.from_prefixed_env("PASTECMS")
    for name in _TEXT_SETTINGS:
        # As given: from_prefixed_env would read a token of digits as a number.
        if f"PASTECMS_{name}" in os.environ:
            app.config[name] = os.environ[f"PASTECMS_{name}"]
    app.config.update(overrides or {})
    try:
        app.config.update(config.checked(app.config))
    except config.SettingError as error:
        raise ConfigurationError(str(error)) from None
    os.makedirs(app.instance_path, mode=database.PRIVATE_DIRECTORY, exist_ok=True)
    _check_secret_key(app)
    uri = app.config["DATABASE_URI"] or "sqlite:///" + os.path.join(
        app.instance_path, "pastecms.db"
    )
    _check_driver(uri)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **database.engine_options(
            uri, app.config["DATABASE_POOL_SIZE"], app.config["DATABASE_CONNECT_TIMEOUT"]
        ),
        **metrics.engine_options(uri, app.config),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }
    # Form bodies (the web paste form) share the request body limit.
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]
    app.json = JSONProvider(app)
    app.wsgi_app = OneSlash(app.wsgi_app)
    if app.config["PROXY_HOPS"]:
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    config.freeze(app)


class OneSlash:
    """WSGI middleware: repeated slashes in a path are one slash, answered in place, as
    nginx merges them. Werkzeug's router would answer a 308 to the merged path, which
    clients do not follow for a POST (fpaste posts to `…/api/paste//submit` when its URL
    ends with a slash)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            environ["PATH_INFO"] = _REPEATED_SLASHES.sub("/", path)
        return self.wsgi_app(environ, start_response)


_REPEATED_SLASHES = re.compile("/{2,}")


def _check_secret_key(app: Flask) -> None:
    """Refuse to start outside debug and tests without a real SECRET_KEY; a debug or test
    app without one gets a random one (its sessions and paste ids last one process)."""
    key = app.config["SECRET_KEY"]
    if app.debug or app.testing:
        if not key:
            app.config["SECRET_KEY"] = _secrets.token_urlsafe(48)
        return
    if not key:
        raise ConfigurationError(f"PASTECMS_SECRET_KEY is not set. {_MAKE_A_KEY}")
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            f"PASTECMS_SECRET_KEY is too short ({len(key)} characters; at least "
            f"{MIN_SECRET_KEY_LENGTH}). {_MAKE_A_KEY}"
        )


def _check_driver(uri: str) -> None:
    """Refuse to start, saying what to install, when the database URL names a driver
    that is not installed (it would otherwise surface as a bare import error)."""
    try:
        url = make_url(uri)
    except ArgumentError:
        raise ConfigurationError(f"PASTECMS_DATABASE_URI is not a database URL: {uri!r}.") from None
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise ConfigurationError(
            f"PASTECMS_DATABASE_URI names an unknown database ({url.drivername})."
        ) from None
    except ImportError as error:
        extra = _DRIVER_EXTRAS.get(error.name)
        hint = f"pip install 'pastecms[{extra}]'" if extra else f"pip install {error.name}"
        raise ConfigurationError(
            f"PASTECMS_DATABASE_URI uses {url.drivername}, whose driver ({error.name}) is not "
            f"installed: {hint}."
        ) from None


def register_extensions(app: Flask) -> None:
    from pastecms import database, metrics, ratelimit
    from pastecms.extensions import csrf, db
    from pastecms.queries import answers
    from pastecms.services import ids
    from pastecms.services.identity import tokens

    db.init_app(app)
    database.init_app(app)
    # Before the other extensions' hooks, so that its clock runs from the first of them.
    metrics.init_app(app)
    csrf.init_app(app)
    ratelimit.init_app(app)
    answers.init_app(app)
    ids.init_app(app)
    tokens.init_app(app)


def register_blueprints(app: Flask) -> None:
    from pastecms.views import BLUEPRINTS

    # Only the web face checks CSRF tokens (its blueprint asks for the check; the config
    # turns the app-wide one off). The JSON APIs need none: a browser cannot send a
    # cross-site application/json body without CORS consent, which they never give.
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def register_cors(app: Flask) -> None:
    """Cross-origin answers for the faces whose clients run on other sites' pages
    (`Envelope.cors_origins`): every response under such a face's prefix, failures and
    app-level errors included, and the preflights."""
    import re

    from flask_cors import CORS

    from pastecms.api import envelopes

    resources = {}
    for envelope in envelopes(app):
        options = envelope.cors(app)
        if options:
            resources[re.compile(r"\A" + re.escape(envelope.prefix) + r"(/.*)?\Z")] = options
    if resources:
        CORS(app, resources=resources)


def register_error_handlers(app: Flask) -> None:
    """App-level failures (unknown routes, wrong verbs, oversized bodies, rate limits,
    the unexpected) are answered by the envelope of the face that owns the path."""
    from flask_limiter import RateLimitExceeded
    from limits.errors import StorageError
    from sqlalchemy.exc import DBAPIError

    from pastecms import database
    from pastecms.api import answer_failure
    from pastecms.extensions import db

    by_status = {
        400: InvalidParamsFailure,
        404: NotFoundFailure,
        405: MethodNotAllowedFailure,
        413: PayloadTooLargeFailure,
    }

    @app.errorhandler(Failure)
    def handle_failure(failure):
        db.session.rollback()
        return answer_failure(failure)

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limit(error):
        db.session.rollback()
        failure = RateLimitFailure(f"Rate limit exceeded: {error.description}.")
        return answer_failure(failure)

    @app.errorhandler(StorageError)
    def handle_limit_storage_down(error):
        # Only reached with RATELIMIT_FAIL_CLOSED: otherwise limits count in memory.
        db.session.rollback()
        log.error("rate-limit storage unavailable [request %s]: %s", _request_id(), error)
        failure = ServiceUnavailableFailure("Rate limits cannot be counted; retry later.")
        return answer_failure(failure)

    @app.errorhandler(HTTPException)
    def handle_http(error):
        db.session.rollback()
        failure = by_status.get(error.code, InvalidParamsFailure)()
        # A rarer 4xx (415, 431...) keeps its own status under the params failure's name.
        failure.status = error.code if error.code < 500 else 500
        response = answer_failure(failure)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        db.session.rollback()
        if database.is_unavailable(error):
            # An outage, not a bug: one line, and the named 503 every face knows.
            log.warning(
                "database unavailable [request %s]: %s", _request_id(), database.outage_note(error)
            )
            failure = ServiceUnavailableFailure("The database is unavailable; retry later.")
            return answer_failure(failure)
        if isinstance(error, DBAPIError):
            error = database.without_values(error)
        log.error(
            "unexpected error [request %s]",
            _request_id(),
            exc_info=(type(error), error, error.__traceback__),
        )
        return answer_failure(
            UndefinedFailure(
                f"The server encountered an unexpected error (request {_request_id()})."
            )
        )


def _request_id() -> str:
    return g.get("request_id", "-")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus their work for a request that carries no
    session cookie and never touches the session (every API script): opening the empty
    session builds no signer, and saving it has nothing to write or delete."""

    def open_session(self, app, request):
        # The header first: parsing an absent one into `request.cookies` still costs.
        if "HTTP_COOKIE" not in request.environ or self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


#: Query parameters whose values are secrets: API keys (`token`, `api_key`), paste and
#: account passwords, refresh and access tokens. Clients may still send them in the query
#: string (Qexo's widgets and scripts do), so access logs show their values masked.
SECRET_PARAMETERS = frozenset(
    {"token", "api_key", "key", "password", "refresh_token", "access_token", "secret"}
)
#: The WSGI environ key holding the request's target as access logs show it: gunicorn's
#: shipped access_log_format prints it (`%({pastecms.logged_target}e)s`).
LOGGED_TARGET = "pastecms.logged_target"


def logged_target(path: str, query_string: bytes) -> str:
    """The path and query string of a request, with the value of every secret parameter
    replaced by `***`: what an access log may keep."""
    if not query_string:
        return path
    query = query_string.decode("latin-1")
    lowered = query.lower()
    if "%" not in lowered and not any(name in lowered for name in SECRET_PARAMETERS):
        return f"{path}?{query}"  # no pair can name a secret: nothing to mask
    masked = []
    for pair in query.split("&"):
        name, sep, _ = pair.partition("=")
        if sep and urllib.parse.unquote_plus(name).strip().lower() in SECRET_PARAMETERS:
            pair = f"{name}=***"
        masked.append(pair)
    return f"{path}?{'&'.join(masked)}"


def register_request_hooks(app: Flask) -> None:
    app.session_interface = CookieSessions()

    @app.before_request
    def start_request():
        # One hook, reading the environ where a header is all it needs: each hook costs
        # Flask a dispatch, and each lookup through `request` a proxy's indirection.
        req = request._get_current_object()
        environ = req.environ
        # nginx passes its $request_id; without a proxy the app draws its own, as nginx
        # does: 32 random hex digits (a uuid4's hex cost four times as much to make).
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        g.request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isalnum() else _secrets.token_hex(16)
        )
        raw_uri = environ.get("RAW_URI")
        environ[LOGGED_TARGET] = logged_target(
            raw_uri.partition("?")[0] if raw_uri is not None else req.path,
            req.query_string,
        )
        _bound_form_fields(req)

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers["X-Request-Id"] = g._get_current_object().get("request_id", "-")
        # `getlist`, not `setdefault`: a missing header costs `setdefault` an exception.
        if not headers.getlist("X-Content-Type-Options"):
            headers["X-Content-Type-Options"] = "nosniff"
        return response


def _bound_form_fields(request: Request) -> None:
    """Werkzeug caps the parts of a multipart form (MAX_FORM_PARTS) but reads every pair
    of a url-encoded one: 1.5 M pairs in 16 MiB cost seconds of CPU, before any
    credential is looked at. Counting the separators costs milliseconds. (A request with
    no body, most of them, is let go before its Content-Type is parsed.)"""
    length = request.content_length
    if not length or request.mimetype != "application/x-www-form-urlencoded":
        return
    most = request.max_content_length
    if most is not None and length > most:
        return  # refused as too large where the body is read, in the face's way
    limit = request.max_form_parts
    if limit is not None and request.get_data(cache=True).count(b"&") >= limit:
        raise PayloadTooLargeFailure(f"A form has at most {limit} fields.")


def register_commands(app: Flask) -> None:
    from pastecms import cli

    cli.init_app(app)
