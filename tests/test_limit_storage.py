"""An outage of the rate-limit storage never takes the API down, unless told to fail
closed, and then it is a named 503, not a 500."""

import logging

import pytest

# Nothing listens on port 1.
DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_limits_fail_open_with_a_warning_when_redis_is_down(make_app, caplog, db_rows):
    client = make_app(
        RATELIMIT_STORAGE_URI=DEAD_REDIS, RATELIMIT_SUBMIT="2 per minute"
    ).test_client()
    with caplog.at_level(logging.WARNING):
        answers = [
            client.post("/api/paste/submit", json={"contents": f"paste {n}"}) for n in range(3)
        ]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert "falling back to in-memory storage" in caplog.text
    assert len(db_rows()["pastes"]) == 2


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/paste/submit", {"contents": "x"}),
        ("POST", "/api/user/create", {"username": "bob", "password": "long enough"}),
        ("POST", "/", {"contents": "x"}),
    ],
)
def test_limits_fail_closed_with_a_named_503(make_app, caplog, db_rows, method, path, body):
    app = make_app(RATELIMIT_STORAGE_URI=DEAD_REDIS, RATELIMIT_FAIL_CLOSED=True)
    client = app.test_client()
    before = db_rows()
    with caplog.at_level(logging.ERROR):
        if path.startswith("/api"):
            response = client.open(path, method=method, json=body)
        else:
            response = client.open(path, method=method, data=body)
    assert response.status_code == 503
    if response.is_json:
        assert response.json["failure_name"] == "service_unavailable_failure"
    else:
        assert "service_unavailable_failure" in response.text
    assert "rate-limit storage unavailable" in caplog.text
    assert db_rows() == before


def test_unlimited_routes_do_not_need_the_limit_storage(make_app):
    client = make_app(RATELIMIT_STORAGE_URI=DEAD_REDIS, RATELIMIT_FAIL_CLOSED=True).test_client()
    assert client.post("/api/paste/recent", json={}).status_code == 200
    assert client.get("/healthz").status_code == 200
