"""Configuration classes.

`create_app()` loads one of these, then every `PASTECMS_<KEY>` environment variable
(Flask's `from_prefixed_env`, which parses JSON values, so `PASTECMS_MAX_PASTE_SIZE=2048`
is an integer and `PASTECMS_REQUIRE_LOGIN_TO_PASTE=true` a boolean).
"""

import math
import os
import re
from dataclasses import dataclass, field, make_dataclass

from limits import parse_many

from pastecms.app_cache import app_cache, keep

KIB = 1024
MIB = 1024 * KIB


class Config:
    # Secrets. None means "refuse to start" outside debug and tests; `make run` writes one
    # into the instance folder on first start.
    SECRET_KEY = None
    # Key for the paste id cipher; derived from SECRET_KEY when unset. Changing either
    # changes every public paste id.
    PASTE_ID_KEY = None

    # Database: None means an SQLite file in the instance folder.
    DATABASE_URI = None
    # Pool sized for one sync gunicorn worker serving one request at a time.
    DATABASE_POOL_SIZE = 5
    # Seconds to open a connection to PostgreSQL, and at most to wait for the server to
    # acknowledge what was sent on one: a dead host fails a request with a named 503
    # after this long instead of hanging it.
    DATABASE_CONNECT_TIMEOUT = 3

    # Paste ids are encrypted (URL-safe, not enumerable); False exposes plain integers.
    ENCRYPT_PASTE_IDS = True

    # Features.
    REQUIRE_LOGIN_TO_PASTE = False
    ENABLE_USER_REGISTRATION = True
    ENABLE_PASTE_ATTACHMENTS = True

    # Limits (bytes unless noted).
    MAX_CONTENT_LENGTH = 16 * MIB  # whole request body; nginx's client_max_body_size matches
    MAX_PASTE_SIZE = 1 * MIB  # paste contents, UTF-8 encoded
    MAX_ATTACHMENT_SIZE = 2 * MIB  # one attachment, decoded
    MAX_ATTACHMENT_COUNT = 5
    MAX_PAGE_SIZE = 100  # num_per_page above this is clamped
    MAX_PAGE_NUM = 10_000  # deeper pages are refused: OFFSET scans are not free
    # Paste contents a page of a list (recent, top, a user's) carries at most: the pastes
    # past it on the page are listed without theirs (contents null), so a page of large
    # pastes neither costs a worker 100 MiB nor makes a short request a huge answer.
    # None: MAX_PASTE_SIZE, so that no list answer outweighs one paste's details.
    MAX_PAGE_BYTES = None
    MAX_IMAGE_SIZE = 10 * MIB  # one CMS image upload

    # Origins whose pages may call the CMS face (/v1) from a browser (CORS); none by
    # default. A JSON list, or one comma-separated string.
    CMS_CORS_ORIGINS: list[str] = []

    # How long a paste submission's Idempotency-Key is remembered (seconds): a retry with
    # the key within it gets the first paste back rather than a second one.
    IDEMPOTENCY_KEY_LIFETIME = 24 * 60 * 60

    # Highlighting on the web page: pastes larger than this (characters) are shown as
    # plain text, and so is any whose highlighting takes more than this many seconds of
    # CPU (some lexers are quadratic on some inputs). The HTML is made once per paste.
    # Ordinary code highlights at about 1 MB a second, so the largest takes a tenth of
    # the budget; a pathological paste costs the whole budget, once.
    HIGHLIGHT_MAX_SIZE = 128 * KIB
    HIGHLIGHT_TIME_LIMIT = 0.25
    # Highlight a new paste in the background once it is stored, so that its first view
    # only reads the HTML (False: its first view makes it). Costs each paste that would be
    # highlighted its highlighting, viewed or not; a paste with no language is plain text,
    # and costs nothing.
    HIGHLIGHT_AHEAD = True

    # Whole answers of the article reads (the CMS's list and article), kept per worker
    # while no article, tag, category or image changes (`pastecms.queries.answers`); at most this
    # many bytes a worker, 0 for none.
    ANSWER_CACHE_MAX_BYTES = 8 * MIB

    # Passwords.
    BCRYPT_ROUNDS = 12
    # New paste passwords (submit, set_password, the form); none at all is still allowed.
    # Guesses are limited (RATELIMIT_FAILED_ATTEMPTS), but a short password falls to the
    # first few all the same.
    MIN_PASTE_PASSWORD_LENGTH = 8

    # Rate limits (Flask-Limiter). In-memory by default; production shares counters
    # through Redis: PASTECMS_RATELIMIT_STORAGE_URI=redis://host:6379/0.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # With `memory://`, each server worker counts alone. True: a server starting more
    # than one worker that way refuses to start; False: it warns and starts.
    RATELIMIT_REQUIRE_SHARED_STORAGE = False
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SUBMIT = "60 per minute"
    RATELIMIT_ACCOUNT = "10 per minute"  # login, registration
    # Reports of pastes (paste/report and the paste page's form), per client address.
    RATELIMIT_REPORT = "10 per hour;30 per day"
    # Failed attempts at a secret (paste passwords, logins), per target and per client
    # address alike (pastecms.services.attempts).
    # Each wrong guess costs a bcrypt comparison (a quarter of a second of CPU at cost 12):
    # a burst of ten at once would hold every worker; three at a time never does.
    RATELIMIT_FAILED_ATTEMPTS = "3 per 10 seconds;10 per minute;100 per day"
    # Byte quotas: new paste data (contents and attachments) a client may store, in the
    # limits' notation with bytes as the amount. Anonymous pastes count per client
    # address; a user's per account and per address. Over one: 429 with Retry-After (or
    # 413 for a paste larger than a whole window allows).
    QUOTA_ANONYMOUS = f"{16 * MIB} per hour;{64 * MIB} per day"
    QUOTA_USER = f"{128 * MIB} per hour;{512 * MIB} per day"
    # The Qexo face: friend applications and talk likes, per client address.
    RATELIMIT_FRIEND_APPLICATIONS = "5 per hour"
    RATELIMIT_TALK_LIKES = "60 per minute"
    # /pub/statistic: every page view of a blog asks once, so a visitor reading fast stays
    # far below it; a script inventing pages from one address does not.
    RATELIMIT_STATISTIC = "60 per minute"
    # The CMS face (/v1) per client address, as the CMS it copies sets them: reads
    # (GET, HEAD, OPTIONS) and writes counted apart, each over every /v1 route.
    RATELIMIT_CMS_READ = "300 per minute"
    RATELIMIT_CMS_WRITE = "60 per minute"
    # When the limit storage is unreachable: count in memory and log a warning (False),
    # or refuse limited requests with a named 503 (True).
    RATELIMIT_FAIL_CLOSED = False

    # The Qexo face (/pub). Hosts whose pages /pub/statistic counts (the Referer's host,
    # exactly, port aside): a list, or one comma-separated string; empty, statistics off.
    STATISTIC_DOMAINS: list | str = []
    # New pages (and ports) /pub/statistic starts counting per host, in the limits'
    # notation: each is a row, and anyone can name pages that do not exist. Past it, a
    # visit to a page not yet counted is counted under the site's "other" page.
    STATISTIC_NEW_PAGES = "100 per hour"
    # Whether /pub/ask_friend takes applications from visitors (stored hidden).
    FRIEND_APPLICATIONS = False
    # What an application must pass: "none", "recaptcha_v2" or "recaptcha_v3" (with a
    # score of at least CAPTCHA_MIN_SCORE), checked against CAPTCHA_VERIFY_URL with
    # CAPTCHA_SECRET, waiting at most CAPTCHA_TIMEOUT seconds.
    CAPTCHA = "none"
    CAPTCHA_SECRET = None
    CAPTCHA_VERIFY_URL = "https://www.google.com/recaptcha/api/siteverify"
    CAPTCHA_MIN_SCORE = 0.5
    CAPTCHA_TIMEOUT = 5
    # Running a custom field's stored code (/pub/get_custom): off unless an admin turns
    # it on. It runs in its own process, under RestrictedPython, within these limits.
    CUSTOM_FIELDS_EXECUTE = False
    CUSTOM_FIELDS_CPU_SECONDS = 2
    CUSTOM_FIELDS_MEMORY_MIB = 256
    CUSTOM_FIELDS_TIMEOUT = 5  # wall clock, seconds
    CUSTOM_FIELDS_MAX_OUTPUT = 64 * KIB  # characters printed
    # The content webhook (/pub/create_webhook stores its URL): each change of content is
    # POSTed to it from a background thread, waiting at most this many seconds.
    WEBHOOK_TIMEOUT = 5
    # The webhook never calls the server's own machine or networks: its host must resolve
    # to public addresses only, but for these networks (CIDRs, such as "10.0.0.0/8" or
    # "127.0.0.1/32"; a list, or one comma-separated string). None by default.
    WEBHOOK_ALLOWED_NETWORKS: list[str] | str = []

    # JWT lifetimes, in seconds (access tokens: HTTP 440 once expired; refresh tokens
    # renew them and can be revoked).
    JWT_ACCESS_EXPIRES = 30 * 60
    JWT_REFRESH_EXPIRES = 3 * 60 * 60
    # `rememberme` at login asks for a long-lived refresh token; honoured only when the
    # operator allows it (a stolen long-lived token is a long-lived login).
    JWT_REMEMBER_ME = False
    JWT_REMEMBER_EXPIRES = 30 * 24 * 60 * 60

    # /metrics (Prometheus' text format) for the operator: off unless one of these is
    # set. A token the scrape sends as `Authorization: Bearer <token>` (kept as the
    # environment gives it, never read as JSON), and/or networks (CIDRs: a list, or one
    # comma-separated string) scrapes must come from; with both, both are required.
    METRICS_TOKEN: str | None = None
    METRICS_ALLOWED_NETWORKS: list[str] | str = []

    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_HOPS = 0

    # Cookies for the web form and session login.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None  # the form stays valid while the session lives
    # The web face's blueprint checks the forms it serves; nothing else takes forms.
    WTF_CSRF_CHECK_DEFAULT = False


class DevConfig(Config):
    DEBUG = True
    SECRET_KEY = "dev-only-not-secret"


class ProdConfig(Config):
    SESSION_COOKIE_SECURE = True
    RATELIMIT_REQUIRE_SHARED_STORAGE = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    BCRYPT_ROUNDS = 4
    # The same suite runs on SQLite and on PostgreSQL + Redis: CI selects them with
    # these variables (see README, "Tests"). They are read here rather than through
    # PASTECMS_DATABASE_URI so that a developer's production URL never meets the suite.
    DATABASE_URI = os.environ.get("PASTECMS_TEST_DATABASE_URI")
    RATELIMIT_STORAGE_URI = os.environ.get("PASTECMS_TEST_RATELIMIT_STORAGE_URI", "memory://")
    WTF_CSRF_ENABLED = False
    # A paste's first view makes its HTML, as when a reader is ahead of the background
    # thread; tests of the thread turn it on and wait for it (`highlight.wait_ahead`).
    HIGHLIGHT_AHEAD = False


# --- every setting checked at start, and the frozen settings services read -------------
#
# `create_app` checks the config against SETTINGS once (after the class and the
# PASTECMS_* variables are loaded) and refuses to start, in one line, on a value a
# setting does not take; a test keeps every setting of the classes above in the table.
# Conversions: from_prefixed_env parses JSON, so PASTECMS_MAX_PAGE_SIZE=50 is already 50;
# a number given as text ("50", from an override or a quoted JSON string) is taken and
# converted, true/false/yes/no/on/off in any case and 0/1 are booleans, and a whole
# number where text is wanted (a secret of digits) is taken as its digits.


class SettingError(ValueError):
    """A setting has a value it does not take; the message names it, what it got and what
    it takes, in one line."""


@dataclass(frozen=True)
class Setting:
    """One setting: its name, its kind and the values it takes.

    kind: "int" (a whole number), "number" (whole or decimal), "bool", "text", "choice"
    (one of `choices`), "limits" (the limits' notation, such as "60 per minute;1000 per
    day") or "list" (a list of text, or one comma-separated text). `low`/`high` bound
    numbers; `optional` also takes None (unset).
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    optional: bool = False

    def accepts(self) -> str:
        """What the setting takes, in words."""
        if self.kind in ("int", "number"):
            what = "a whole number" if self.kind == "int" else "a number"
            if self.low is not None and self.high is not None:
                what += f" from {_num(self.low)} to {_num(self.high)}"
            elif self.low is not None:
                what += f" of at least {_num(self.low)}"
            elif self.high is not None:
                what += f" of at most {_num(self.high)}"
        else:
            what = {
                "bool": "true or false",
                "text": "text",
                "choice": "one of " + ", ".join(map(str, self.choices)),
                "limits": "limits such as '60 per minute' (several joined by ';')",
                "list": "a list of text, or one comma-separated text",
            }[self.kind]
        return what + (", or null for none" if self.optional else "")

    def check(self, value):
        """`value` as the app uses it (converted as the comment above says); raises
        `SettingError` when the setting does not take it."""
        if value is None and self.optional:
            return None
        converted = _CONVERT[self.kind](self, value)
        if converted is _REFUSED:
            raise SettingError(f"PASTECMS_{self.name} is {value!r}; it takes {self.accepts()}.")
        return converted


_REFUSED = object()
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def _num(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _in_range(setting: Setting, number):
    if setting.low is not None and number < setting.low:
        return _REFUSED
    if setting.high is not None and number > setting.high:
        return _REFUSED
    return number


def _int(setting: Setting, value):
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return _REFUSED
    return _in_range(setting, value)


def _number(setting: Setting, value):
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return _REFUSED
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return _REFUSED
    return _in_range(setting, value)


def _bool(setting: Setting, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).strip().lower() in _TRUE | _FALSE:
        return str(value).strip().lower() in _TRUE
    return _REFUSED


def _text(setting: Setting, value):
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else _REFUSED


def _choice(setting: Setting, value):
    return value if value in setting.choices else _REFUSED


def _limits(setting: Setting, value):
    if not isinstance(value, str):
        return _REFUSED
    try:
        parse_many(value)
    except ValueError:
        return _REFUSED
    return value


def _list(setting: Setting, value):
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return value
    return _REFUSED


_CONVERT = {
    "int": _int,
    "number": _number,
    "bool": _bool,
    "text": _text,
    "choice": _choice,
    "limits": _limits,
    "list": _list,
}


def _bools(*names: str) -> tuple[Setting, ...]:
    return tuple(Setting(name, "bool") for name in names)


#: Every setting the classes above define, and what each takes.
SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", "text", optional=True),  # its length: `_check_secret_key`
    Setting("PASTE_ID_KEY", "text", optional=True),
    Setting("DATABASE_URI", "text", optional=True),  # its driver: `_check_driver`
    Setting("DATABASE_POOL_SIZE", "int", 1, 1000),
    Setting("DATABASE_CONNECT_TIMEOUT", "int", 1, 300),
    *_bools(
        "ENCRYPT_PASTE_IDS",
        "REQUIRE_LOGIN_TO_PASTE",
        "ENABLE_USER_REGISTRATION",
        "ENABLE_PASTE_ATTACHMENTS",
    ),
    Setting("MAX_CONTENT_LENGTH", "int", 1, optional=True),
    Setting("MAX_PASTE_SIZE", "int", 1),
    Setting("MAX_ATTACHMENT_SIZE", "int", 0),
    Setting("MAX_ATTACHMENT_COUNT", "int", 0),
    Setting("MAX_PAGE_SIZE", "int", 1, 10_000),
    Setting("MAX_PAGE_NUM", "int", 1),
    Setting("MAX_PAGE_BYTES", "int", 0, optional=True),
    Setting("MAX_IMAGE_SIZE", "int", 1),
    Setting("CMS_CORS_ORIGINS", "list"),
    Setting("IDEMPOTENCY_KEY_LIFETIME", "int", 1),
    Setting("HIGHLIGHT_MAX_SIZE", "int", 0),
    Setting("HIGHLIGHT_TIME_LIMIT", "number", 0),
    Setting("HIGHLIGHT_AHEAD", "bool"),
    Setting("ANSWER_CACHE_MAX_BYTES", "int", 0),
    Setting("BCRYPT_ROUNDS", "int", 4, 31),  # what bcrypt takes
    Setting("MIN_PASTE_PASSWORD_LENGTH", "int", 0, 1024),
    *_bools("RATELIMIT_ENABLED", "RATELIMIT_REQUIRE_SHARED_STORAGE", "RATELIMIT_HEADERS_ENABLED"),
    Setting("RATELIMIT_STORAGE_URI", "text"),
    *(
        Setting(name, "limits")
        for name in (
            "RATELIMIT_SUBMIT",
            "RATELIMIT_REPORT",
            "RATELIMIT_ACCOUNT",
            "RATELIMIT_FAILED_ATTEMPTS",
            "QUOTA_ANONYMOUS",
            "QUOTA_USER",
            "RATELIMIT_FRIEND_APPLICATIONS",
            "RATELIMIT_TALK_LIKES",
            "RATELIMIT_STATISTIC",
            "RATELIMIT_CMS_READ",
            "RATELIMIT_CMS_WRITE",
            "STATISTIC_NEW_PAGES",
        )
    ),
    *_bools("RATELIMIT_FAIL_CLOSED", "FRIEND_APPLICATIONS", "CUSTOM_FIELDS_EXECUTE"),
    Setting("STATISTIC_DOMAINS", "list"),
    Setting("METRICS_TOKEN", "text", optional=True),  # its length: `metrics`
    Setting("METRICS_ALLOWED_NETWORKS", "list"),
    Setting("CAPTCHA", "choice", choices=("none", "recaptcha_v2", "recaptcha_v3")),
    Setting("CAPTCHA_SECRET", "text", optional=True),
    Setting("CAPTCHA_VERIFY_URL", "text"),
    Setting("CAPTCHA_MIN_SCORE", "number", 0, 1),
    Setting("CAPTCHA_TIMEOUT", "number", 0),
    Setting("CUSTOM_FIELDS_CPU_SECONDS", "int", 1),
    Setting("CUSTOM_FIELDS_MEMORY_MIB", "int", 1),
    Setting("CUSTOM_FIELDS_TIMEOUT", "number", 0),
    Setting("CUSTOM_FIELDS_MAX_OUTPUT", "int", 0),
    Setting("WEBHOOK_TIMEOUT", "number", 0),
    Setting("WEBHOOK_ALLOWED_NETWORKS", "list"),  # each a network: `webhook.settings_problem`
    Setting("JWT_ACCESS_EXPIRES", "int", 1),
    Setting("JWT_REFRESH_EXPIRES", "int", 1),
    Setting("JWT_REMEMBER_ME", "bool"),
    Setting("JWT_REMEMBER_EXPIRES", "int", 1),
    Setting("PROXY_HOPS", "int", 0, 100),
    *_bools("SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SECURE"),
    Setting("SESSION_COOKIE_SAMESITE", "choice", choices=("Lax", "Strict", "None"), optional=True),
    Setting("WTF_CSRF_TIME_LIMIT", "int", 1, optional=True),
    *_bools("WTF_CSRF_CHECK_DEFAULT", "WTF_CSRF_ENABLED", "TESTING"),
    Setting("DEBUG", "bool", optional=True),  # Flask's default is None
)


def checked(config) -> dict:
    """Every setting of SETTINGS in `config` (a mapping, such as `app.config`) as the app
    uses it. Raises `SettingError` for the first one with a value it does not take."""
    return {s.name: s.check(config[s.name]) for s in SETTINGS if s.name in config}


#: The frozen settings: one attribute per setting, named in lower case
#: (`settings.max_page_size`), lists made tuples. Built once in `create_app`; services
#: read it through `pastecms.settings()`.
#: A setting the config does not have (WTF_CSRF_ENABLED outside tests) is None.
Settings = make_dataclass(
    "Settings",
    [(s.name.lower(), object, field(default=None)) for s in SETTINGS],
    frozen=True,
    slots=True,
    repr=False,  # it holds the secret key
)


def freeze(app) -> None:
    """Keep the frozen settings of `app` (its config, checked) for `settings()`."""
    frozen = Settings(
        **{
            s.name.lower(): tuple(value) if isinstance(value, list) else value
            for s in SETTINGS
            if (value := app.config.get(s.name)) is not None
        }
    )
    keep(app, "settings", frozen)


def settings() -> "Settings":
    """The current app's frozen settings (`settings().max_page_size`): what services read
    instead of `current_app.config`. Built once by `create_app`; a change to `app.config`
    after that is not seen here."""
    return app_cache("settings")
