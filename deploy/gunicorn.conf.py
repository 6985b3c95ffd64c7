"""gunicorn settings for pastecms from a source checkout:
`gunicorn -c deploy/gunicorn.conf.py wsgi:app`. The settings ship inside the package
(`pastecms/gunicorn_conf.py`, which `pastecms serve` uses), so that an installed wheel
needs no source tree. They are run from their file, not imported, so that gunicorn reads
them afresh on every reload, as it reads this file."""

import runpy
from pathlib import Path

_SETTINGS = Path(__file__).resolve().parent.parent / "pastecms" / "gunicorn_conf.py"

globals().update(
    {name: value for name, value in runpy.run_path(str(_SETTINGS)).items() if name[0] != "_"}
)
