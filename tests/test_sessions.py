"""Sessions end for real: a session cookie saved before a logout, a password change, a
deactivation or a new API key no longer signs its holder in."""

import pytest

from pastecms.services.identity import user as user_service

LOGIN = "/api/authentication/login"
STATUS = "/api/authentication/status"
PASSWORD = "correct horse"


def sign_in(app, username="alice", password=PASSWORD):
    """A fresh client signed in with a cookie session."""
    client = app.test_client()
    response = client.post(LOGIN, json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return client


def saved_cookie(client) -> str:
    return client.get_cookie(client.application.config["SESSION_COOKIE_NAME"]).value


def replay(app, cookie: str):
    """Who a client presenting a saved session cookie is signed in as (None: nobody)."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    body = client.post(STATUS, json={}).json
    return body["user_details"].get("username") if body["is_authenticated"] else None


def test_a_saved_cookie_signs_in_while_the_session_lives(app, make_user):
    make_user("alice")
    cookie = saved_cookie(sign_in(app))
    assert replay(app, cookie) == "alice"


def test_a_cookie_saved_before_logout_no_longer_signs_in(app, make_user):
    make_user("alice")
    client = sign_in(app)
    cookie = saved_cookie(client)
    other_device = sign_in(app)

    assert client.post("/api/authentication/logout", json={}).status_code == 200
    assert replay(app, cookie) is None
    # Logout ends every session of the user, on every device.
    assert other_device.post(STATUS, json={}).json["is_authenticated"] is False
    # Signing in again works, with a new cookie.
    assert replay(app, saved_cookie(sign_in(app))) == "alice"


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, make_user):
    make_user("alice")
    other_device = sign_in(app)
    cookie = saved_cookie(other_device)
    client = sign_in(app)

    response = client.post(
        "/api/user/update", json={"current_password": PASSWORD, "new_password": "battery staple"}
    )
    assert response.status_code == 200, response.json
    assert replay(app, cookie) is None
    assert other_device.post(STATUS, json={}).json["is_authenticated"] is False
    assert client.post(STATUS, json={}).json["is_authenticated"] is True
    assert replay(app, saved_cookie(client)) == "alice"


def test_a_password_change_by_api_key_ends_every_session(app, make_user):
    _, key = make_user("alice")
    cookie = saved_cookie(sign_in(app))
    response = app.test_client().post(
        "/api/user/update",
        json={"current_password": PASSWORD, "new_password": "battery staple", "api_key": key},
    )
    assert response.status_code == 200, response.json
    assert replay(app, cookie) is None


def test_a_deactivation_ends_every_session(app, make_user):
    make_user("alice")
    cookie = saved_cookie(sign_in(app))
    client = sign_in(app)
    assert client.post("/api/user/deactivate", json={}).status_code == 200
    assert replay(app, cookie) is None


def test_a_new_api_key_ends_the_other_sessions(app, make_user):
    _, key = make_user("alice")
    cookie = saved_cookie(sign_in(app))
    response = app.test_client().post("/api/user/api_key/regenerate", json={"api_key": key})
    assert response.status_code == 200
    assert replay(app, cookie) is None


def test_another_users_logout_leaves_a_session_alone(app, make_user):
    make_user("alice")
    make_user("bob")
    cookie = saved_cookie(sign_in(app, "alice"))
    assert sign_in(app, "bob").post("/api/authentication/logout", json={}).status_code == 200
    assert replay(app, cookie) == "alice"


@pytest.mark.parametrize("generation", [None, "0", 1])
def test_a_cookie_without_the_current_generation_signs_nobody_in(app, make_user, generation):
    # A cookie signed before generations existed, or one from an ended generation (the
    # cookie is signed, so only the server's own values ever get this far).
    make_user("alice")
    with app.app_context():
        user_id = user_service.by_username("alice").id
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
        if generation is not None:
            session["generation"] = generation
    assert client.post(STATUS, json={}).json["is_authenticated"] is False


def test_a_script_without_cookies_gets_no_cookie_and_no_vary_on_it(app, make_user):
    make_user("alice")
    script = app.test_client(use_cookies=False)
    answer = script.post("/api/paste/submit", json={"contents": "from a script"})
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")
    # A browser's session on the same face is still read, and the answer says it varies.
    browser = sign_in(app)
    signed_in = browser.post(STATUS, json={})
    assert signed_in.json["is_authenticated"] is True
    assert "Cookie" in signed_in.headers.get("Vary", "")
