"""One resolver for every credential a request can carry, and the order it reads them in.

Every request below asks `/api/authentication/status` (or submits a paste) and checks
whom the server took it for.
"""

import time
import warnings
from datetime import timedelta

import jwt
import pytest

from pastecms.app_cache import app_cache
from pastecms.models import utcnow
from pastecms.services.identity import tokens
from pastecms.services.identity import user as user_service

STATUS = "/api/authentication/status"


def whoami(client, **kwargs) -> str | None:
    response = client.post(STATUS, **{"json": {}, **kwargs})
    assert response.status_code == 200, response.json
    details = response.json["user_details"]
    return details.get("username")


@pytest.fixture
def access_token(app):
    """An access token for a user, signed as the server signs them."""

    def make(username, now=None):
        with app.app_context():
            user = user_service.by_username(username)
            return tokens.issue_access(user, now=now)

    return make


@pytest.fixture
def users(make_user):
    return {name: make_user(name)[1] for name in ("alice", "bob", "carol")}


def sign_in(client, username):
    response = client.post(
        "/api/authentication/login", json={"username": username, "password": "correct horse"}
    )
    assert response.status_code == 200


# -- each kind of credential on its own ---------------------------------------------------


def test_anonymous_without_credentials(client, users):
    assert whoami(client) is None


def test_api_key_in_the_body(client, users):
    assert whoami(client, json={"api_key": users["alice"]}) == "alice"


def test_api_key_as_bearer(client, users):
    assert whoami(client, headers={"Authorization": f"Bearer {users['alice']}"}) == "alice"


def test_jwt_access_token_as_bearer(client, users, access_token):
    token = access_token("alice")
    assert whoami(client, headers={"Authorization": f"Bearer {token}"}) == "alice"


def test_session_cookie(client, users):
    sign_in(client, "alice")
    assert whoami(client) == "alice"


def test_a_jwt_acts_on_the_paste_face_as_its_user(client, users, access_token):
    token = access_token("bob")
    headers = {"Authorization": f"Bearer {token}"}
    submitted = client.post("/api/paste/submit", json={"contents": "x"}, headers=headers)
    assert submitted.json["poster_username"] == "bob"
    mine = client.post("/api/paste/user", json={}, headers=headers).json["pastes"]
    assert [paste["paste_id_repr"] for paste in mine] == [submitted.json["paste_id_repr"]]


# -- precedence ---------------------------------------------------------------------------


def test_a_key_in_the_body_wins_over_the_bearer(client, users):
    headers = {"Authorization": f"Bearer {users['bob']}"}
    assert whoami(client, json={"api_key": users["alice"]}, headers=headers) == "alice"


def test_a_key_in_the_body_wins_over_a_jwt_bearer(client, users, access_token):
    headers = {"Authorization": f"Bearer {access_token('bob')}"}
    assert whoami(client, json={"api_key": users["alice"]}, headers=headers) == "alice"


def test_the_bearer_wins_over_the_session(client, users, access_token):
    sign_in(client, "carol")
    assert whoami(client, headers={"Authorization": f"Bearer {users['bob']}"}) == "bob"
    assert whoami(client, headers={"Authorization": f"Bearer {access_token('alice')}"}) == "alice"
    assert whoami(client) == "carol"


def test_a_bad_bearer_is_refused_even_with_a_session(client, users):
    sign_in(client, "carol")
    response = client.post(STATUS, json={}, headers={"Authorization": "Bearer not-a-key"})
    assert response.status_code == 401
    assert response.json["failure_name"] == "auth_failure"


# -- JWTs ---------------------------------------------------------------------------------


def test_an_expired_access_token_is_440_before_the_body_is_read(client, users, access_token):
    token = access_token("alice", now=utcnow() - timedelta(hours=1))
    response = client.post(
        "/api/paste/submit",
        data=b'{"contents": ',  # not even JSON
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 440
    assert response.json["failure_name"] == "token_expired_failure"
    assert response.json["success"] is False


def test_a_token_expires_when_the_clock_passes_it(client, users, access_token, monkeypatch):
    token = access_token("alice")
    headers = {"Authorization": f"Bearer {token}"}
    assert whoami(client, headers=headers) == "alice"
    later = utcnow() + timedelta(seconds=client.application.config["JWT_ACCESS_EXPIRES"] + 1)
    monkeypatch.setattr(tokens, "utcnow", lambda: later)
    assert client.post(STATUS, json={}, headers=headers).status_code == 440


def test_a_long_jwt_is_never_looked_up_as_an_api_key(client, make_user, access_token):
    name = "\u00fc" * 64  # escaped in the token's JSON: six characters each
    make_user(name)
    token = access_token(name)
    assert len(token) > 256  # longer than any API key may be
    assert whoami(client, headers={"Authorization": f"Bearer {token}"}) == name


def _forged(app, claims, *, key=None, algorithm="HS256"):
    key = key if key is not None else app_cache("jwt_keys", app=app)[tokens.ACCESS]
    with warnings.catch_warnings():
        # PyJWT warns that our 32-byte key is short for HS512: the forger's problem.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm)


def _claims(user_id=1, **extra):
    now = int(time.time())
    return {"exp": now + 600, "iat": now, "user_id": user_id, "user_name": "alice", **extra}


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda app: "not.a.jwt", id="garbage"),
        pytest.param(
            lambda app: jwt.encode(_claims(), None, algorithm="none"), id="alg-none-unsigned"
        ),
        pytest.param(
            lambda app: _forged(app, _claims(), key=b"another key entirely, of 32 bytes"),
            id="another-key",
        ),
        pytest.param(
            lambda app: _forged(
                app, _claims(guid="x"), key=app_cache("jwt_keys", app=app)[tokens.REFRESH]
            ),
            id="refresh-key",
        ),
        pytest.param(
            lambda app: _forged(app, {k: v for k, v in _claims().items() if k != "exp"}),
            id="no-exp",
        ),
        pytest.param(lambda app: _forged(app, _claims(user_id="1")), id="user-id-a-string"),
        pytest.param(lambda app: _forged(app, _claims(user_id=999)), id="unknown-user"),
        pytest.param(lambda app: _forged(app, _claims(), algorithm="HS512"), id="hs512"),
        pytest.param(lambda app: "a." * 3000 + "b", id="huge"),
    ],
)
def test_a_token_that_does_not_verify_is_401(app, client, users, db_rows, make_token):
    token = make_token(app)
    before = db_rows()
    for path, body in ((STATUS, {}), ("/api/paste/submit", {"contents": "x"})):
        response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (path, response.json)
        assert response.json["failure_name"] == "auth_failure"
    assert db_rows() == before


def test_a_deactivated_users_token_is_401(client, users, access_token):
    token = access_token("alice")
    client.post("/api/user/deactivate", json={"api_key": users["alice"]})
    response = client.post(STATUS, json={}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["failure_name"] == "auth_failure"


def test_a_required_caller_accepts_a_jwt(client, users, access_token):
    response = client.post(
        "/api/user/api_key/regenerate",
        json={},
        headers={"Authorization": f"Bearer {access_token('carol')}"},
    )
    assert response.status_code == 200
    assert response.json["api_key"]


# -- sessions and other sites -----------------------------------------------------------


@pytest.mark.parametrize(
    "request_kwargs",
    [
        pytest.param({"data": {"contents": "x"}}, id="form-encoded"),
        pytest.param({}, id="empty-body"),
        pytest.param({"data": '{"contents": "x"}', "content_type": "text/plain"}, id="text"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/paste/submit", "/api/authentication/logout", "/api/user/deactivate"]
)
def test_a_session_alone_does_not_authenticate_what_another_site_could_send(
    client, users, db_rows, request_kwargs, path
):
    """A cross-site form can send these bodies with the visitor's cookie: they are refused
    (a body that is not JSON is refused as such; an empty one is anonymous: the cookie
    is ignored)."""
    sign_in(client, "alice")
    before = db_rows()
    response = client.post(path, **request_kwargs)
    # submit needs `contents`: its empty body is refused as incomplete first.
    expected = 401 if not request_kwargs and path != "/api/paste/submit" else 400
    assert response.status_code == expected, response.json
    if expected == 401:
        assert response.json["failure_name"] == "auth_failure"
    assert db_rows() == before
    assert whoami(client) == "alice"  # still signed in


def test_a_cross_site_form_with_a_cookie_is_served_as_anonymous(client, users):
    """An open route still serves the request, as anybody's: a login form, say."""
    sign_in(client, "alice")
    response = client.post(STATUS)
    assert response.status_code == 200
    assert response.json["is_authenticated"] is False


def test_a_session_with_a_json_body_acts(client, users):
    sign_in(client, "alice")
    response = client.post("/api/paste/submit", json={"contents": "mine"})
    assert response.json["poster_username"] == "alice"


def test_a_key_needs_no_json_body(client, users):
    response = client.post(STATUS, headers={"Authorization": f"Bearer {users['alice']}"})
    assert response.json["user_details"]["username"] == "alice"
