"""Byte quotas: how much a client may store over a window, whichever way it posts, with
anonymous clients held to less than signed-in users."""

import base64
import uuid

import pytest

SUBMIT = "/api/paste/submit"


@pytest.fixture
def quota_app(make_app):
    # A prefix of its own keeps these counters apart from other runs sharing Redis.
    return make_app(
        QUOTA_ANONYMOUS="100 per hour",
        QUOTA_USER="300 per hour",
        RATELIMIT_KEY_PREFIX=uuid.uuid4().hex,
    )


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def submit(client, size, **fields):
    return client.post(SUBMIT, json={"contents": "x" * size, **fields})


def test_an_anonymous_address_is_refused_past_its_quota(quota_app, db_rows):
    client = client_at(quota_app, "192.0.2.1")
    assert submit(client, 60).status_code == 200
    before = db_rows()

    refused = submit(client, 60)
    assert refused.status_code == 429
    assert refused.json["failure_name"] == "rate_limit_failure"
    assert "100 bytes" in refused.json["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert db_rows() == before

    # What is left still fits: a refused paste used up nothing.
    assert submit(client, 40).status_code == 200
    # Another address has its own quota.
    assert submit(client_at(quota_app, "192.0.2.2"), 60).status_code == 200


def test_a_paste_larger_than_a_whole_window_is_413(quota_app, db_rows):
    before = db_rows()
    response = submit(quota_app.test_client(), 101)
    assert response.status_code == 413
    assert response.json["failure_name"] == "payload_too_large_failure"
    assert db_rows() == before


def test_attachments_count_with_the_contents(quota_app, db_rows):
    client = quota_app.test_client()
    attachment = {"name": "a.bin", "data": base64.b64encode(b"y" * 60).decode()}
    assert submit(client, 30, attachments=[attachment]).status_code == 200
    before = db_rows()
    assert submit(client, 11).status_code == 429
    assert db_rows() == before


def test_the_web_form_and_the_api_share_one_quota(quota_app):
    client = quota_app.test_client()
    assert client.post("/", data={"contents": "x" * 60}).status_code == 302
    assert submit(client, 60).status_code == 429
    refused = client.post("/", data={"contents": "x" * 41})
    assert refused.status_code == 429
    assert "100 bytes" in refused.text


def test_signed_in_users_have_a_larger_quota_per_account(quota_app, make_user):
    _, key = make_user("alice")
    here, there = client_at(quota_app, "192.0.2.1"), client_at(quota_app, "192.0.2.2")
    assert submit(here, 150, api_key=key).status_code == 200
    assert submit(there, 150, api_key=key).status_code == 200
    # The account's quota is used up wherever it posts from.
    assert submit(client_at(quota_app, "192.0.2.3"), 1, api_key=key).status_code == 429
    # Its addresses still take anonymous pastes: those are counted apart.
    assert submit(here, 60).status_code == 200


def test_accounts_at_one_address_share_its_quota(quota_app, make_user):
    _, alice = make_user("alice")
    _, bob = make_user("bob")
    client = client_at(quota_app, "192.0.2.1")
    assert submit(client, 200, api_key=alice).status_code == 200
    assert submit(client, 200, api_key=bob).status_code == 429
    assert submit(client_at(quota_app, "192.0.2.2"), 200, api_key=bob).status_code == 200


def test_no_quota_when_rate_limits_are_off(make_app):
    client = make_app(QUOTA_ANONYMOUS="10 per hour", RATELIMIT_ENABLED=False).test_client()
    for _ in range(3):
        assert submit(client, 10).status_code == 200


def test_apps_sharing_a_storage_under_other_prefixes_count_apart(make_app):
    app = make_app(
        QUOTA_ANONYMOUS="100 per hour",
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_KEY_PREFIX="first-app",
    )
    client = app.test_client()
    assert submit(client, 100).status_code == 200
    assert submit(client, 1).status_code == 429
    app.config["RATELIMIT_KEY_PREFIX"] = "second-app"  # another app on the same storage
    assert submit(client, 100).status_code == 200
