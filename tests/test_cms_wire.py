"""The CMS face's wire: its error envelope and codes, its rate limits, its CORS."""

import logging
import os
import uuid
from datetime import timedelta

import pytest

from pastecms.models import utcnow
from pastecms.services.content import article as article_service
from pastecms.services.identity import tokens
from pastecms.services.identity import user as user_service
from tests.conftest import Cms

ORIGIN = "https://blog.example"


def assert_cms_failure(response, code, failure_name, status):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == {"error", "failure_name"}
    assert body["failure_name"] == failure_name
    assert body["error"]["code"] == code
    assert body["error"]["message"]


@pytest.mark.parametrize("path", ["/v1", "/v1/", "/v1/nope", "/v1/articles/x/y/z", "/v1/tags/a/b"])
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_an_unknown_v1_route_is_a_cms_not_found(client, method, path):
    response = client.open(path, method=method, json={})
    assert_cms_failure(response, "NOT_FOUND", "not_found_failure", 404)


def test_a_wrong_verb_is_a_cms_405_naming_the_right_ones(client):
    response = client.patch("/v1/articles", json={})
    assert_cms_failure(response, "METHOD_NOT_ALLOWED", "method_not_allowed_failure", 405)
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))


@pytest.mark.parametrize(
    ("body", "content_type", "failure_name"),
    [
        (b'{"title": ', "application/json", "invalid_params_failure"),
        (b"[1, 2]", "application/json", "invalid_params_failure"),
        (b'{"title": "t"}', "text/plain", "incomplete_params_failure"),
    ],
)
def test_an_unreadable_body_is_a_validation_error(
    cms_admin, db_rows, body, content_type, failure_name
):
    before = db_rows()
    response = cms_admin.post("/v1/articles", data=body, content_type=content_type)
    assert_cms_failure(response, "VALIDATION_ERROR", failure_name, 400)
    assert db_rows() == before


def test_an_oversized_body_is_a_cms_413(make_app, make_user, db_rows):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    _, key = make_user("editor", is_admin=True)
    before = db_rows()
    response = Cms(app.test_client(), key).post(
        "/v1/articles", {"title": "t", "content": "x" * 2048}
    )
    assert_cms_failure(response, "PAYLOAD_TOO_LARGE", "payload_too_large_failure", 413)
    assert db_rows() == before


def test_an_expired_access_token_is_440_in_the_cms_envelope(client, make_user, app):
    make_user("alice")
    with app.app_context():
        token = tokens.issue_access(
            user_service.by_username("alice"), now=utcnow() - timedelta(hours=2)
        )
    response = client.get("/v1/articles", headers={"Authorization": f"Bearer {token}"})
    assert_cms_failure(response, "TOKEN_EXPIRED", "token_expired_failure", 440)


def test_a_fresh_access_token_reads_articles(client, make_user, app):
    make_user("alice")
    with app.app_context():
        token = tokens.issue_access(user_service.by_username("alice"))
    response = client.get("/v1/articles", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_an_unexpected_error_is_an_internal_error_that_tells_nothing(
    cms_reader, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("postgres://admin:hunter2@db")

    monkeypatch.setattr(article_service, "list_page", broken)
    with caplog.at_level(logging.ERROR, logger="pastecms"):
        response = cms_reader.get("/v1/articles")
    assert_cms_failure(response, "INTERNAL_ERROR", "undefined_failure", 500)
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert any(record.exc_info for record in caplog.records)


def test_a_missing_field_is_named_required_and_a_wrong_one_says_why(cms_admin):
    missing = cms_admin.post("/v1/articles", {"content": "x"}).json["error"]
    assert missing["details"] == {"title": "Required"}
    wrong = cms_admin.post("/v1/articles", {"title": "t", "content": "x", "slideDuration": 5})
    message = wrong.json["error"]["details"]["slideDuration"]
    assert message != "Required" and "30" in message


# -- rate limits ------------------------------------------------------------------------


@pytest.fixture
def limited(make_app, make_user):
    """A CMS with 2 reads and 2 writes a minute, counted apart from any other run."""
    app = make_app(
        RATELIMIT_CMS_READ="2 per minute",
        RATELIMIT_CMS_WRITE="2 per minute",
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        CMS_CORS_ORIGINS=[ORIGIN],
    )
    _, key = make_user("editor", is_admin=True)
    return Cms(app.test_client(), key)


def test_writes_over_the_limit_are_refused_with_retry_after(limited, db_rows):
    assert limited.post("/v1/tags", {"name": "one"}).status_code == 201
    assert limited.post("/v1/categories", {"name": "C", "slug": "c"}).status_code == 201
    before = db_rows()
    third = limited.post("/v1/tags", {"name": "three"})
    assert_cms_failure(third, "RATE_LIMITED", "rate_limit_failure", 429)
    assert 0 < int(third.headers["Retry-After"]) <= 60
    assert db_rows() == before
    # Reads are counted apart.
    assert limited.get("/v1/tags").status_code == 200


def test_reads_over_the_limit_are_refused_and_writes_go_on(limited):
    assert limited.get("/v1/tags").status_code == 200
    assert limited.get("/v1/articles").status_code == 200
    assert_cms_failure(limited.get("/v1/categories"), "RATE_LIMITED", "rate_limit_failure", 429)
    assert limited.post("/v1/tags", {"name": "still"}).status_code == 201


def test_failures_count_towards_the_limit_too(limited):
    for _ in range(2):
        assert limited.post("/v1/articles", {}).status_code == 400
    assert limited.post("/v1/articles", {}).status_code == 429


def test_health_is_never_rate_limited(limited):
    for _ in range(5):
        assert limited.client.get("/health").status_code == 200


@pytest.mark.skipif(
    not os.environ.get("PASTECMS_TEST_RATELIMIT_STORAGE_URI", "").startswith("redis"),
    reason="needs the Redis limit storage (PASTECMS_TEST_RATELIMIT_STORAGE_URI)",
)
def test_two_app_instances_share_the_limits_in_redis(make_app, make_user, db_rows):
    settings = {"RATELIMIT_CMS_WRITE": "2 per minute", "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    first, second = make_app(**settings), make_app(**settings)
    _, key = make_user("editor", is_admin=True)
    one, other = Cms(first.test_client(), key), Cms(second.test_client(), key)
    assert one.post("/v1/tags", {"name": "a"}).status_code == 201
    assert other.post("/v1/tags", {"name": "b"}).status_code == 201
    before = db_rows()
    for cms in (one, other):
        assert_cms_failure(
            cms.post("/v1/tags", {"name": "c"}), "RATE_LIMITED", "rate_limit_failure", 429
        )
    assert db_rows() == before


# -- CORS -------------------------------------------------------------------------------


def test_no_origin_is_allowed_by_default(cms_reader):
    response = cms_reader.get("/v1/articles", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("origins", [[ORIGIN], f"https://other.example, {ORIGIN}"])
def test_a_configured_origin_is_allowed_on_successes_and_failures(make_app, make_user, origins):
    app = make_app(CMS_CORS_ORIGINS=origins)
    _, key = make_user("reader")
    client = app.test_client()
    headers = {"Origin": ORIGIN}
    answers = {
        "success": client.get(
            "/v1/articles", headers={**headers, "Authorization": f"Bearer {key}"}
        ),
        "public": client.get("/v1/settings", headers=headers),
        "unauthorized": client.get("/v1/articles", headers=headers),
        "not found": client.get("/v1/nothing", headers=headers),
        "health": client.get("/health", headers=headers),
    }
    for name, response in answers.items():
        assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN, name
    assert answers["unauthorized"].status_code == 401


def test_another_origin_gets_no_cors_headers(limited):
    response = limited.get("/v1/articles", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_429_carries_the_cors_headers(limited):
    headers = {"Origin": ORIGIN}
    for _ in range(2):
        limited.get("/v1/tags", headers=headers)
    refused = limited.get("/v1/tags", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]


def test_a_preflight_names_the_methods_and_headers(limited):
    response = limited.client.options(
        "/v1/articles/01hzzzzzzzzzzzzzzzzzzzzzzz",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    methods = set(response.headers["Access-Control-Allow-Methods"].replace(" ", "").split(","))
    assert {"GET", "POST", "PUT", "DELETE", "PATCH"} <= methods
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_cors_stays_off_the_other_faces(make_app):
    client = make_app(CMS_CORS_ORIGINS=[ORIGIN]).test_client()
    response = client.post("/api/paste/recent", json={}, headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
