"""Rate limits: a client over the limit is told when to come back, and nothing is stored."""

import uuid

import pytest


@pytest.fixture
def limited_app(make_app):
    # A key prefix of its own keeps this test's counters apart from any other run sharing
    # the Redis server.
    return make_app(
        RATELIMIT_SUBMIT="2 per minute",
        RATELIMIT_ACCOUNT="2 per minute",
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
    )


def test_third_submit_in_a_minute_is_refused_with_retry_after(limited_app, db_rows):
    client = limited_app.test_client()
    first = client.post("/api/paste/submit", json={"contents": "one"})
    second = client.post("/api/paste/submit", json={"contents": "two"})
    assert (first.status_code, second.status_code) == (200, 200)
    before = db_rows()

    third = client.post("/api/paste/submit", json={"contents": "three"})
    assert third.status_code == 429
    assert third.mimetype == "application/json"
    assert third.json["success"] is False
    assert third.json["failure_name"] == "rate_limit_failure"
    assert 0 < int(third.headers["Retry-After"]) <= 60
    assert db_rows() == before
    assert len(before["pastes"]) == 2


def test_reads_are_not_limited_by_the_submit_limit(limited_app):
    client = limited_app.test_client()
    paste = client.post("/api/paste/submit", json={"contents": "one"}).json
    for _ in range(5):
        response = client.post("/api/paste/details", json={"paste_id": paste["paste_id_repr"]})
        assert response.status_code == 200


def test_web_form_is_limited_too(limited_app, db_rows):
    client = limited_app.test_client()
    for n in range(2):
        assert client.post("/", data={"contents": f"form {n}"}).status_code == 302
    before = db_rows()
    third = client.post("/", data={"contents": "form 3"})
    assert third.status_code == 429
    assert "rate_limit_failure" in third.text
    assert "Retry-After" in third.headers
    assert db_rows() == before


@pytest.mark.parametrize(
    ("path", "payloads"),
    [
        (
            "/api/user/create",
            [{"username": f"user{n}", "password": "long enough"} for n in range(3)],
        ),
        (
            "/api/authentication/login",
            [{"username": "alice", "password": f"guess number {n}"} for n in range(3)],
        ),
    ],
)
def test_account_endpoints_slow_down_guessing(limited_app, make_user, db_rows, path, payloads):
    make_user("alice")
    client = limited_app.test_client()
    for payload in payloads[:2]:
        assert client.post(path, json=payload).status_code != 429
    before = db_rows()
    response = client.post(path, json=payloads[2])
    assert response.status_code == 429
    assert response.json["failure_name"] == "rate_limit_failure"
    assert "Retry-After" in response.headers
    assert db_rows() == before


@pytest.mark.parametrize("api_first", [True, False])
def test_one_submit_limit_counts_the_api_and_the_form_together(limited_app, db_rows, api_first):
    client = limited_app.test_client()

    def by_api(n):
        return client.post("/api/paste/submit", json={"contents": f"api {n}"})

    def by_form(n):
        return client.post("/", data={"contents": f"form {n}"})

    first, last = (by_api, by_form) if api_first else (by_form, by_api)
    for n in range(2):
        assert first(n).status_code in (200, 302)
    before = db_rows()
    refused = last(2)
    assert refused.status_code == 429
    assert "rate_limit_failure" in refused.text
    assert db_rows() == before
