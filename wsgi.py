"""The app for gunicorn (`wsgi:app`) and the flask CLI (`flask --app wsgi ...`).

The config class comes from PASTECMS_CONFIG (`ProdConfig` by default, `DevConfig` for a
local debug server); every PASTECMS_* variable then overrides single settings.
"""

import os

import config
from pastecms import create_app

app = create_app(getattr(config, os.environ.get("PASTECMS_CONFIG", "ProdConfig")))
