"""deploy/install.sh does the README's Deploy steps on a fresh host, checked on a scratch
prefix: run with --no-systemd, then the installed code served the way the units serve it
(gunicorn from the installed virtualenv with the installed settings file and
deploy/gunicorn.conf.py, behind the shipped nginx site) answers a paste through nginx;
run again, it changes nothing and keeps the secret key.

The database is the test database on PostgreSQL (PASTECMS_TEST_DATABASE_URI), else the
install's own SQLite file in its state folder; the rate limits go to Redis when
PASTECMS_TEST_RATELIMIT_STORAGE_URI is set, else in memory with one worker.
"""

import json
import os
import shutil
import subprocess
import urllib.request

import pytest

from tests.live import ROOT, find_nginx, gunicorn, nginx

pytestmark = pytest.mark.live

INSTALL = ROOT / "deploy" / "install.sh"


def read_settings(path) -> dict:
    """The settings file as systemd's EnvironmentFile= reads it."""
    pairs = (
        line.partition("=")
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {name: value for name, _, value in pairs}


def files_under(prefix) -> dict:
    """Every file the install wrote outside the code and its virtualenv, with its bytes."""
    skip = (prefix / "srv",)
    return {
        path: path.read_bytes()
        for path in sorted(prefix.rglob("*"))
        if path.is_file() and not path.is_relative_to(skip[0]) and "pastecms.db" not in path.name
    }


def call(base: str, path: str, payload: dict) -> dict:
    request = urllib.request.Request(
        f"{base}/api/{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def installed(tmp_path, make_app):
    """A function that runs deploy/install.sh on the scratch prefix; the test database
    (PostgreSQL) is built and emptied around the test like any other."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    database = os.environ.get("PASTECMS_TEST_DATABASE_URI", "")
    if database:
        make_app()  # the schema exists (the install's upgrade is then a no-op) and is emptied
    redis = os.environ.get("PASTECMS_TEST_RATELIMIT_STORAGE_URI", "")
    prefix = tmp_path / "root"
    command = [INSTALL, "--prefix", prefix, "--no-systemd", "--port", "8123"]
    command += ["--database-uri", database, "--redis-uri", redis]

    def install() -> str:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    return prefix, install


def test_install_sh_installs_a_server_that_answers_through_nginx_and_runs_again_unchanged(
    installed, tmp_path
):
    binary = find_nginx()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed; CI must run the install test")
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    prefix, install = installed
    first = install()
    assert "with a new secret key" in first
    # It says what it did and what to run next, and claims to serve nothing it started.
    assert "serves on" not in first
    assert "next: start it with:" in first and "gunicorn -c deploy/gunicorn.conf.py" in first
    app_dir = prefix / "srv" / "pastecms"
    state = prefix / "var" / "lib" / "pastecms"
    env_file = prefix / "etc" / "pastecms" / "env"
    settings = read_settings(env_file)
    assert len(settings["PASTECMS_SECRET_KEY"]) >= 32
    assert oct(env_file.stat().st_mode & 0o777) == "0o640"
    assert oct(state.stat().st_mode & 0o777) == "0o750"
    assert (app_dir / "instance").resolve() == state.resolve()
    site = (prefix / "etc" / "nginx" / "sites-available" / "pastecms").read_text()
    assert f"alias {app_dir}/pastecms/static/;" in site
    assert "server 127.0.0.1:8123 " in site
    assert (prefix / "etc" / "nginx" / "sites-enabled" / "pastecms").resolve().is_file()
    unit = (prefix / "etc" / "systemd" / "system" / "pastecms.service").read_text()
    assert f"EnvironmentFile={env_file}" in unit
    assert f"ExecStart={app_dir}/.venv/bin/gunicorn --config deploy/gunicorn.conf.py" in unit
    if not os.environ.get("PASTECMS_TEST_DATABASE_URI"):
        assert (state / "pastecms.db").is_file()  # SQLite in the state folder, via the link

    # Served as the unit serves it: its settings file, config and virtualenv.
    env = {
        **settings,
        "PASTECMS_CONFIG": "ProdConfig",
        "PASTECMS_PROXY_HOPS": "1",
        "PASTECMS_BCRYPT_ROUNDS": "4",
    }
    gunicorn_conf = app_dir / "deploy" / "gunicorn.conf.py"
    python = app_dir / ".venv" / "bin" / "python"
    shipped_site = app_dir / "deploy" / "nginx" / "pastecms.conf"
    logs = tmp_path / "gunicorn.log"

    def serve():
        return gunicorn(
            env, logs, config_file=gunicorn_conf, workers=None, root=app_dir, python=python
        )

    with serve() as url, nginx(binary, url, tmp_path / "nginx", site=shipped_site) as port:
        base = f"http://127.0.0.1:{port}"
        submitted = call(base, "paste/submit", {"contents": "installed by install.sh"})
        assert submitted["success"] is True, submitted
        paste_id = submitted["paste_id_repr"]
        read = call(base, "paste/details", {"paste_id": paste_id})
        assert read["contents"] == "installed by install.sh"
        with urllib.request.urlopen(f"{base}/static/{_a_static_file()}", timeout=10) as r:
            assert r.status == 200  # nginx serves the installed static files itself

    # Again: nothing changes, the key is kept, and the paste link still works.
    before = files_under(prefix)
    second = install()
    assert "wrote" not in second and "installed" not in second and "cloned" not in second
    assert files_under(prefix) == before
    assert read_settings(env_file) == settings
    with serve() as url, nginx(binary, url, tmp_path / "nginx2", site=shipped_site) as port:
        read = call(f"http://127.0.0.1:{port}", "paste/details", {"paste_id": paste_id})
        assert read["contents"] == "installed by install.sh"


def _a_static_file() -> str:
    static = ROOT / "pastecms" / "static"
    return next(p for p in sorted(static.rglob("*")) if p.is_file()).relative_to(static).as_posix()
