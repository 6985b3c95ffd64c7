"""Requests the API cannot serve still get a named JSON failure, never an HTML page."""

import logging

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from pastecms.extensions import db
from pastecms.models import User
from pastecms.services.pastes import paste as paste_service


def assert_failure(response, failure_name, status):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.json["success"] is False
    assert response.json["failure_name"] == failure_name
    assert response.json["failure"] == failure_name
    assert response.json["message"]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "path", ["/api", "/api/", "/api/nope", "/api/paste/nope", "/api/paste/submit/extra"]
)
def test_unknown_api_route_is_a_json_404(client, method, path):
    response = client.open(path, method=method, json={})
    assert_failure(response, "not_found_failure", 404)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/paste/submit",
        "/api/paste/details",
        "/api/paste/recent",
        "/api/user/create",
        "/api/authentication/status",
    ],
)
def test_wrong_verb_is_a_json_405_naming_the_right_one(client, db_rows, method, path):
    before = db_rows()
    response = client.open(path, method=method, json={"contents": "x"})
    assert_failure(response, "method_not_allowed_failure", 405)
    assert "POST" in response.headers["Allow"]
    assert db_rows() == before


BAD_BODIES = [
    # Malformed JSON.
    ('{"contents": ', "application/json", "invalid_params_failure", 400),
    ("{contents: 'x'}", "application/json", "invalid_params_failure", 400),
    ('{"contents": "x",}', "application/json", "invalid_params_failure", 400),
    ('{"contents": NaN}', "application/json", "invalid_params_failure", 400),
    (
        '{"contents": "x", "expiry_time": Infinity}',
        "application/json",
        "invalid_params_failure",
        400,
    ),
    (b'{"contents": "\xff\xfe"}', "application/json", "invalid_params_failure", 400),
    ("[" * 100_000 + "]" * 100_000, "application/json", "invalid_params_failure", 400),
    # Well-formed JSON that is not an object.
    ('["contents", "x"]', "application/json", "invalid_params_failure", 400),
    ('"contents"', "application/json", "invalid_params_failure", 400),
    ("42", "application/json", "invalid_params_failure", 400),
    ("null", "application/json", "invalid_params_failure", 400),
    # Not sent as JSON at all (seed 003: incomplete_params_failure).
    ('{"contents": "x"}', "text/plain", "incomplete_params_failure", 400),
    ("contents=x", "application/x-www-form-urlencoded", "incomplete_params_failure", 400),
    ('{"contents": "x"}', None, "incomplete_params_failure", 400),
    # No body at all: nothing was sent, so the contents are missing.
    ("", "application/json", "incomplete_params_failure", 400),
]


@pytest.mark.parametrize(("body", "content_type", "failure_name", "status"), BAD_BODIES)
def test_unreadable_body_is_a_named_failure(
    client, db_rows, body, content_type, failure_name, status
):
    before = db_rows()
    response = client.post("/api/paste/submit", data=body, content_type=content_type)
    assert_failure(response, failure_name, status)
    assert db_rows() == before


def test_json_with_a_charset_is_still_json(client):
    response = client.post(
        "/api/paste/submit",
        data='{"contents": "x"}',
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/paste/submit", "/api/paste/recent", "/api/user/create"])
def test_oversized_body_is_a_json_413(make_app, db_rows, path):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    before = db_rows()
    response = client.post(path, json={"contents": "x" * 2048, "username": "bob"})
    assert_failure(response, "payload_too_large_failure", 413)
    assert db_rows() == before


def test_unexpected_error_is_a_500_that_tells_nothing_and_is_logged(
    client, db_rows, monkeypatch, caplog
):
    real_submit = paste_service.submit

    def broken(*args, **kwargs):
        real_submit(*args, **kwargs)  # the paste is flushed, then something breaks
        raise RuntimeError("connection string postgres://admin:hunter2@db")

    monkeypatch.setattr(paste_service, "submit", broken)
    before = db_rows()
    with caplog.at_level(logging.ERROR, logger="pastecms"):
        response = client.post(
            "/api/paste/submit", json={"contents": "x"}, headers={"X-Request-Id": "abc123"}
        )

    assert_failure(response, "undefined_failure", 500)
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    assert "abc123" in response.json["message"]
    assert response.headers["X-Request-Id"] == "abc123"
    # Rolled back: the half-made paste is not stored.
    assert db_rows() == before

    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "abc123" in record.getMessage()
    assert record.exc_info[0] is RuntimeError


def test_a_broken_constraint_other_than_unique_is_a_logged_500(
    app, client, db_rows, monkeypatch, caplog
):
    """Only a unique violation is a race another request won (`conflict_failure`); any
    other constraint that refuses a write is a bug."""

    def broken(*args, **kwargs):
        db.session.execute(insert(User).values(username="x", password_hash=None))

    monkeypatch.setattr(paste_service, "recent", broken)
    before = db_rows()
    with caplog.at_level(logging.ERROR, logger="pastecms"):
        response = client.post("/api/paste/recent", json={})
    assert_failure(response, "undefined_failure", 500)
    assert "password_hash" not in response.text
    assert db_rows() == before
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info[0] is IntegrityError


def test_a_failed_statement_logs_no_parameters(client, monkeypatch, caplog):
    """Statement parameters hold paste contents and password hashes: a database error in
    the log names the statement, never the values (`hide_parameters`)."""

    def broken(*args, **kwargs):
        db.session.execute(
            insert(User).values(username="SECRET-CONTENTS", password_hash=None, name="$2b$12$x")
        )

    monkeypatch.setattr(paste_service, "recent", broken)
    with caplog.at_level(logging.ERROR, logger="pastecms"):
        client.post("/api/paste/recent", json={})
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    logged = logging.Formatter().format(record)
    assert "INSERT INTO users" in logged
    assert "SECRET-CONTENTS" not in logged
    assert "$2b$12$x" not in logged


def test_a_unique_violation_is_a_conflict(client, make_user, db_rows, monkeypatch):
    make_user("alice")

    def racing(*args, **kwargs):
        db.session.execute(insert(User).values(username="ALICE", password_hash="x"))

    monkeypatch.setattr(paste_service, "recent", racing)
    before = db_rows()
    response = client.post("/api/paste/recent", json={})
    assert_failure(response, "conflict_failure", 409)
    assert db_rows() == before


def test_every_response_carries_a_request_id(client):
    response = client.post("/api/paste/recent", json={})
    assert len(response.headers["X-Request-Id"]) == 32
    other = client.post("/api/paste/recent", json={})
    assert other.headers["X-Request-Id"] != response.headers["X-Request-Id"]


@pytest.mark.parametrize("incoming", ["has spaces", "x" * 65, "semi;colon"])
def test_a_malformed_incoming_request_id_is_replaced(client, incoming):
    response = client.post("/api/paste/recent", json={}, headers={"X-Request-Id": incoming})
    assert response.headers["X-Request-Id"] != incoming


def test_unexpected_error_on_a_web_page_is_an_html_500(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(paste_service, "read", broken)
    with caplog.at_level(logging.ERROR, logger="pastecms"):
        response = client.get("/paste/anything/raw")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "undefined_failure" in response.text
    assert "internal detail" not in response.text
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


@pytest.mark.parametrize(
    ("path", "envelope_name"),
    [("/pub/save/", "qexo"), ("/api/paste/submit", "paste"), ("/v1/articles", "cms")],
)
def test_a_form_of_too_many_fields_is_refused_before_it_is_parsed(
    client, db_rows, path, envelope_name
):
    """A url-encoded body of a million pairs would cost seconds of CPU to parse; past
    MAX_FORM_PARTS pairs it is a named 413 at once, on every face."""
    before = db_rows()
    body = b"&".join([b"a=1"] * 1_000_000)
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 413), response.status
    assert response.json["failure_name"] == "payload_too_large_failure"
    assert db_rows() == before


def test_a_stranger_is_refused_before_the_cms_reads_the_body(client, monkeypatch):
    """Where credentials come only in headers, an anonymous caller is refused before the
    body is parsed at all."""
    from pastecms import inputs

    def never(*args, **kwargs):
        raise AssertionError("the body was read")

    monkeypatch.setattr(inputs, "load", never)
    response = client.post("/v1/articles", json={"title": "t", "content": "c"})
    assert response.status_code == 401
    assert response.json["failure_name"] == "auth_failure"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/paste//submit"),
        ("POST", "//api/paste/submit"),
        ("POST", "/api//paste///submit"),
        ("GET", "/pub//friends"),
        ("GET", "//healthz"),
    ],
)
def test_repeated_slashes_are_one_slash_answered_in_place(client, method, path):
    """fpaste posts to `…/api/paste//submit` when its server URL ends with a slash;
    nginx merges the slashes, and so does the app alone (`make run`): no redirect, which
    a client would not follow for a POST."""
    # As the server hands the path over (the test client would read a leading "//" as
    # the start of a host name).
    response = client.open(
        "/", method=method, json={"contents": "hello"}, environ_overrides={"PATH_INFO": path}
    )
    assert response.status_code == 200, (response.status, response.get_data(as_text=True)[:200])
    assert "Location" not in response.headers
