"""Accounts on the web: register, sign in and out, my pastes, the account page, the
session cookie's rules, and what a cookie alone cannot do on the JSON API."""

import re

import pytest

from config import ProdConfig
from pastecms.errors import ConflictFailure
from pastecms.schemas.user import MIN_PASSWORD_LENGTH
from tests.conftest import Api

PASSWORD = "correct horse"
STATUS = "/api/authentication/status"
JWT_LOGIN = "/api/auth/auth"
PASTE_URL = re.compile(r"/paste/([A-Za-z0-9_-]{22})$")
SCRIPT = "<script>alert(1)</script>"


def register(client, username="alice", password=PASSWORD, email=""):
    return client.post(
        "/register", data={"username": username, "password": password, "email": email}
    )


def sign_in(client, login="alice", password=PASSWORD, **fields):
    return client.post("/login", data={"login": login, "password": password, **fields})


def whoami(client):
    body = client.post(STATUS, json={}).json
    return body["user_details"].get("username") if body["is_authenticated"] else None


def post_paste(client, contents="hello", **fields) -> str:
    response = client.post(
        "/", data={"contents": contents, "language": "text", "expires_in": "never", **fields}
    )
    assert response.status_code == 302, response.text
    return PASTE_URL.search(response.headers["Location"]).group(1)


def csrf_token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def alice(client, make_user):
    """A client signed in on the web as alice; returns the client."""
    make_user("alice", email="alice@example.org")
    assert sign_in(client).status_code == 303
    return client


# -- register ----------------------------------------------------------------------------


def test_register_creates_the_account_and_signs_in(client, api):
    page = client.get("/register")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="csrf_token"' in page.text

    response = register(client, email="alice@example.org")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/my")
    assert whoami(client) == "alice"
    assert "Welcome, alice" in client.get("/my").text


def test_register_refuses_a_taken_name_with_the_form_again(client, make_user):
    make_user("alice")
    response = register(client, username="ALICE", email="me@example.org")
    assert response.status_code == 409
    assert "not available" in response.text
    assert 'name="username"' in response.text
    assert 'value="me@example.org"' in response.text  # what was typed is kept
    assert PASSWORD not in response.text  # but never the password
    assert whoami(client) is None


@pytest.mark.parametrize(
    "fields, failure",
    [
        ({"username": "no spaces"}, "invalid_params_failure"),
        ({"password": "short"}, "invalid_params_failure"),
        ({"email": "not-an-address"}, "invalid_email_failure"),
        ({"username": ""}, "incomplete_params_failure"),
    ],
)
def test_register_refuses_bad_fields_by_name(client, fields, failure):
    response = register(client, **fields)
    assert response.status_code == 400
    assert failure in response.text
    assert 'name="username"' in response.text
    assert whoami(client) is None


def test_register_form_states_the_password_rule_it_checks(client):
    rule = f"At least {MIN_PASSWORD_LENGTH} characters."
    page = client.get("/register").text
    assert rule in page
    assert f'minlength="{MIN_PASSWORD_LENGTH}"' in page
    # The rule as stated is the rule as checked, and a refusal shows it again.
    refused = register(client, password="x" * (MIN_PASSWORD_LENGTH - 1))
    assert refused.status_code == 400
    assert rule in refused.text
    assert register(client, password="x" * MIN_PASSWORD_LENGTH).status_code == 303


def test_password_forms_state_the_same_rule(alice):
    rule = f"At least {MIN_PASSWORD_LENGTH} characters."
    for path in ("/account", "/account/password"):
        assert rule in alice.get(path).text


def test_registration_closed_says_so(make_app):
    client = make_app(ENABLE_USER_REGISTRATION=False).test_client()
    page = client.get("/register")
    assert page.status_code == 200
    assert "does not take new registrations" in page.text
    assert 'name="username"' not in page.text

    response = register(client)
    assert response.status_code == 403
    assert "does not take new registrations" in response.text
    assert whoami(client) is None


# -- sign in and out ---------------------------------------------------------------------


def test_header_offers_sign_in_to_visitors_and_names_the_user_after(client, make_user):
    make_user("alice")
    front = client.get("/").text
    assert "Sign in" in front and "Register" in front
    assert "My pastes" not in front

    assert sign_in(client).status_code == 303
    front = client.get("/").text
    assert "alice" in front
    assert "My pastes" in front and "Account" in front and "Sign out" in front
    assert ">Sign in<" not in front


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@example.org", "Alice@Example.ORG"])
def test_sign_in_by_username_or_email(client, make_user, login):
    make_user("alice", email="alice@example.org")
    response = sign_in(client, login)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/my")
    assert whoami(client) == "alice"


def test_sign_in_returns_to_the_page_asked_for_and_only_on_this_site(client, make_user):
    make_user("alice")
    assert sign_in(client, next="/account").headers["Location"].endswith("/account")
    other = client.application.test_client()
    assert sign_in(other, next="https://evil.example/").headers["Location"] == "/"


def test_an_email_taken_by_another_account_leaves_its_owners_sign_in_alone(client, make_user):
    make_user("alice", email="shared@example.org")
    with pytest.raises(ConflictFailure):
        make_user("bob", email="SHARED@example.org")
    response = sign_in(client, "shared@example.org")
    assert response.status_code == 303
    assert whoami(client) == "alice"


def test_a_wrong_password_shows_the_form_again(client, make_user):
    make_user("alice")
    response = sign_in(client, password="wrong horse")
    assert response.status_code == 401
    assert "The username or password is wrong." in response.text
    assert 'name="login"' in response.text and 'value="alice"' in response.text
    assert "wrong horse" not in response.text
    assert whoami(client) is None


@pytest.mark.parametrize("login", ["nobody", "nobody@example.org", "gone"])
def test_an_unknown_account_is_told_as_a_wrong_password(client, make_user, app, login):
    """The sign-in form does not tell who has an account: an unknown or deactivated one
    gets the answer a wrong password gets, word for word."""
    from pastecms.extensions import db
    from pastecms.models import User

    make_user("alice")
    make_user("gone")
    with app.app_context():
        db.session.execute(db.update(User).where(User.username == "gone").values(is_active=False))
        db.session.commit()
    wrong = sign_in(client, password="wrong horse")
    unknown = sign_in(client, login)
    assert unknown.status_code == wrong.status_code == 401
    assert "The username or password is wrong." in unknown.text
    assert "does not exist" not in unknown.text


def test_web_and_api_logins_share_the_failed_attempt_limit(make_app, make_user):
    app = make_app(RATELIMIT_FAILED_ATTEMPTS="3 per minute", RATELIMIT_STORAGE_URI="memory://")
    make_user("alice", email="alice@example.org")
    client = app.test_client()
    assert sign_in(client, password="wrong 1").status_code == 401
    assert sign_in(client, "alice@example.org", password="wrong 2").status_code == 401
    api = client.post(
        "/api/authentication/login", json={"username": "alice", "password": "wrong 3"}
    )
    assert api.status_code == 401

    refused = sign_in(client)  # the right password, too late
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert 'name="login"' in refused.text
    assert whoami(client) is None


def test_sign_in_starts_a_new_session(client, make_user):
    """Whatever the visitor's cookie held before (an unlocked paste, say) is gone."""
    make_user("alice")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    sign_in(client)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sign_out_ends_the_session_and_every_saved_copy(app, alice):
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    saved = alice.get_cookie(cookie_name).value

    response = alice.post("/logout")
    assert response.status_code == 303
    assert whoami(alice) is None
    assert "Sign in" in alice.get("/").text

    replay = app.test_client()
    replay.set_cookie(cookie_name, saved)
    assert whoami(replay) is None


def test_sign_out_needs_the_csrf_token(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user("alice")
    client = app.test_client()
    token = csrf_token_of(client.get("/login").text)
    assert sign_in(client, csrf_token=token).status_code == 303, "the form's own token signs in"

    forged = client.post("/logout")
    assert forged.status_code == 400
    assert "csrf_failure" in forged.text
    assert whoami(client) == "alice"

    token = csrf_token_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert whoami(client) is None


def test_sign_in_needs_the_csrf_token(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user("alice")
    client = app.test_client()
    assert sign_in(client).status_code == 400
    assert whoami(client) is None


# -- my pastes ---------------------------------------------------------------------------


def test_my_pastes_asks_a_visitor_to_sign_in_first(client, make_user):
    make_user("alice")
    response = client.get("/my?page=1")
    assert response.status_code == 303
    assert "/login?next=" in response.headers["Location"]
    login_page = client.get(response.headers["Location"]).text
    assert 'value="/my?page=1"' in login_page
    back = sign_in(client, next="/my?page=1")
    assert back.headers["Location"].endswith("/my?page=1")


def test_my_pastes_lists_only_mine_newest_first_with_delete_links(app, alice, make_user):
    api = Api(app.test_client())  # not alice's session
    first = post_paste(alice, "one", title="First")
    second = post_paste(alice, "two", title="Second")
    api.submit("anonymous", title="Not mine")
    other_key = make_user("bob")[1]
    api.submit("bob's", title="Bob's", api_key=other_key)

    page = alice.get("/my").text
    assert page.index("Second") < page.index("First")
    assert "Not mine" not in page and "Bob&#39;s" not in page
    assert f'href="/paste/{second}"' in page
    assert f'href="/paste/{first}/delete"' in page


def test_my_pastes_are_paginated(alice):
    for n in range(21):
        post_paste(alice, f"paste {n}", title=f"Paste number {n}")
    first = alice.get("/my").text
    assert "Paste number 20<" in first and "Paste number 1<" in first
    assert "Paste number 0<" not in first
    assert 'href="/my?page=2"' in first
    second = alice.get("/my?page=2").text
    assert "Paste number 0<" in second and "Paste number 20<" not in second
    assert 'href="/my?page=1"' in second
    assert 'rel="next"' not in second


def test_my_pastes_delete_link_deletes_after_confirming(alice):
    paste_id = post_paste(alice, "bye", title="To delete")
    confirm = alice.get(f"/paste/{paste_id}/delete")
    assert confirm.status_code == 200
    assert alice.post(f"/paste/{paste_id}/delete").status_code == 200
    assert "To delete" not in alice.get("/my").text
    assert alice.get(f"/paste/{paste_id}").status_code == 404


def test_my_pastes_refuses_a_bad_page_by_name(alice):
    response = alice.get("/my?page=minus-one")
    assert response.status_code == 400
    assert "invalid_params_failure" in response.text


# -- the account page --------------------------------------------------------------------


def test_account_asks_a_visitor_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 303
    assert "/login?next=/account" in response.headers["Location"]
    posted = client.post("/account/api_key")
    assert posted.status_code == 303
    assert posted.headers["Location"].endswith("/login?next=/account")


def test_a_new_api_key_is_shown_once_and_replaces_the_old(client, make_user):
    old_key = make_user("alice")[1]
    sign_in(client)
    page = client.get("/account").text
    assert old_key not in page

    response = client.post("/account/api_key")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    new_key = re.search(r'<code class="api-key">([^<]+)</code>', response.text).group(1)
    assert new_key != old_key
    assert new_key not in client.get("/account").text  # never again

    api = Api(client.application.test_client())
    refused = api.post("/api/paste/submit", {"contents": "x", "api_key": old_key})
    assert refused.json["failure_name"] == "auth_failure"
    assert api.submit("x", api_key=new_key)["poster_username"] == "alice"
    assert whoami(client) == "alice"  # the session that asked stays signed in


def test_a_new_api_key_ends_the_other_sessions(app, make_user):
    make_user("alice")
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here)
    sign_in(elsewhere)
    here.post("/account/api_key")
    assert whoami(here) == "alice"
    assert whoami(elsewhere) is None


def test_changing_the_password_ends_other_sessions_and_jwt_logins(app, make_user):
    make_user("alice")
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here)
    sign_in(elsewhere)
    jwt = app.test_client().post(JWT_LOGIN, json={"username": "alice", "password": PASSWORD})
    assert jwt.status_code == 200, jwt.json
    assert "Revoke" in here.get("/account").text

    response = here.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "battery staple"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account")
    page = here.get("/account").text
    assert "Password changed" in page
    assert "No active JWT logins" in page
    assert whoami(here) == "alice"
    assert whoami(elsewhere) is None

    fresh = app.test_client()
    assert sign_in(fresh).status_code == 401
    assert sign_in(fresh, password="battery staple").status_code == 303


@pytest.mark.parametrize(
    "fields, status, shown",
    [
        ({"current_password": "wrong horse", "new_password": "battery staple"}, 401, "wrong"),
        ({"current_password": PASSWORD, "new_password": "short"}, 400, "invalid_params"),
        ({"current_password": PASSWORD}, 400, "incomplete_params"),
    ],
)
def test_a_refused_password_change_shows_the_form_again(alice, fields, status, shown):
    response = alice.post("/account/password", data=fields)
    assert response.status_code == status
    assert shown in response.text
    assert 'name="new_password"' in response.text
    assert whoami(alice) == "alice"
    fresh = alice.application.test_client()
    assert sign_in(fresh).status_code == 303  # the password is unchanged


def test_the_account_lists_jwt_logins_and_revokes_one(app, alice):
    pairs = [
        app.test_client().post(JWT_LOGIN, json={"username": "alice", "password": PASSWORD})
        for _ in range(2)
    ]
    assert all(pair.status_code == 200 for pair in pairs)
    page = alice.get("/account").text
    guids = re.findall(r'action="/account/logins/([^/"]+)/revoke"', page)
    assert len(guids) == 2
    assert "<time" in page

    response = alice.post(f"/account/logins/{guids[0]}/revoke")
    assert response.status_code == 303
    page = alice.get("/account").text
    assert "The login has been revoked." in page
    assert re.findall(r'action="/account/logins/([^/"]+)/revoke"', page) == [guids[1]]

    again = alice.post(f"/account/logins/{guids[0]}/revoke")
    assert again.status_code == 303
    assert "already ended" in alice.get("/account").text


def test_no_one_revokes_another_users_login(app, alice, make_user):
    make_user("bob")
    bob = app.test_client()
    sign_in(bob, "bob")
    app.test_client().post(JWT_LOGIN, json={"username": "alice", "password": PASSWORD})
    guid = re.search(r'/account/logins/([^/"]+)/revoke', alice.get("/account").text).group(1)
    bob.post(f"/account/logins/{guid}/revoke")
    assert f"/account/logins/{guid}/revoke" in alice.get("/account").text


def test_account_forms_need_the_csrf_token(make_app, make_user, db_rows):
    app = make_app(WTF_CSRF_ENABLED=True)
    old_key = make_user("alice")[1]
    client = app.test_client()
    sign_in(client, csrf_token=csrf_token_of(client.get("/login").text))
    before = db_rows()
    for path, data in [
        ("/account/api_key", {}),
        ("/account/password", {"current_password": PASSWORD, "new_password": "x" * 10}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "csrf_failure" in response.text
    assert db_rows() == before
    assert Api(app.test_client()).submit("x", api_key=old_key)["poster_username"] == "alice"


# -- the session cookie ------------------------------------------------------------------


def _session_cookie_header(response) -> str:
    name = response.request.environ.get("_cookie_name", "session")
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, response.headers
    return headers[-1]


def test_the_session_cookie_is_httponly_and_same_site_lax(client, make_user):
    make_user("alice")
    cookie = _session_cookie_header(sign_in(client))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test config serves plain HTTP


def test_production_sends_the_session_cookie_over_https_only(make_app, make_user):
    assert ProdConfig.SESSION_COOKIE_SECURE is True
    assert ProdConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProdConfig.SESSION_COOKIE_SAMESITE == "Lax"
    app = make_app(SESSION_COOKIE_SECURE=True)
    make_user("alice")
    client = app.test_client()
    response = client.post(
        "/login",
        data={"login": "alice", "password": PASSWORD},
        base_url="https://localhost",
    )
    assert response.status_code == 303
    cookie = _session_cookie_header(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- a session cookie alone does nothing on the JSON API ----------------------------------


def test_a_form_post_with_only_the_cookie_does_not_deactivate_a_paste(alice, api):
    paste_id = post_paste(alice, "mine", title="Mine")
    forged = alice.post("/api/paste/deactivate", data={"paste_id": paste_id})
    assert forged.status_code == 400
    assert forged.json["failure_name"] == "incomplete_params_failure"
    assert "must be JSON" in forged.json["message"]
    assert alice.get(f"/paste/{paste_id}").status_code == 200

    # The same call as the site's own script makes it, in JSON, acts as alice.
    genuine = alice.post("/api/paste/deactivate", json={"paste_id": paste_id})
    assert genuine.status_code == 200, genuine.json
    assert alice.get(f"/paste/{paste_id}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"email": "evil@example.org"}},
        {"data": "email=evil%40example.org", "content_type": "text/plain"},
        {},
    ],
    ids=["form", "text-plain", "empty"],
)
def test_a_cookie_alone_does_not_update_the_user(alice, body):
    """A body a cross-site form can send is refused (not JSON); an empty one is read as
    no input, and then the cookie alone signs no one in."""
    forged = alice.post("/api/user/update", **body)
    if body:
        assert forged.status_code == 400
        assert forged.json["failure_name"] == "incomplete_params_failure"
    else:
        assert forged.status_code == 401
        assert forged.json["failure_name"] == "auth_failure"
    assert "alice@example.org" in alice.get("/account").text
    assert "evil@example.org" not in alice.get("/account").text


def test_an_empty_post_with_only_the_cookie_regenerates_no_key(alice, make_user):
    forged = alice.post("/api/user/api_key/regenerate")
    assert forged.status_code == 401
    assert whoami(alice) == "alice"  # no key change ended the session


# -- escaping ----------------------------------------------------------------------------


def test_names_emails_and_titles_are_escaped_on_the_account_pages(client, make_user, app):
    # A username cannot hold markup (registration refuses it), but one made another way
    # is escaped all the same; emails and titles can hold anything.
    make_user(SCRIPT, email=f"{SCRIPT}@example.org")
    assert sign_in(client, SCRIPT).status_code == 303
    post_paste(client, "x", title=SCRIPT)
    for path in ("/", "/my", "/account"):
        page = client.get(path).text
        assert SCRIPT not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_the_registration_form_escapes_what_it_shows_again(client):
    response = register(client, username=SCRIPT, email=f'"><b>{SCRIPT}')
    assert response.status_code == 400
    assert SCRIPT not in response.text
    assert "<b>" not in response.text


def test_the_sign_in_form_escapes_what_it_shows_again(client):
    response = sign_in(client, f'"><b>{SCRIPT}', next=f'/x"><b>{SCRIPT}')
    assert SCRIPT not in response.text
    assert "<b>" not in response.text
