"""The web form's CSRF check says why it failed, and what to change when the cause is
the server's own setting (a secure-only cookie over plain HTTP)."""

import re

import pytest

COOKIE = "session"


@pytest.fixture
def checked_app(make_app):
    # The production config's cookie, with the CSRF check TestConfig turns off.
    return make_app(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True)


def form_token(client, base_url="http://paste.example") -> str:
    page = client.get("/", base_url=base_url)
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_a_secure_cookie_over_plain_http_names_the_setting(checked_app, db_rows):
    client = checked_app.test_client()
    page = client.get("/", base_url="http://paste.example")
    assert "Secure" in page.headers["Set-Cookie"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    # A browser keeps a Secure cookie off a plain-HTTP request (localhost aside).
    client.delete_cookie(COOKIE, domain="paste.example")
    before = db_rows()

    response = client.post(
        "/", data={"contents": "hello", "csrf_token": token}, base_url="http://paste.example"
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "PASTECMS_SESSION_COOKIE_SECURE" in response.text
    assert "HTTPS" in response.text
    assert "csrf_failure" in response.text
    assert "A parameter has the wrong type" not in response.text
    assert db_rows() == before


def test_over_https_the_same_form_passes(checked_app):
    client = checked_app.test_client()
    token = form_token(client, base_url="https://paste.example")
    # Over HTTPS, Flask-WTF also wants the Referer of a same-site page, as browsers send.
    response = client.post(
        "/",
        data={"contents": "hello", "csrf_token": token},
        base_url="https://paste.example",
        headers={"Referer": "https://paste.example/"},
    )
    assert response.status_code == 302


def test_no_cookie_over_https_asks_for_cookies(checked_app):
    client = checked_app.test_client()
    token = form_token(client, base_url="https://paste.example")
    client.delete_cookie(COOKIE, domain="paste.example")
    response = client.post(
        "/", data={"contents": "hello", "csrf_token": token}, base_url="https://paste.example"
    )
    assert response.status_code == 400
    assert "Allow cookies for this site" in response.text
    assert "PASTECMS_SESSION_COOKIE_SECURE" not in response.text


def test_a_missing_token_asks_to_reload_the_form(checked_app):
    client = checked_app.test_client()
    form_token(client, base_url="https://paste.example")
    response = client.post("/", data={"contents": "hello"}, base_url="https://paste.example")
    assert response.status_code == 400
    assert "csrf_failure" in response.text
    assert "reload it and submit again" in response.text
