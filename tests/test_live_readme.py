"""The README's examples run top to bottom as written, against a live server.

The ```sh blocks of the sections "The paste API" and "The JWT login API" are taken from
README.md itself, so the examples cannot drift from the server: run in order in one
shell, with BASE pointing at gunicorn on the test database, every answer must be a
success.
"""

import json
import os
import re
import shutil
import subprocess

import pytest

from tests.live import ROOT, gunicorn

pytestmark = pytest.mark.live

README = (ROOT / "README.md").read_text()


def section_blocks(title: str, next_title: str) -> list[str]:
    section = README[README.index(f"## {title}\n") : README.index(f"## {next_title}\n")]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)


def test_the_paste_api_examples_run_as_written(live_env, tmp_path):
    if shutil.which("curl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("curl is not installed; CI must run the README's examples")
        pytest.skip("curl is not installed (Debian: apt-get install curl)")
    blocks = section_blocks("The paste API", "The JWT login API")
    assert len(blocks) == 5
    jwt_blocks = section_blocks("The JWT login API", "The content read API (/api/content)")
    assert len(jwt_blocks) == 1
    blocks += jwt_blocks
    script = "set -eu\n" + "\n".join(blocks)
    with gunicorn(live_env(), tmp_path / "gunicorn.log") as url:
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "BASE": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    # The paste face says success: true; the JWT face error: false.
    failed = [a for a in answers if a.get("success") is not True and a.get("error") is not False]
    assert failed == []
    assert len(answers) >= 26
    assert answers[-1] == {"error": False, "data": True}  # the refresh token, revoked
    # The retried submit made one paste, the attachment downloaded as itself.
    retried = [
        a["paste_id_repr"]
        for a in answers
        if a.get("contents") == "sent once, however often retried"
    ]
    assert len(retried) == 2 and retried[0] == retried[1]
    assert (tmp_path / "notes.txt").read_text() == "hello"
    assert "see notes.txt" in result.stdout
    # The shell uploads answered their paste's URL and its deletion URL, as text.
    assert len(re.findall(r"^http://\S+/paste/\S+/deactivate/\S+$", result.stdout, re.M)) == 3
