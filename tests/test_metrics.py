"""/metrics: an operator's Prometheus sees request counts, latencies, failures, rate-limit
refusals and the database pool; nobody else sees anything."""

import threading
import time
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.pool import QueuePool

from config import TestConfig
from pastecms import ConfigurationError, create_app
from pastecms.metrics import MeteredQueuePool

TOKEN = "scrape-" + "t" * 32
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def samples(client, headers=BEARER) -> dict:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.content_type.startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests_of(found, endpoint, method, status) -> float:
    key = (
        "pastecms_requests_total",
        (("endpoint", endpoint), ("method", method), ("status", status)),
    )
    return found.get(key, 0)


@pytest.fixture
def metered(make_app):
    return make_app(METRICS_TOKEN=TOKEN).test_client()


def test_counts_move_with_each_request(metered):
    paste = metered.post("/api/paste/submit", json={"contents": "x"}).json
    before = samples(metered)
    for _ in range(3):
        answer = metered.post("/api/paste/details", json={"paste_id": paste["paste_id_repr"]})
        assert answer.status_code == 200
    after = samples(metered)

    assert requests_of(before, "paste_api.details", "POST", "200") == 0
    assert requests_of(after, "paste_api.details", "POST", "200") == 3
    assert requests_of(after, "paste_api.submit", "POST", "200") == 1
    count = ("pastecms_request_duration_seconds_count", (("endpoint", "paste_api.details"),))
    assert after[count] == 3
    slowest = (
        "pastecms_request_duration_seconds_bucket",
        (("endpoint", "paste_api.details"), ("le", "+Inf")),
    )
    assert after[slowest] == 3
    # The scrape before counted itself.
    assert requests_of(after, "metrics.scrape", "GET", "200") == 1


def test_failures_are_counted_by_name_and_paths_by_endpoint(metered):
    metered.post("/api/paste/details", json={"paste_id": "nothing"})
    metered.get(f"/no/such/{uuid.uuid4().hex}")
    metered.get(f"/no/such/{uuid.uuid4().hex}")
    metered.open("/healthz", method="BREW")
    found = samples(metered)
    assert found[("pastecms_failures_total", (("failure_name", "nonexistent_paste_failure"),))] == 1
    # Unknown paths are one series, whatever the path: the cardinality stays bounded.
    assert requests_of(found, "unmatched", "GET", "404") == 2
    assert requests_of(found, "unmatched", "other", "405") == 1
    assert not any("/no/such" in str(labels) for _, labels in found)


def test_rate_limit_refusals_are_counted(make_app):
    client = make_app(
        METRICS_TOKEN=TOKEN, RATELIMIT_SUBMIT="1 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex
    ).test_client()
    for _ in range(3):
        client.post("/api/paste/submit", json={"contents": "x"})
    found = samples(client)
    assert found[("pastecms_rate_limit_refusals_total", (("endpoint", "paste_api.submit"),))] == 2
    assert found[("pastecms_failures_total", (("failure_name", "rate_limit_failure"),))] == 2
    assert requests_of(found, "paste_api.submit", "POST", "429") == 2


def test_the_database_pool_is_reported(metered):
    metered.get("/healthz")
    found = samples(metered)
    # Between requests every connection is back in the pool.
    assert found[("pastecms_db_pool_checked_out", ())] == 0
    assert ("pastecms_db_pool_overflow", ()) in found
    assert found[("pastecms_db_pool_waits_total", ())] == 0


def test_a_checkout_that_waits_for_a_connection_is_counted(tmp_path):
    import sqlite3

    waited = []
    pool = MeteredQueuePool(
        lambda: sqlite3.connect(tmp_path / "db", check_same_thread=False),
        pool_size=1,
        max_overflow=0,
    )
    pool.on_wait = waited.append
    held = pool.connect()

    def give_back():
        time.sleep(0.2)
        held.close()

    thread = threading.Thread(target=give_back)
    thread.start()
    pool.connect().close()  # waits for the held connection
    thread.join()
    assert len(waited) == 1 and waited[0] >= 0.15
    pool.connect().close()  # one idle: no wait
    assert len(waited) == 1
    assert isinstance(pool.recreate(), QueuePool) and pool.recreate().on_wait == waited.append


@pytest.mark.parametrize(
    ("settings", "headers", "address", "failure_name", "status"),
    [
        ({}, BEARER, "127.0.0.1", "not_found_failure", 404),
        ({"METRICS_TOKEN": TOKEN}, {}, "127.0.0.1", "auth_failure", 401),
        (
            {"METRICS_TOKEN": TOKEN},
            {"Authorization": "Bearer wrong"},
            "127.0.0.1",
            "auth_failure",
            401,
        ),
        ({"METRICS_TOKEN": TOKEN}, {"Authorization": TOKEN}, "127.0.0.1", "auth_failure", 401),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8"}, BEARER, "127.0.0.1", "forbidden_failure", 403),
        (
            {"METRICS_ALLOWED_NETWORKS": ["127.0.0.0/8"], "METRICS_TOKEN": TOKEN},
            {},
            "127.0.0.1",
            "auth_failure",
            401,
        ),
        (
            {"METRICS_ALLOWED_NETWORKS": "127.0.0.0/8", "METRICS_TOKEN": TOKEN},
            BEARER,
            "192.0.2.7",
            "forbidden_failure",
            403,
        ),
    ],
)
def test_a_refused_scrape_gets_a_named_failure(
    make_app, settings, headers, address, failure_name, status
):
    client = make_app(**settings).test_client()
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert response.json["status"] == "error"
    assert "pastecms_requests" not in response.text


@pytest.mark.parametrize(
    ("settings", "headers", "address"),
    [
        ({"METRICS_TOKEN": TOKEN}, BEARER, "192.0.2.7"),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8, 127.0.0.1"}, {}, "127.0.0.1"),
        ({"METRICS_ALLOWED_NETWORKS": "127.0.0.0/8", "METRICS_TOKEN": TOKEN}, BEARER, "127.0.0.1"),
    ],
)
def test_the_operator_may_scrape(make_app, settings, headers, address):
    client = make_app(**settings).test_client()
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    assert "pastecms_requests_total" in response.text


def test_the_token_is_taken_as_the_environment_gives_it(monkeypatch, database_uri):
    # Digits only: from_prefixed_env alone would read it as a number.
    monkeypatch.setenv("PASTECMS_METRICS_TOKEN", "12345678901234567890")
    app = create_app(TestConfig, {"DATABASE_URI": database_uri})
    try:
        headers = {"Authorization": "Bearer 12345678901234567890"}
        assert app.test_client().get("/metrics", headers=headers).status_code == 200
    finally:
        with app.app_context():
            from pastecms.extensions import db

            db.engine.dispose()


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"METRICS_TOKEN": "short"}, "PASTECMS_METRICS_TOKEN is too short"),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.1/8"}, "PASTECMS_METRICS_ALLOWED_NETWORKS"),
    ],
)
def test_bad_metrics_settings_refuse_to_start(database_uri, settings, said):
    with pytest.raises(ConfigurationError, match=said):
        create_app(TestConfig, {"DATABASE_URI": database_uri, **settings})
