"""Property-based fuzzing of the whole /api description against the live app.

schemathesis reads GET /api/openapi.json from a real gunicorn server and sends what it
generates from each operation's schemas (valid and invalid bodies, edge values, wrong
types) over real HTTP. Every response must be no 5xx, a documented status, the
documented Content-Type and a body matching the documented schema.

Two bounded runs: anonymous over every operation, then with a real API key over every
operation but the two that would revoke it mid-run (account deactivation, key
regeneration), so the authenticated paths are fuzzed too. The seed is fixed (override
with PASTECMS_FUZZ_SEED); PASTECMS_FUZZ_MAX_EXAMPLES bounds the cases per operation.
"""

import json
import os
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live import gunicorn

pytestmark = pytest.mark.live

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
MAX_EXAMPLES = int(os.environ.get("PASTECMS_FUZZ_MAX_EXAMPLES", "100"))
SEED = int(os.environ.get("PASTECMS_FUZZ_SEED", "20261124"))
# Seconds per run: a safety net, not a speed check. A run takes 1 to 5 minutes, as busy
# as this 2-core machine is (schemathesis itself is most of the CPU).
RUN_TIMEOUT = 900
KEY_REVOKING = (
    "/api/user/deactivate",
    "/api/user/api_key/regenerate",
    "/v1/api-key/generate",
    "/v1/api-key/disable",
)


def schemathesis_run(base_url, report, *extra):
    """Run the schemathesis CLI; return (exit code, output, JSON report)."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base_url}/api/openapi.json",
        "--url",
        base_url,
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *extra,
    ]
    finished = subprocess.run(
        command,
        cwd=report.parent,  # no stray schemathesis.toml or report folder in the repo
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    output = finished.stdout + finished.stderr
    summary = json.loads(report.read_text()) if report.exists() else {}
    return finished.returncode, output, summary


def new_api_key(base_url) -> str:
    request = urllib.request.Request(
        base_url + "/api/user/create",
        data=json.dumps({"username": "fuzzer", "password": "correct horse"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["api_key"]


def described_operations(base_url) -> set[str]:
    with urllib.request.urlopen(base_url + "/api/openapi.json", timeout=30) as response:
        document = json.load(response)
    return {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }


def test_schemathesis_finds_no_failure_in_the_whole_description(live_env, tmp_path, capsys):
    env = live_env(RATELIMIT_ENABLED="false")
    log = tmp_path / "gunicorn.log"
    runs = {}
    with gunicorn(env, log, workers=2) as base_url:
        operations = described_operations(base_url)
        key = new_api_key(base_url)
        excluded = [arg for path in KEY_REVOKING for arg in ("--exclude-path", path)]
        # The two runs at once, one per worker: each is one schemathesis process that
        # waits on the server as much as it computes. The anonymous run cannot touch the
        # key's account (it would need the key).
        with ThreadPoolExecutor(max_workers=2) as pool:
            anonymous = pool.submit(schemathesis_run, base_url, tmp_path / "anonymous.json")
            with_key = pool.submit(
                schemathesis_run,
                base_url,
                tmp_path / "authenticated.json",
                "--header",
                f"Authorization: Bearer {key}",
                *excluded,
            )
            runs["anonymous"] = anonymous.result()
            runs["with an API key"] = with_key.result()

    total = 0
    lines = []
    for name, (_, _, summary) in runs.items():
        cases = summary.get("test_cases", {})
        total += cases.get("generated", 0)
        lines.append(
            f"{name}: {cases.get('generated', 0)} cases over "
            f"{summary.get('operations', {}).get('tested', 0)} operations, "
            f"{cases.get('with_failures', '?')} with failures, "
            f"{summary.get('running_time', 0):.0f}s"
        )
    with capsys.disabled():
        print(f"\nschemathesis (seed {SEED}, max {MAX_EXAMPLES} examples per operation):")
        for line in lines:
            print("  " + line)
        print(f"  total: {total} cases")

    server_log = log.read_text(errors="replace")[-5000:] if log.exists() else ""
    for name, (code, output, summary) in runs.items():
        assert code == 0, f"{name} run failed:\n{output[-15000:]}\n--- server log ---\n{server_log}"
        assert summary["complete"], name
        assert summary["test_cases"]["with_failures"] == 0, name
        assert not summary["errors"], name
    # schemathesis leaves out the operation it loaded the description from (GET
    # /api/openapi.json, checked by tests/test_openapi.py); every other one is fuzzed.
    anonymous = runs["anonymous"][2]["operations"]
    assert anonymous["tested"] == anonymous["total"] == len(operations) - 1
