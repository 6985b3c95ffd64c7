"""gunicorn reads this file by itself when started in the checkout (`gunicorn wsgi:app`):
the shipped settings, the same as `gunicorn -c deploy/gunicorn.conf.py wsgi:app`. Without
it a plain start would run gunicorn's defaults, where a refused start is retried by a new
worker every second, for ever, and never serves."""

import runpy
from pathlib import Path

_SETTINGS = Path(__file__).resolve().parent / "deploy" / "gunicorn.conf.py"

globals().update(
    {name: value for name, value in runpy.run_path(str(_SETTINGS)).items() if name[0] != "_"}
)
