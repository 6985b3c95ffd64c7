"""The README's examples run top to bottom as written, against a live server.

The ```sh blocks of README.md are taken from it, so the examples cannot drift from the
server: each section's blocks run in order in one shell, with BASE pointing at gunicorn
on the test database (and the server's PASTECMS_* settings, for the `flask` command
line), and every answer must be a success. Blocks meant for a root shell on a host or a
developer's machine (make, systemd, PostgreSQL's superuser) are fenced otherwise
(```console), and every ```sh block is run by a test here.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ROOT, gunicorn

pytestmark = pytest.mark.live

README = (ROOT / "README.md").read_text()


def section_blocks(title: str, next_title: str) -> list[str]:
    section = README[README.index(f"## {title}\n") : README.index(f"## {next_title}\n")]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)


#: The sections whose ```sh blocks the tests below run, each (title, next title).
RUN = [
    ("The paste API", "The JWT login API"),
    ("The JWT login API", "The content read API (/api/content)"),
    ("The content read API (/api/content)", "The Qexo API (/pub)"),
    ("The Qexo API (/pub)", "The CMS API (/v1)"),
    ("The CMS API (/v1)", "API reference from the server"),
    ("API reference from the server", "Operations"),
]


def needs_tools(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{tool} is not installed; CI must run the README's examples")
            pytest.skip(f"{tool} is not installed (Debian: apt-get install {tool})")


def run_sections(server_env: dict, tmp_path, *sections) -> subprocess.CompletedProcess:
    """The ```sh blocks of `sections`, in order, in one shell against gunicorn."""
    script = "set -eu\n" + "\n".join(
        block for title, next_title in sections for block in section_blocks(title, next_title)
    )
    bin_dir = Path(sys.executable).parent  # flask, for the accounts the examples make
    with gunicorn(server_env, tmp_path / "gunicorn.log") as url:
        return subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={**server_env, "PATH": f"{bin_dir}:/usr/bin:/bin:/usr/local/bin", "BASE": url},
            capture_output=True,
            text=True,
            timeout=120,
        )


def json_lines(stdout: str) -> list:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith(("{", "["))]


def test_every_sh_block_of_the_readme_is_run():
    every = re.findall(r"^```sh\n(.*?)^```$", README, re.S | re.M)
    run = [b for title, nxt in RUN for b in section_blocks(title, nxt)]
    assert sorted(every) == sorted(run)
    # Indented ```sh blocks (in lists) count too: none is left.
    assert not re.search(r"^[ \t]+```sh$", README, re.M)


def test_the_paste_api_examples_run_as_written(live_env, tmp_path):
    needs_tools("curl")
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
    assert len(re.findall(r"^http://\S+/paste/\S+/deactivate/\S+$", result.stdout, re.M)) == 4


def test_the_api_reference_examples_run_as_written(live_env, tmp_path):
    needs_tools("curl")
    result = run_sections(live_env(), tmp_path, ("API reference from the server", "Operations"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/api/paste/submit" in json.loads((tmp_path / "openapi.json").read_text())["paths"]
    assert "<html" in (tmp_path / "api.html").read_text().lower()
    statuses = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert statuses["200"] == "success"
    assert "invalid_params_failure" in statuses["400"]


def test_the_cms_api_examples_run_as_written(live_env, tmp_path):
    needs_tools("curl", "jq")
    result = run_sections(
        live_env(), tmp_path, ("The CMS API (/v1)", "API reference from the server")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answers = json_lines(result.stdout)
    assert len(answers) >= 25
    # Without a second server ($OTHER), the export goes back into this one: the one
    # published article is already there. Every other answer is a success.
    failures = [a["failure_name"] for a in answers if "failure_name" in a]
    assert failures == ["conflict_failure"]
    settings = [a["settings"] for a in answers if "settings" in a]
    assert settings == [{}, {"site_name": "My blog", "site_url": "https://blog.example"}]
    assert (tmp_path / "copy.png").read_bytes() == (tmp_path / "header.png").read_bytes()
    (exported,) = tmp_path.glob("*.md")  # export -OJ: the article's file, by its name
    assert "title: Kept" in exported.read_text()
    assert answers[-1] == {"success": True}  # the key, enabled again with a JWT


def test_the_content_read_api_examples_run_as_written(live_env, tmp_path):
    needs_tools("curl", "jq")
    section = ("The content read API (/api/content)", "The Qexo API (/pub)")
    result = run_sections(live_env(), tmp_path, section)
    assert result.returncode == 0, result.stdout + result.stderr
    answers = json_lines(result.stdout)
    assert [a["error"] for a in answers] == [False] * 5
    login, one, second_page, mine, renewed = (a["data"] for a in answers)
    assert one["title"] == "The release notes"
    assert second_page == {"list": [], "count": 1}  # the one article is on the first page
    assert [a["title"] for a in mine["list"]] == ["The release notes"]
    assert renewed == one  # read again with the renewed access token


def test_the_qexo_api_examples_run_as_written(live_env, tmp_path):
    needs_tools("curl", "jq")
    env = live_env(
        FRIEND_APPLICATIONS="true",
        CUSTOM_FIELDS_EXECUTE="true",
        STATISTIC_DOMAINS="blog.example.org",
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32",
    )
    result = run_sections(env, tmp_path, ("The Qexo API (/pub)", "The CMS API (/v1)"))
    assert result.returncode == 0, result.stdout + result.stderr
    answers = json_lines(result.stdout)
    # The Qexo face answers its failures with HTTP 200 and status false.
    assert [a for a in answers if a.get("status") is not True] == []
    assert len(answers) >= 27
    assert {"status": True, "site_pv": 1, "page_pv": 1, "site_uv": 1} in answers
    assert {"status": True, "data": '{"name": "Ada", "sum": 6}\n'} in answers
    liked = next(a for a in answers if a.get("msg") == "Liked successfully!")
    assert liked["action"] is True
    assert answers[-1]["webhook_url"].startswith("http://127.0.0.1:8090/hooks/blog?token=")
