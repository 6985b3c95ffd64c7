"""The app for gunicorn (`wsgi:app`) and the flask CLI (`flask --app wsgi ...`).

The config class comes from PASTECMS_CONFIG (`ProdConfig` by default, `DevConfig` for a
local debug server); every PASTECMS_* variable then overrides single settings.
"""

import os

import config
from pastecms import ConfigurationError, create_app

try:
    app = create_app(getattr(config, os.environ.get("PASTECMS_CONFIG", "ProdConfig")))
except ConfigurationError as error:
    # A refused start is one clear line, not a traceback.
    raise SystemExit(f"pastecms: {error}") from None
