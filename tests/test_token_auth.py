"""JWT login (seed 004): /api/auth/auth, renewing access tokens, revoking refresh tokens,
and the face's envelope. The clock is moved, never waited for (`token_clock`)."""

import json
import time
import uuid
import warnings
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from pastecms.app_cache import app_cache
from pastecms.extensions import db
from pastecms.models import RefreshToken
from pastecms.services import secret
from pastecms.services.identity import refresh_token, tokens
from pastecms.services.identity import user as user_service
from tests.conftest import statements

LOGIN = "/api/auth/auth"
RENEW = "/api/auth/token/access/renew"
REVOKE = "/api/auth/token/revoke"
STATUS = "/api/authentication/status"
PASSWORD = "correct horse"


@pytest.fixture
def users(make_user):
    return {
        "alice": make_user("alice", email="Alice@Example.org")[1],
        "bob": make_user("bob")[1],
    }


def log_in(client, username="alice", password=PASSWORD, **fields):
    return client.post(LOGIN, json={"username": username, "password": password, **fields})


def pair(client, username="alice", **fields) -> dict:
    response = log_in(client, username, **fields)
    assert response.status_code == 200, response.json
    return response.json["data"]


def bearer(token) -> dict:
    return {"Authorization": f"Bearer {token}"}


def whoami(client, token):
    response = client.post(STATUS, json={}, headers=bearer(token))
    assert response.status_code == 200, response.json
    return response.json["user_details"].get("username")


def claims_of(token) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def stored(app) -> list[RefreshToken]:
    with app.app_context():
        return list(db.session.scalars(select(RefreshToken).order_by(RefreshToken.issued_at)))


def renew(client, token, method="GET"):
    if method == "GET":
        return client.get(RENEW, query_string={"token": token})
    return client.post(RENEW, data={"token": token})


def assert_failure(response, failure_name, status, code="10001"):
    assert response.status_code == status, response.json
    body = response.json
    assert body["error"] is True
    assert body["failure_name"] == failure_name
    assert body["data"]["code"] == code
    assert body["data"]["message"]
    return body


# -- logging in ---------------------------------------------------------------------------


def test_login_answers_an_access_and_a_refresh_token(app, client, users, token_clock):
    response = log_in(client)

    assert response.status_code == 200
    assert response.json["error"] is False
    tokens_ = response.json["data"]
    assert set(tokens_) == {"access_token", "refresh_token"}
    access, refresh = claims_of(tokens_["access_token"]), claims_of(tokens_["refresh_token"])
    assert access["user_name"] == "alice" and access["user_id"] == refresh["user_id"]
    assert access["exp"] - access["iat"] == app.config["JWT_ACCESS_EXPIRES"]
    assert refresh["exp"] - refresh["iat"] == app.config["JWT_REFRESH_EXPIRES"]
    (row,) = stored(app)
    assert row.guid == refresh["guid"] and str(uuid.UUID(row.guid)) == row.guid
    assert int(row.expires_at.timestamp()) == refresh["exp"]
    assert whoami(client, tokens_["access_token"]) == "alice"


def test_login_takes_the_accounts_email_in_any_case(client, users):
    tokens_ = pair(client, "alice@example.ORG")
    assert whoami(client, tokens_["access_token"]) == "alice"


def test_login_takes_a_form_and_the_username_in_any_case(client, users):
    response = client.post(LOGIN, data={"username": "ALICE", "password": PASSWORD})
    assert response.status_code == 200, response.json
    assert whoami(client, response.json["data"]["access_token"]) == "alice"


def test_the_access_token_acts_on_the_paste_face(client, users):
    token = pair(client, "bob")["access_token"]
    submitted = client.post("/api/paste/submit", json={"contents": "x"}, headers=bearer(token))
    assert submitted.json["poster_username"] == "bob"
    mine = client.post("/api/paste/user", json={}, headers=bearer(token)).json["pastes"]
    assert [paste["paste_id_repr"] for paste in mine] == [submitted.json["paste_id_repr"]]


def _deactivate_alice(client, users):
    client.post("/api/user/deactivate", json={"api_key": users["alice"]})


@pytest.mark.parametrize(
    ("payload", "setup"),
    [
        pytest.param({"username": "alice", "password": "wrong horse"}, None, id="wrong-password"),
        pytest.param({"username": "nobody", "password": PASSWORD}, None, id="unknown-user"),
        pytest.param(
            {"username": "no@example.org", "password": PASSWORD}, None, id="unknown-email"
        ),
        pytest.param(
            {"username": "alice", "password": PASSWORD}, _deactivate_alice, id="deactivated"
        ),
    ],
)
def test_every_refused_login_is_the_same_auth_failure(client, users, db_rows, payload, setup):
    if setup is not None:
        setup(client, users)
    client.delete_cookie("session")
    before = db_rows()

    response = client.post(LOGIN, json=payload)

    body = assert_failure(response, "auth_failure", 401)
    # Word for word the same answer, whichever it was: nothing tells them apart.
    assert body == {
        "error": True,
        "data": {"code": "10001", "message": "The username or password is wrong.", "detail": ""},
        "failure_name": "auth_failure",
    }
    assert db_rows() == before


@pytest.mark.parametrize(
    ("payload", "failure_name", "status"),
    [
        ({}, "incomplete_params_failure", 400),
        ({"username": "alice"}, "incomplete_params_failure", 400),
        ({"username": " ", "password": PASSWORD}, "incomplete_params_failure", 400),
        ({"username": "alice", "password": None}, "incomplete_params_failure", 400),
        ({"username": ["alice"], "password": PASSWORD}, "invalid_params_failure", 400),
        ({"username": "alice", "password": 12345}, "invalid_params_failure", 400),
        ({"username": "a" * 255, "password": PASSWORD}, "invalid_params_failure", 400),
        (
            {"username": "alice", "password": PASSWORD, "rememberme": "maybe"},
            "invalid_params_failure",
            400,
        ),
        ({"username": "al\u0000ice", "password": PASSWORD}, "invalid_params_failure", 400),
    ],
)
def test_a_malformed_login_is_a_parameter_failure(
    client, users, db_rows, payload, failure_name, status
):
    before = db_rows()
    response = client.post(LOGIN, json=payload)
    body = assert_failure(response, failure_name, status, code="20001")
    detail = body["data"]["detail"]
    assert detail["message"] and all(isinstance(text, str) for text in detail["message"])
    assert set(detail["fields"]) <= {"username", "password", "rememberme"}
    assert detail["fields"], detail
    assert db_rows() == before


def test_an_unknown_account_costs_a_bcrypt_comparison_too(client, users, monkeypatch):
    compared = []
    check_password = secret.check_password

    def recording(password, password_hash):
        compared.append(password_hash)
        return check_password(password, password_hash)

    monkeypatch.setattr(secret, "check_password", recording)
    for username in ("nobody", "nobody@example.org", "alice"):
        log_in(client, username, "wrong horse")
    assert len(compared) == 3
    assert all(found.startswith("$2b$") for found in compared), compared


def test_failed_logins_are_limited_per_account_whatever_the_address(make_app, users):
    app = make_app(RATELIMIT_FAILED_ATTEMPTS="2 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    client = app.test_client()
    for address in ("10.0.0.1", "10.0.0.2"):
        response = client.post(
            LOGIN,
            json={"username": "alice", "password": "wrong"},
            environ_base={"REMOTE_ADDR": address},
        )
        assert_failure(response, "auth_failure", 401)

    # The right password from a third address, by email: the account is resting.
    response = client.post(
        LOGIN,
        json={"username": "alice@example.org", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.3"},
    )
    assert_failure(response, "rate_limit_failure", 429)
    assert int(response.headers["Retry-After"]) >= 1
    # Another account is not.
    assert log_in(client, "bob").status_code == 200


def test_right_passwords_never_use_up_the_failed_attempts(make_app, users):
    app = make_app(RATELIMIT_FAILED_ATTEMPTS="2 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    client = app.test_client()
    for _ in range(4):
        assert log_in(client).status_code == 200


def test_logins_are_limited_per_client_address(make_app, users):
    app = make_app(RATELIMIT_ACCOUNT="2 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    client = app.test_client()
    assert log_in(client).status_code == 200
    assert log_in(client, "bob").status_code == 200
    assert_failure(log_in(client, "bob"), "rate_limit_failure", 429)


@pytest.mark.parametrize(
    ("allowed", "rememberme", "lifetime_setting"),
    [
        (False, False, "JWT_REFRESH_EXPIRES"),
        (False, True, "JWT_REFRESH_EXPIRES"),
        (True, False, "JWT_REFRESH_EXPIRES"),
        (True, True, "JWT_REMEMBER_EXPIRES"),
    ],
)
def test_rememberme_gives_a_long_refresh_token_only_when_allowed(
    make_app, make_user, token_clock, allowed, rememberme, lifetime_setting
):
    app = make_app(JWT_REMEMBER_ME=allowed)
    make_user("alice")
    refresh = pair(app.test_client(), rememberme=rememberme)["refresh_token"]

    lifetime = app.config[lifetime_setting]
    assert claims_of(refresh)["exp"] - claims_of(refresh)["iat"] == lifetime
    (row,) = stored(app)
    assert row.expires_at - row.issued_at == timedelta(seconds=lifetime)
    assert app.config["JWT_REMEMBER_EXPIRES"] == 30 * 24 * 60 * 60


# -- renewing -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_renew_answers_the_new_access_token_itself(client, users, token_clock, method):
    refresh = pair(client)["refresh_token"]
    token_clock.advance(60)

    response = renew(client, refresh, method)

    assert response.status_code == 200, response.json
    assert response.json["error"] is False
    token = response.json["data"]
    assert isinstance(token, str)
    assert claims_of(token)["iat"] == int(token_clock.now.timestamp())
    assert whoami(client, token) == "alice"


def test_a_client_renews_on_440_and_retries(app, client, users, token_clock):
    tokens_ = pair(client)
    token_clock.advance(app.config["JWT_ACCESS_EXPIRES"] + 1)

    expired = client.post("/api/paste/user", json={}, headers=bearer(tokens_["access_token"]))
    assert expired.status_code == 440
    assert expired.json["failure_name"] == "token_expired_failure"

    fresh = renew(client, tokens_["refresh_token"]).json["data"]
    retried = client.post("/api/paste/user", json={}, headers=bearer(fresh))
    assert retried.status_code == 200 and retried.json["pastes"] == []


def test_an_expired_access_token_is_440_on_this_face_too(app, client, users, token_clock):
    tokens_ = pair(client)
    token_clock.advance(app.config["JWT_ACCESS_EXPIRES"] + 1)
    # Even where the request is otherwise fine: the 440 comes before anything else.
    response = client.get(
        RENEW,
        query_string={"token": tokens_["refresh_token"]},
        headers=bearer(tokens_["access_token"]),
    )
    assert_failure(response, "token_expired_failure", 440)


def test_an_expired_refresh_token_is_401_not_440(app, client, users, token_clock, db_rows):
    refresh = pair(client)["refresh_token"]
    token_clock.advance(app.config["JWT_REFRESH_EXPIRES"])
    before = db_rows()
    # 440 would tell the client to renew, which is what it is doing: it must log in.
    assert_failure(renew(client, refresh), "auth_failure", 401)
    assert_failure(client.get(REVOKE, query_string={"token": refresh}), "auth_failure", 401)
    assert db_rows() == before


def test_a_refresh_token_renews_until_a_second_before_it_expires(app, client, users, token_clock):
    refresh = pair(client)["refresh_token"]
    token_clock.advance(app.config["JWT_REFRESH_EXPIRES"] - 1)
    assert renew(client, refresh).status_code == 200


def _forge(app, claims, kind=tokens.REFRESH, algorithm="HS256"):
    key = app_cache("jwt_keys", app=app)[kind]
    return jwt.encode(claims, key, algorithm=algorithm)


def _refresh_claims(**changes):
    now = int(time.time())
    return {"exp": now + 600, "iat": now, "user_id": 1, "guid": str(uuid.uuid4()), **changes}


def _unsigned(app, tokens_):
    claims = claims_of(tokens_["refresh_token"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.encode(claims, None, algorithm="none")


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda app, t: t["access_token"], id="an-access-token"),
        pytest.param(_unsigned, id="alg-none"),
        pytest.param(lambda app, t: "not.a.jwt", id="garbage"),
        pytest.param(lambda app, t: "x" * 1024, id="long-garbage"),
        pytest.param(
            lambda app, t: _forge(app, claims_of(t["refresh_token"]), kind=tokens.ACCESS),
            id="signed-with-the-access-key",
        ),
        pytest.param(lambda app, t: _forge(app, _refresh_claims()), id="guid-never-issued"),
        pytest.param(
            lambda app, t: _forge(
                app,
                {
                    **claims_of(t["refresh_token"]),
                    "user_id": claims_of(t["access_token"])["user_id"] + 1,
                },
            ),
            id="someone-elses-user-id",
        ),
        pytest.param(
            lambda app, t: _forge(app, _refresh_claims(guid=["x"])), id="guid-not-a-string"
        ),
    ],
)
@pytest.mark.parametrize("path", [RENEW, REVOKE])
def test_a_token_that_is_no_live_refresh_token_is_refused(
    app, client, users, db_rows, make_token, path
):
    token = make_token(app, pair(client))
    before = db_rows()
    response = client.get(path, query_string={"token": token})
    assert_failure(response, "auth_failure", 401)
    assert db_rows() == before


def test_a_refresh_token_is_no_access_token(client, users):
    refresh = pair(client)["refresh_token"]
    response = client.post("/api/paste/user", json={}, headers=bearer(refresh))
    assert response.status_code == 401
    assert response.json["failure_name"] == "auth_failure"


# -- revoking -----------------------------------------------------------------------------


def test_revoke_deletes_the_token_and_renew_stops_working(app, client, users):
    refresh = pair(client)["refresh_token"]
    kept = pair(client)["refresh_token"]

    response = client.post(REVOKE, json={"token": refresh})

    assert response.status_code == 200
    assert response.json == {"error": False, "data": True}
    assert [row.guid for row in stored(app)] == [claims_of(kept)["guid"]]
    assert_failure(renew(client, refresh), "auth_failure", 401)
    assert_failure(client.get(REVOKE, query_string={"token": refresh}), "auth_failure", 401)
    assert renew(client, kept).status_code == 200


def _change_password(client, users):
    client.post(
        "/api/user/update",
        json={
            "api_key": users["alice"],
            "current_password": PASSWORD,
            "new_password": "new horse!",
        },
    )


def _regenerate_api_key(client, users):
    client.post("/api/user/api_key/regenerate", json={"api_key": users["alice"]})


@pytest.mark.parametrize(
    "event_", [_change_password, _deactivate_alice, _regenerate_api_key], ids=lambda f: f.__name__
)
def test_account_changes_revoke_the_users_refresh_tokens(app, client, users, event_):
    alices = [pair(client)["refresh_token"], pair(client, rememberme=True)["refresh_token"]]
    bobs = pair(client, "bob")["refresh_token"]

    event_(client, users)

    for refresh in alices:
        assert_failure(renew(client, refresh), "auth_failure", 401)
    assert [row.guid for row in stored(app)] == [claims_of(bobs)["guid"]]
    assert renew(client, bobs).status_code == 200


def test_a_deactivated_users_refresh_token_renews_nothing_even_if_its_row_survived(
    app, client, users
):
    refresh = pair(client)["refresh_token"]
    with app.app_context():
        user_service.by_username("alice").is_active = False
        db.session.commit()
    assert_failure(renew(client, refresh), "auth_failure", 401)


# -- the service's list and revoke-one (for the web face, issue 16) ------------------------


def test_list_for_shows_a_users_live_tokens_newest_first(app, client, users, token_clock):
    first = claims_of(pair(client)["refresh_token"])["guid"]
    token_clock.advance(10)
    second = claims_of(pair(client)["refresh_token"])["guid"]
    pair(client, "bob")
    with app.app_context():
        alice = user_service.by_username("alice")
        assert [row.guid for row in refresh_token.list_for(alice)] == [second, first]
    token_clock.advance(app.config["JWT_REFRESH_EXPIRES"] - 5)
    with app.app_context():
        alice = user_service.by_username("alice")
        assert [row.guid for row in refresh_token.list_for(alice)] == [second]


def test_revoke_one_touches_only_the_users_own_token(app, client, users):
    alices = pair(client)["refresh_token"]
    bobs = pair(client, "bob")["refresh_token"]
    with app.app_context():
        alice = user_service.by_username("alice")
        assert refresh_token.revoke_one(alice, claims_of(bobs)["guid"]) is False
        assert refresh_token.revoke_one(alice, claims_of(alices)["guid"]) is True
        db.session.commit()
    assert_failure(renew(client, alices), "auth_failure", 401)
    assert renew(client, bobs).status_code == 200


# -- purging ------------------------------------------------------------------------------


def test_tokens_purge_deletes_only_expired_refresh_tokens(make_app, make_user, token_clock):
    app = make_app(JWT_REMEMBER_ME=True)
    make_user("alice")
    client = app.test_client()
    pair(client)
    remembered = pair(client, rememberme=True)["refresh_token"]
    token_clock.advance(app.config["JWT_REFRESH_EXPIRES"])

    result = app.test_cli_runner().invoke(args=["tokens", "purge"])

    assert result.exit_code == 0, result.output
    assert "Purged 1 expired refresh token." in result.output
    assert [row.guid for row in stored(app)] == [claims_of(remembered)["guid"]]


# -- the face's envelope ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "failure_name", "status"),
    [
        ("GET", "/api/auth/nothing", "not_found_failure", 404),
        ("GET", "/api/content/nothing", "not_found_failure", 404),
        ("GET", "/api/content", "not_found_failure", 404),
        ("GET", LOGIN, "method_not_allowed_failure", 405),
        ("DELETE", RENEW, "method_not_allowed_failure", 405),
    ],
)
def test_app_level_failures_under_the_faces_prefixes_answer_in_its_envelope(
    client, method, path, failure_name, status
):
    response = client.open(path, method=method)
    body = assert_failure(response, failure_name, status)
    assert body["data"]["detail"] == ""


def test_a_malformed_body_is_a_parameter_failure_with_its_detail(client):
    response = client.post(LOGIN, data=b'{"username": ', content_type="application/json")
    body = assert_failure(response, "invalid_params_failure", 400, code="20001")
    assert body["data"]["detail"] == {
        "message": ["The request body is not valid JSON."],
        "fields": {},
    }


# -- speed --------------------------------------------------------------------------------


def test_a_jwt_costs_no_more_queries_than_an_api_key(app, client, users):
    access = pair(client)["access_token"]
    for _ in range(3):
        client.post("/api/paste/submit", json={"contents": "x"}, headers=bearer(access))

    def statements_for(headers) -> int:
        with statements(app) as seen:
            response = client.post("/api/paste/user", json={}, headers=headers)
        assert response.status_code == 200 and len(response.json["pastes"]) == 3
        return len(seen)

    assert statements_for(bearer(access)) <= statements_for(bearer(users["alice"]))


@pytest.mark.parametrize("content_type", [None, "text/plain;charset=UTF-8", "application/json"])
def test_a_json_login_signs_in_whatever_its_content_type(client, users, content_type):
    """Digimaker's login form posts JSON.stringify({username, password}) with no
    Content-Type, which a browser sends as text/plain; the original's server decodes the
    body as JSON all the same, and so does this face."""
    body = json.dumps({"username": "alice", "password": PASSWORD})
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/api/auth/auth", data=body, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["data"]["access_token"]


def test_a_text_body_that_is_no_json_object_is_a_params_failure(client, users):
    response = client.post(
        "/api/auth/auth", data='{"username": "alice",', content_type="text/plain"
    )
    assert response.status_code == 400
    assert response.json["data"]["code"] == "20001"
