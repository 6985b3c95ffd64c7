"""What the README says about running and operating the server is what the server and
the Makefile do."""

import json
import re
import subprocess

from tests.live import ROOT

README = (ROOT / "README.md").read_text()


def make_dry_run(*args) -> str:
    """The commands `make` would run (-n), every target taken as out of date (-B)."""
    result = subprocess.run(
        ["make", "-n", "-B", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_healthz_body_is_as_documented(client):
    documented = re.search(r"`GET /healthz`: `200 (\{.*?\})`", README).group(1)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == json.loads(documented)


def test_a_past_expiry_time_has_the_documented_details(api):
    documented = re.search(
        r'```json\n(\{"success": false, "message": "expiry_time.*?)\n```', README, re.S
    ).group(1)
    response = api.post("/api/paste/submit", {"contents": "x", "expiry_time": 1})
    assert response.json == json.loads(documented)


def test_make_run_takes_the_documented_port():
    assert "`make run PORT=8080`" in README
    assert "--port 8080" in make_dry_run("run", "PORT=8080")


def test_make_dev_installs_the_development_tools():
    assert "`make dev` installs the development tools" in README
    assert "pip install --quiet -e '.[dev]'" in make_dry_run("dev")


def test_the_readme_says_what_admin_grants():
    assert "**What `--admin` grants.**" in README


# Deploy


def deploy_section() -> str:
    return README[README.index("## Deploy\n") : README.index("**`PASTECMS_PROXY_HOPS`**")]


def step_block(step: int) -> str:
    """The ```console block of a Deploy step (for a root shell on the host, not CI), unindented."""
    section = deploy_section()
    start = section.index(f"\n{step}. **")
    end = section.find(f"\n{step + 1}. **")
    text = section[start : end if end != -1 else len(section)]
    block = re.search(r"```console\n(.*?)\n\s*```", text, re.S).group(1)
    return "\n".join(line[3:] if line.startswith("   ") else line for line in block.split("\n"))


def as_systemd_reads(path) -> dict:
    """EnvironmentFile= for the simple lines the README allows: NAME=value, # comments."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def as_the_shell_reads(path) -> dict:
    result = subprocess.run(
        ["sh", "-c", f'set -a; . "{path}"; set +a; env'],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    pairs = (line.partition("=") for line in result.stdout.splitlines())
    return {name: value for name, _, value in pairs if name.startswith("PASTECMS_")}


def test_the_settings_file_is_made_once_and_read_alike_by_systemd_and_the_shell(tmp_path):
    env_file = tmp_path / "env"
    lines = [
        line
        for line in step_block(3).replace("/etc/pastecms/env", str(env_file)).splitlines()
        if not line.startswith(("install ", "chgrp "))  # root's part: owner and group
    ]
    script = "\n".join(lines)
    subprocess.run(["sh", "-c", script], check=True, timeout=60)
    made = env_file.read_text()
    subprocess.run(["sh", "-c", script], check=True, timeout=60)
    assert env_file.read_text() == made  # run again, the key is kept

    read = as_systemd_reads(env_file)
    assert read == as_the_shell_reads(env_file)
    assert set(read) == {
        "PASTECMS_SECRET_KEY",
        "PASTECMS_DATABASE_URI",
        "PASTECMS_RATELIMIT_STORAGE_URI",
    }
    assert len(read["PASTECMS_SECRET_KEY"]) >= 32
    assert "xargs" not in README


def test_the_state_folder_exists_before_the_instance_link_and_the_schema():
    step1 = step_block(1)
    made = step1.index("install -d -o pastecms -g pastecms -m 0750 /var/lib/pastecms")
    assert made < step1.index("ln -s /var/lib/pastecms /srv/pastecms/instance")
    for step in (4, 8):
        assert "set -a; . /etc/pastecms/env; set +a;" in step_block(step)
        assert "db upgrade" in step_block(step)
    unit = (ROOT / "deploy" / "pastecms.service").read_text()
    assert "EnvironmentFile=/etc/pastecms/env" in unit
    assert "ReadWritePaths=/var/lib/pastecms" in unit


def test_certbots_webroot_is_the_one_the_nginx_site_serves_challenges_from():
    webroot = re.search(r"certbot certonly --webroot -w (\S+) ", deploy_section()).group(1)
    site = (ROOT / "deploy" / "nginx" / "pastecms.conf").read_text()
    location = re.search(r"location /\.well-known/acme-challenge/ \{\s*root (\S+);", site).group(1)
    assert location == webroot


def test_the_postgresql_section_creates_its_role_and_keeps_its_key():
    section = README[README.index("## PostgreSQL and Redis") : README.index("## Deploy\n")]
    assert "CREATE ROLE pastecms LOGIN PASSWORD 'secret'" in section
    assert "createdb -O pastecms pastecms" in section
    assert "pastecms:secret@127.0.0.1:5432/pastecms" in section
    assert "make settings\n" in section  # the key of `make run`, kept in .env
    assert "PASTECMS_SECRET_KEY=" not in section
    assert "every paste link given out before answers" in section


def test_every_deploy_block_is_valid_shell():
    for step in (1, 3, 4, 8):
        result = subprocess.run(["sh", "-n", "-c", step_block(step)], capture_output=True)
        assert result.returncode == 0, (step, result.stderr)


def test_install_sh_does_the_documented_steps():
    """The README tells operators to run deploy/install.sh; the script runs the steps
    written there (tests/test_live_install.py runs it)."""
    assert "/srv/pastecms/deploy/install.sh --server-name paste.example.org" in deploy_section()
    script = (ROOT / "deploy" / "install.sh").read_text()
    for documented in (
        "adduser --system --group --home",
        "install -d -o pastecms -g pastecms -m 0750",
        "python3 -m venv",
        "[postgres,redis]",
        "secrets.token_urlsafe(48)",
        "set -a; . ",
        "flask --app wsgi db upgrade",
        "systemctl enable --now pastecms pastecms-purge.timer",
        "nginx -t && systemctl reload nginx",
    ):
        assert documented in script, documented
        assert documented in README, documented
