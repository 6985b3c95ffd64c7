"""Who is calling: /api/authentication/* sessions, and API keys in the body or a header."""

import pytest

LOGIN = "/api/authentication/login"
LOGOUT = "/api/authentication/logout"
STATUS = "/api/authentication/status"


def session_cookie(response) -> str:
    """The Set-Cookie header of the session cookie (a device cookie may come beside it)."""
    (found,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return found


def status(client, **kwargs):
    return client.post(STATUS, **{"json": {}, **kwargs})


# session login


def test_login_starts_a_session_that_status_reports(client, make_user):
    make_user("alice", password="correct horse")
    assert status(client).json["is_authenticated"] is False

    response = client.post(LOGIN, json={"username": "alice", "password": "correct horse"})
    assert response.status_code == 200
    assert response.json == {"success": True, "message": None, "username": "alice"}
    assert session_cookie(response)

    body = status(client).json
    assert body["is_authenticated"] is True
    assert body["user_details"]["username"] == "alice"


@pytest.mark.parametrize(("remember_me", "lasting"), [(True, True), (False, False)])
def test_remember_me_keeps_the_session_after_the_browser_closes(
    client, make_user, remember_me, lasting
):
    make_user("alice", password="correct horse")
    response = client.post(
        LOGIN,
        json={"username": "alice", "password": "correct horse", "remember_me": remember_me},
    )
    assert response.status_code == 200
    assert ("Expires=" in session_cookie(response)) is lasting


def test_login_accepts_the_username_in_any_case(client, make_user):
    make_user("Alice", password="correct horse")
    response = client.post(LOGIN, json={"username": "aLICE", "password": "correct horse"})
    assert response.status_code == 200
    assert response.json["username"] == "Alice"


def test_pastes_posted_in_a_session_belong_to_the_user(api, client, make_user):
    make_user("alice", password="correct horse")
    client.post(LOGIN, json={"username": "alice", "password": "correct horse"})
    paste = api.submit("from the browser")
    assert paste["poster_username"] == "alice"
    listed = api.post("/api/paste/user", {}).json["pastes"]
    assert [item["paste_id_repr"] for item in listed] == [paste["paste_id_repr"]]


def test_logout_ends_the_session(api, client, make_user):
    make_user("alice", password="correct horse")
    client.post(LOGIN, json={"username": "alice", "password": "correct horse"})
    response = client.post(LOGOUT, json={})
    assert response.status_code == 200
    assert response.json["username"] == "alice"

    assert status(client).json["is_authenticated"] is False
    assert api.submit("after logout")["poster_username"] == "Anonymous"
    assert api.post("/api/paste/user", {}).json["failure_name"] == "auth_failure"


def test_session_of_a_deactivated_user_is_anonymous(app, client, make_user):
    _, key = make_user("alice", password="correct horse")
    client.post(LOGIN, json={"username": "alice", "password": "correct horse"})
    app.test_client().post("/api/user/deactivate", json={"api_key": key})
    assert status(client).json["is_authenticated"] is False


BAD_LOGINS = [
    ({}, "incomplete_params_failure", 400),
    ({"username": "alice"}, "incomplete_params_failure", 400),
    ({"password": "correct horse"}, "incomplete_params_failure", 400),
    ({"username": "", "password": "correct horse"}, "incomplete_params_failure", 400),
    ({"username": "alice", "password": None}, "incomplete_params_failure", 400),
    ({"username": ["alice"], "password": "correct horse"}, "invalid_params_failure", 400),
    (
        {"username": "alice", "password": "correct horse", "remember_me": "perhaps"},
        "invalid_params_failure",
        400,
    ),
    ({"username": "nobody", "password": "correct horse"}, "nonexistent_user_failure", 404),
    ({"username": "alice", "password": "wrong horse"}, "auth_failure", 401),
    ({"username": "alice", "password": "CORRECT HORSE"}, "auth_failure", 401),
    ({"username": "alice", "password": "correct horse", "api_key": "bad"}, "auth_failure", 401),
]


@pytest.mark.parametrize(("payload", "failure_name", "status_code"), BAD_LOGINS)
def test_bad_login_starts_no_session(
    client, make_user, db_rows, payload, failure_name, status_code
):
    make_user("alice", password="correct horse")
    before = db_rows()
    response = client.post(LOGIN, json=payload)
    assert response.status_code == status_code
    assert response.json["failure_name"] == failure_name
    assert "correct horse" not in response.text
    assert status(client).json["is_authenticated"] is False
    assert db_rows() == before


def test_deactivated_user_cannot_log_in(client, make_user):
    _, key = make_user("alice", password="correct horse")
    client.post("/api/user/deactivate", json={"api_key": key})
    response = client.post(LOGIN, json={"username": "alice", "password": "correct horse"})
    assert response.status_code == 404
    assert response.json["failure_name"] == "nonexistent_user_failure"


def test_logout_without_a_session_is_an_auth_failure(client):
    response = client.post(LOGOUT, json={})
    assert response.status_code == 401
    assert response.json["failure_name"] == "auth_failure"


# API keys


def test_api_key_in_the_body_authenticates(client, make_user):
    _, key = make_user("alice")
    body = status(client, json={"api_key": key}).json
    assert body["is_authenticated"] is True
    assert body["user_details"]["username"] == "alice"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_api_key_as_a_bearer_token_authenticates(api, client, make_user, scheme):
    _, key = make_user("alice")
    headers = {"Authorization": f"{scheme} {key}"}
    assert status(client, headers=headers).json["user_details"]["username"] == "alice"
    paste = api.post("/api/paste/submit", {"contents": "via header"}, headers=headers).json
    assert paste["poster_username"] == "alice"
    listed = api.post("/api/paste/user", {}, headers=headers).json["pastes"]
    assert [item["paste_id_repr"] for item in listed] == [paste["paste_id_repr"]]


def test_an_api_key_does_not_open_a_session(client, make_user):
    _, key = make_user("alice")
    response = status(client, json={"api_key": key})
    assert "Set-Cookie" not in response.headers
    assert status(client).json["is_authenticated"] is False


BAD_CREDENTIALS = [
    ({"json": {"api_key": "not-a-key"}}, "auth_failure", 401),
    ({"json": {"api_key": ""}}, "auth_failure", 401),
    ({"json": {"api_key": "k" * 300}}, "invalid_params_failure", 400),
    ({"json": {"api_key": ["KEY"]}}, "invalid_params_failure", 400),
    ({"headers": {"Authorization": "Bearer not-a-key"}}, "auth_failure", 401),
    ({"headers": {"Authorization": "Bearer " + "k" * 300}}, "auth_failure", 401),
    # A bad key in the body is not rescued by a good one in the header.
    (
        {"json": {"api_key": "not-a-key"}, "headers": {"Authorization": "Bearer KEY"}},
        "auth_failure",
        401,
    ),
]


def _with_key(value, key):
    if isinstance(value, dict):
        return {k: _with_key(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_key(v, key) for v in value]
    return value.replace("KEY", key) if isinstance(value, str) else value


@pytest.mark.parametrize(("request_kwargs", "failure_name", "status_code"), BAD_CREDENTIALS)
def test_bad_api_key_is_refused_not_treated_as_anonymous(
    client, make_user, db_rows, request_kwargs, failure_name, status_code
):
    _, key = make_user("alice")
    request_kwargs = _with_key(request_kwargs, key)
    before = db_rows()
    response = client.post(STATUS, **{"json": {}, **request_kwargs})
    assert response.status_code == status_code
    assert response.json["failure_name"] == failure_name

    submitted = client.post(
        "/api/paste/submit",
        **{**request_kwargs, "json": {**request_kwargs.get("json", {}), "contents": "x"}},
    )
    assert submitted.status_code == status_code
    assert submitted.json["failure_name"] == failure_name
    assert db_rows() == before


def test_other_authorization_schemes_are_anonymous(client, make_user):
    _, key = make_user("alice")
    response = status(client, headers={"Authorization": f"Basic {key}"})
    assert response.status_code == 200
    assert response.json["is_authenticated"] is False


def test_a_regenerated_key_no_longer_works_as_bearer(client, make_user):
    _, old = make_user("alice")
    new = client.post("/api/user/api_key/regenerate", json={"api_key": old}).json["api_key"]
    assert status(client, headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert status(client, headers={"Authorization": f"Bearer {new}"}).status_code == 200
