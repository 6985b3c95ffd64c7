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
