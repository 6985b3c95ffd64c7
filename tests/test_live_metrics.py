"""/metrics under gunicorn as shipped, with two workers: a scrape sees every worker's
requests whichever worker answers it (prometheus_client's multiprocess mode), and the
shipped nginx site never passes /metrics on."""

import json
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live import ROOT, find_nginx, gunicorn, nginx

pytestmark = pytest.mark.live

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
TOKEN = "live-scrape-" + "k" * 32


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def unmatched_404s(base) -> float:
    status, text = get(base + "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "pastecms_requests_total" and sample.labels == {
                "endpoint": "unmatched",
                "method": "GET",
                "status": "404",
            }:
                return sample.value
    return 0


def test_two_workers_are_counted_together(live_env, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by a former run")  # emptied at start
    env = {**live_env(METRICS_TOKEN=TOKEN), "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    with gunicorn(env, tmp_path / "gunicorn.log", config_file=GUNICORN_CONF, workers=2) as base:
        sent = 60
        with ThreadPoolExecutor(6) as pool:
            statuses = list(
                pool.map(lambda _: get(f"{base}/no/{uuid.uuid4().hex}")[0], range(sent))
            )
        assert statuses == [404] * sent
        # Each scrape is answered by one worker or the other; each sees all of them.
        assert {unmatched_404s(base) for _ in range(8)} == {sent}
        writers = {path.stem.rpartition("_")[2] for path in folder.glob("counter_*.db")}
        # Both workers answered, each wrote its own (and the master, which builds the app
        # once to check it before any worker starts, one with nothing counted).
        assert len(writers) >= 2, writers

        status, text = get(base + "/metrics")
        assert status == 401
        assert json.loads(text)["failure_name"] == "auth_failure"


def test_nginx_never_passes_metrics_on(live_env, tmp_path):
    binary = find_nginx()
    if binary is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    env = live_env(METRICS_TOKEN=TOKEN, PROXY_HOPS=1)
    with (
        gunicorn(env, tmp_path / "gunicorn.log", config_file=GUNICORN_CONF, workers=1) as base,
        nginx(binary, base, tmp_path / "nginx") as port,
    ):
        assert get(base + "/metrics", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
        for path in ("/metrics", "//metrics", "/%6detrics"):
            status, text = get(
                f"http://127.0.0.1:{port}{path}", {"Authorization": f"Bearer {TOKEN}"}
            )
            assert status == 404, path
            assert json.loads(text)["failure_name"] == "not_found_failure"
