"""Per-app caches: every value an app works out once and keeps for its life, in one
place, so that a reader finds them all here and a test's fresh app never sees another's.

A value is kept under its name in the app's `extensions`, in one dict. Two kinds:

- made with the app (`keep`, from `create_app`), where making it checks the config, so
  a bad setting refuses the start: `settings` (`config.freeze`), `paste_ids`
  (`services.ids`), `jwt_keys` (`services.identity.tokens`), `answers` (the answer
  cache, `queries.answers`);
- made on first use (`app_cache(name, build)`), where making it costs more than a
  worker that never needs it should pay: `login_dummy_hash` (a bcrypt hash,
  `services.identity.login`), `idempotency_fingerprint_key` and `idempotency_cipher`
  (`services.pastes.idempotency`), `paste_policy` (what the admins allow, read again
  every few seconds: `services.pastes.paste_policy`), `openapi` (the API's description),
  `url_templates` (the URLs in answers, per site root: `views.links`).

Process-wide caches of prebuilt SQL statements are not per app (a statement names no
app) and stay with the read model that runs them (`pastecms.queries`). Extensions
(the limiter, the metrics) are the app's parts rather than caches, and are not here.
"""

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

_KEY = "pastecms.app_cache"


def app_cache(name: str, build: Callable[[], Any] | None = None, app: Flask | None = None):
    """The value `name` of `app` (the current app by default), made by `build()` on
    first use; `KeyError` when it is missing and there is no `build`. Made twice at worst
    by threads racing for it, and then both get the first one kept."""
    # The app itself, not an attribute read through the proxy: `settings()`, `paste_ids()`
    # and the JWT keys come through here on hot requests, and the proxy's attribute
    # lookup costs some 8,000 instructions against a few hundred for the object.
    extensions = (current_app._get_current_object() if app is None else app).extensions
    try:
        return extensions[_KEY][name]
    except KeyError:
        if build is None:
            raise
        return extensions.setdefault(_KEY, {}).setdefault(name, build())


def keep(app: Flask, name: str, value) -> None:
    """Keep `value` as `app`'s `name`, made while the app is built."""
    app.extensions.setdefault(_KEY, {})[name] = value
