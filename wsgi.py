"""The app for gunicorn (`wsgi:app`) and the flask CLI (`flask --app wsgi ...`).

The config class comes from PASTECMS_CONFIG (`ProdConfig` by default, `DevConfig` for a
local debug server); every PASTECMS_* variable then overrides single settings.
"""

from pastecms import app_from_environment

app = app_from_environment()
