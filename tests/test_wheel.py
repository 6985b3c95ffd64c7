"""pastecms installs from a built wheel and runs without its source tree: templates,
static files and migrations ship inside it, and the `pastecms` command upgrades the
database and serves."""

import json
import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

from tests.live import ROOT, free_port, wait_until_up

pytestmark = pytest.mark.live

#: What a source checkout holds that is not the project (and that a build must not see).
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", ".git", "instance", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The bin/ folder of a fresh virtualenv with the wheel built from this checkout."""
    source = tmp_path_factory.mktemp("source") / "pastecms"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCE)
    wheels = tmp_path_factory.mktemp("wheels")
    pip_quiet = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip_quiet, "wheel", "--no-deps", "-w", wheels, source], check=True)
    (wheel,) = wheels.glob("pastecms-*.whl")
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    bin_dir = venv / "bin"
    subprocess.run(
        [bin_dir / "pip", "--disable-pip-version-check", "--quiet", "install", wheel], check=True
    )
    return bin_dir


@pytest.fixture
def elsewhere(tmp_path):
    """A working directory with no source tree in sight, and the settings of a server."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PASTECMS_")}
    env.update(
        PASTECMS_SECRET_KEY="wheel-test-secret-" + "x" * 32,
        PASTECMS_DATABASE_URI=f"sqlite:///{tmp_path / 'pastecms.db'}",
        PASTECMS_BCRYPT_ROUNDS="4",
    )
    return tmp_path, env


def test_the_wheel_upgrades_its_database_and_serves_a_paste(installed, elsewhere):
    cwd, env = elsewhere
    upgrade = subprocess.run(
        [installed / "pastecms", "db", "upgrade"], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Running upgrade" in upgrade.stderr  # the migrations came with the package

    # The embedded default as the README's wheel section runs it: the production config,
    # SQLite, limits in memory; no worker count (5 workers counting limits apart refused
    # to start, every second, for ever).
    port = free_port()
    with open(cwd / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [installed / "pastecms", "serve", "--bind", f"127.0.0.1:{port}"],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", server)
        request = urllib.request.Request(
            base + "/api/paste/submit",
            data=json.dumps({"contents": "served from a wheel"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            paste = json.load(response)
        # The paste's own page: templates and static files shipped too.
        with urllib.request.urlopen(paste["url"], timeout=10) as response:
            page = response.read().decode()
        with urllib.request.urlopen(base + "/static/style.css", timeout=10) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert paste["success"] is True
    assert "served from a wheel" in page
    said = (cwd / "serve.log").read_text()
    assert said.count("pastecms: one worker with 8 threads, as rate limits are counted") == 1
    assert said.count("Booting worker") == 1


def test_the_installed_command_lists_what_an_operator_needs(installed, elsewhere):
    cwd, env = elsewhere
    listed = subprocess.run(
        [installed / "pastecms", "--help"], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    for command in ("serve", "db", "users", "pastes", "tokens"):
        assert f"\n  {command} " in listed.stdout


def test_a_refused_start_of_the_command_is_one_line(installed, elsewhere):
    cwd, env = elsewhere
    del env["PASTECMS_SECRET_KEY"]
    refused = subprocess.run(
        [installed / "pastecms", "db", "upgrade"], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0
    (line,) = refused.stderr.strip().splitlines()
    assert "pastecms: PASTECMS_SECRET_KEY is not set" in line
    assert "Traceback" not in refused.stderr
