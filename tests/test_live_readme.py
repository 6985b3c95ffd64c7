"""The README runs top to bottom as a new user runs it: one session, one server.

A copy of this checkout (no virtualenv, no settings, no database: a fresh clone) is
started as "Quick start" says, `make run`, with the example features that section turns
on in `.env`; then every ```sh block of README.md runs in order, in one shell in that
folder, with the PATH a user has (no virtualenv on it: the blocks name `.venv/bin/...`).
So a section that reuses an earlier section's account, a command that needs settings
the README never gives, or an example that only works on a server of its own fails
here. Blocks meant for a root shell on a host or a developer's machine (make, systemd,
PostgreSQL's superuser) are fenced otherwise (```console), and every ```sh block is run.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ROOT, free_port, wait_until_up

pytestmark = pytest.mark.live

README = (ROOT / "README.md").read_text()

#: What a fresh clone does not have: the virtualenv, the settings and data of `make run`,
#: caches.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".venv", ".git", ".env", "instance", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)

#: The sections whose ```sh blocks run, in the README's order, each (title, next title).
RUN = [
    ("The paste API", "The JWT login API"),
    ("The JWT login API", "The content read API (/api/content)"),
    ("The content read API (/api/content)", "The Qexo API (/pub)"),
    ("The Qexo API (/pub)", "The CMS API (/v1)"),
    ("The CMS API (/v1)", "API reference from the server"),
    ("API reference from the server", "Operations"),
]
TOOLS = ("curl", "jq", "make")


def section_blocks(title: str, next_title: str) -> list[str]:
    section = README[README.index(f"## {title}\n") : README.index(f"## {next_title}\n")]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)


def example_settings() -> str:
    """The lines "Quick start" has a user add to .env to run every example."""
    quick_start = README[README.index("## Quick start\n") : README.index("## The paste API\n")]
    return re.search(r"^cat >> \.env <<'EOF'\n(.*?)^EOF$", quick_start, re.S | re.M).group(1)


def user_path() -> str:
    """This PATH without the suite's virtualenv: a user's shell has none active."""
    venv_bin = str(Path(sys.executable).parent)
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The README's ```sh blocks run in order against one `make run` of a fresh copy;
    the output of each section, by title, and the folder they ran in."""
    for tool in TOOLS:
        if shutil.which(tool) is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{tool} is not installed; CI must run the README's examples")
            pytest.skip(f"{tool} is not installed (Debian: apt-get install {tool})")
    clone = tmp_path_factory.mktemp("clone") / "pastecms"
    shutil.copytree(ROOT, clone, symlinks=True, ignore=NOT_IN_A_CLONE)
    (clone / ".env").write_text(example_settings())
    # A user's environment: none of the suite's settings, nor its dotenv switch.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PASTECMS_", "FLASK_", "VIRTUAL_ENV", "PYTEST_"))
    }
    env["PATH"] = user_path()
    port = free_port()
    with open(clone / "make-run.log", "wb") as log:
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make and the server it starts stop together
        )
    base = f"http://127.0.0.1:{port}"
    script = "set -eu\n"
    for title, next_title in RUN:
        script += f"echo '### {title}'\n" + "\n".join(section_blocks(title, next_title))
    try:
        # The first `make run` makes the virtualenv and installs the project: minutes
        # on a slow mirror.
        wait_until_up(base + "/healthz", server, timeout=300)
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=clone,
            env={**env, "BASE": base},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = re.split(r"^### (.*)\n", result.stdout, flags=re.M)[1:]
    return dict(zip(outputs[::2], outputs[1::2], strict=True)), clone


def json_lines(stdout: str) -> list:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith(("{", "["))]


def test_every_sh_block_of_the_readme_is_run():
    every = re.findall(r"^```sh\n(.*?)^```$", README, re.S | re.M)
    run = [b for title, nxt in RUN for b in section_blocks(title, nxt)]
    assert sorted(every) == sorted(run)
    # Indented ```sh blocks (in lists) count too: none is left.
    assert not re.search(r"^[ \t]+```sh$", README, re.M)


def test_the_paste_api_examples_run_as_written(session):
    outputs, folder = session
    stdout = outputs["The paste API"] + outputs["The JWT login API"]
    answers = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
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
    assert (folder / "notes.txt").read_text() == "hello"
    assert "see notes.txt" in stdout
    # The shell uploads answered their paste's URL and its deletion URL, as text.
    assert len(re.findall(r"^http://\S+/paste/\S+/deactivate/\S+$", stdout, re.M)) == 4


def test_the_content_read_api_examples_run_as_written(session):
    outputs, _ = session
    answers = json_lines(outputs["The content read API (/api/content)"])
    assert [a["error"] for a in answers] == [False] * 5
    login, one, second_page, mine, renewed = (a["data"] for a in answers)
    assert one["title"] == "The release notes"
    assert second_page == {"list": [], "count": 1}  # the one article is on the first page
    assert [a["title"] for a in mine["list"]] == ["The release notes"]
    assert renewed == one  # read again with the renewed access token


def test_the_qexo_api_examples_run_as_written(session):
    outputs, _ = session
    answers = json_lines(outputs["The Qexo API (/pub)"])
    # The Qexo face answers its failures with HTTP 200 and status false.
    assert [a for a in answers if a.get("status") is not True] == []
    assert len(answers) >= 27
    assert {"status": True, "site_pv": 1, "page_pv": 1, "site_uv": 1} in answers
    assert {"status": True, "data": '{"name": "Ada", "sum": 6}\n'} in answers
    liked = next(a for a in answers if a.get("msg") == "Liked successfully!")
    assert liked["action"] is True
    assert answers[-1]["webhook_url"].startswith("http://127.0.0.1:8090/hooks/blog?token=")


def test_the_cms_api_examples_run_as_written(session):
    outputs, folder = session
    answers = json_lines(outputs["The CMS API (/v1)"])
    assert len(answers) >= 25
    # Without a second server ($OTHER), the export goes back into this one, where every
    # published article is already there. Every other answer is a success.
    failures = {a["failure_name"] for a in answers if "failure_name" in a}
    assert failures == {"conflict_failure"}
    # The settings as the example changed them (the Qexo section's `fix` wrote the rest).
    settings = [a["settings"] for a in answers if "settings" in a][-1]
    assert {key: settings[key] for key in ("site_name", "site_url")} == {
        "site_name": "My blog",
        "site_url": "https://blog.example",
    }
    assert (folder / "copy.png").read_bytes() == (folder / "header.png").read_bytes()
    exported = [path.read_text() for path in folder.glob("*.md")]  # export -OJ: by name
    assert any("title: Kept" in text for text in exported)
    assert answers[-1] == {"success": True}  # the key, enabled again with a JWT


def test_the_api_reference_examples_run_as_written(session):
    outputs, folder = session
    assert "/api/paste/submit" in json.loads((folder / "openapi.json").read_text())["paths"]
    assert "<html" in (folder / "api.html").read_text().lower()
    stdout = outputs["API reference from the server"]
    statuses = dict(line.split(" ", 1) for line in stdout.splitlines())
    assert statuses["200"] == "success"
    assert "invalid_params_failure" in statuses["400"]
