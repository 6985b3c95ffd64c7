"""Accounts: /api/user/*."""

import pytest
from sqlalchemy import select

from pastecms.extensions import db
from pastecms.models import ApiKey, User
from pastecms.services.identity import user as user_service

CREATE = "/api/user/create"
UPDATE = "/api/user/update"
DEACTIVATE = "/api/user/deactivate"
REGENERATE = "/api/user/api_key/regenerate"
AVAILABILITY = "/api/user/check_username_availability"
VALIDATE_EMAIL = "/api/user/validate_email_address"
STATUS = "/api/authentication/status"
LOGIN = "/api/authentication/login"


def whoami(client, **payload):
    """The username a request with these credentials is authenticated as, or None."""
    response = client.post(STATUS, json=payload)
    assert response.status_code == 200, response.json
    return response.json["user_details"].get("username")


def key_works(app, key) -> bool:
    """Whether `key` authenticates, asked from a fresh client with no session cookie."""
    response = app.test_client().post(STATUS, json={"api_key": key})
    return response.status_code == 200 and response.json["is_authenticated"]


# create


def test_registration_returns_a_working_api_key_and_no_password(app, client):
    response = client.post(
        CREATE,
        json={
            "username": "alice",
            "password": "correct horse",
            "name": "Alice",
            "email": "alice@example.org",
        },
    )
    assert response.status_code == 200
    body = response.json
    assert body["success"] is True
    assert body["username"] == "alice"
    assert body["name"] == "Alice"
    assert body["email"] == "alice@example.org"
    assert len(body["api_key"]) >= 40
    assert "password" not in body
    assert "correct horse" not in response.text
    assert key_works(app, body["api_key"])


def test_registration_signs_the_new_user_in(client):
    client.post(CREATE, json={"username": "alice", "password": "correct horse"})
    assert whoami(client) == "alice"


def test_api_key_and_password_are_stored_only_hashed(app, client):
    response = client.post(CREATE, json={"username": "alice", "password": "correct horse"})
    key = response.json["api_key"]
    with app.app_context():
        user = db.session.scalar(select(User))
        stored_keys = db.session.scalars(select(ApiKey.key_hash)).all()
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith("$2")
    assert key not in stored_keys
    assert len(stored_keys) == 1 and len(stored_keys[0]) == 64


@pytest.mark.parametrize("taken_as", ["alice", "ALICE", "Alice", "aLiCe"])
def test_usernames_are_unique_whatever_their_case(client, make_user, db_rows, taken_as):
    make_user("Alice")
    before = db_rows()
    response = client.post(CREATE, json={"username": taken_as, "password": "another pw"})
    assert response.status_code == 409
    assert response.json["failure_name"] == "username_not_available_failure"
    assert db_rows() == before


BAD_REGISTRATIONS = [
    ({}, "incomplete_params_failure", 400),
    ({"username": "bob"}, "incomplete_params_failure", 400),
    ({"password": "long enough"}, "incomplete_params_failure", 400),
    ({"username": "", "password": "long enough"}, "incomplete_params_failure", 400),
    ({"username": "bob", "password": "   "}, "incomplete_params_failure", 400),
    ({"username": None, "password": "long enough"}, "incomplete_params_failure", 400),
    ({"username": "bob", "password": "short"}, "invalid_params_failure", 400),
    ({"username": "bob smith", "password": "long enough"}, "invalid_params_failure", 400),
    ({"username": "bob/../x", "password": "long enough"}, "invalid_params_failure", 400),
    ({"username": "b" * 65, "password": "long enough"}, "invalid_params_failure", 400),
    ({"username": 42, "password": "long enough"}, "invalid_params_failure", 400),
    ({"username": "bob", "password": 12345678}, "invalid_params_failure", 400),
    ({"username": "bob", "password": "long enough", "email": "nope"}, "invalid_email_failure", 400),
    ({"username": "bob", "password": "long enough", "email": "a@b"}, "invalid_email_failure", 400),
    (
        {"username": "bob", "password": "long enough", "email": "a b@c.de"},
        "invalid_email_failure",
        400,
    ),
    ({"username": "bob", "password": "long enough", "email": 5}, "invalid_params_failure", 400),
    ({"username": "bob", "password": "long enough", "api_key": "bad"}, "auth_failure", 401),
]


@pytest.mark.parametrize(("payload", "failure_name", "status"), BAD_REGISTRATIONS)
def test_bad_registration_creates_nobody(client, db_rows, payload, failure_name, status):
    before = db_rows()
    response = client.post(CREATE, json=payload)
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before
    assert whoami(client) is None


# update


def test_user_updates_name_and_email(app, client, make_user):
    _, key = make_user("alice")
    response = client.post(
        UPDATE, json={"api_key": key, "name": "Alice A.", "email": "a@example.org"}
    )
    assert response.status_code == 200
    assert response.json["username"] == "alice"
    assert response.json["name"] == "Alice A."
    assert response.json["email"] == "a@example.org"

    # Missing fields are left alone; an empty string clears.
    response = client.post(UPDATE, json={"api_key": key, "email": ""})
    assert response.json["name"] == "Alice A."
    assert response.json["email"] is None
    with app.app_context():
        stored = user_service.by_username("alice")
        assert (stored.name, stored.email) == ("Alice A.", None)


def test_password_change_needs_the_current_one_and_replaces_it(client, make_user):
    _, key = make_user("alice", password="old password")
    response = client.post(
        UPDATE,
        json={"api_key": key, "current_password": "old password", "new_password": "new password"},
    )
    assert response.status_code == 200
    assert "new password" not in response.text

    old = client.post(LOGIN, json={"username": "alice", "password": "old password"})
    assert old.json["failure_name"] == "auth_failure"
    new = client.post(LOGIN, json={"username": "alice", "password": "new password"})
    assert new.status_code == 200


BAD_UPDATES = [
    ({"name": "Anonymous Coward"}, "auth_failure", 401),
    ({"api_key": "bad key", "name": "x"}, "auth_failure", 401),
    ({"api_key": "KEY", "new_password": "new password"}, "auth_failure", 401),
    (
        {"api_key": "KEY", "current_password": "wrong one", "new_password": "new password"},
        "auth_failure",
        401,
    ),
    (
        {"api_key": "KEY", "current_password": "correct horse", "new_password": "short"},
        "invalid_params_failure",
        400,
    ),
    ({"api_key": "KEY", "email": "not an email"}, "invalid_email_failure", 400),
    ({"api_key": "KEY", "name": 7}, "invalid_params_failure", 400),
    ({"api_key": "KEY", "name": "n" * 129}, "invalid_params_failure", 400),
]


@pytest.mark.parametrize(("payload", "failure_name", "status"), BAD_UPDATES)
def test_bad_update_changes_nothing(client, make_user, db_rows, payload, failure_name, status):
    _, key = make_user("alice", password="correct horse")
    payload = {k: key if v == "KEY" else v for k, v in payload.items()}
    before = db_rows()
    response = client.post(UPDATE, json=payload)
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before


# deactivate


def test_deactivating_a_user_deactivates_their_pastes_and_keys(app, api, client, make_user):
    _, alice = make_user("alice", password="correct horse")
    _, bob = make_user("bob")
    hers = api.submit("hers", api_key=alice)
    his = api.submit("his", api_key=bob)

    response = client.post(DEACTIVATE, json={"api_key": alice})
    assert response.status_code == 200
    assert response.json["username"] == "alice"

    assert api.details(hers["paste_id_repr"]).json["failure_name"] == "nonexistent_paste_failure"
    assert api.details(his["paste_id_repr"]).status_code == 200
    assert not key_works(app, alice)
    assert key_works(app, bob)
    login = client.post(LOGIN, json={"username": "alice", "password": "correct horse"})
    assert login.json["failure_name"] == "nonexistent_user_failure"
    with app.app_context():
        assert not db.session.scalars(
            select(ApiKey).join(User).where(User.username == "alice", ApiKey.is_enabled)
        ).all()


def test_deactivation_signs_the_session_out(client):
    client.post(CREATE, json={"username": "alice", "password": "correct horse"})
    assert client.post(DEACTIVATE, json={}).status_code == 200
    assert whoami(client) is None


def test_a_deactivated_users_name_stays_taken(client, make_user):
    _, key = make_user("alice")
    client.post(DEACTIVATE, json={"api_key": key})
    response = client.post(CREATE, json={"username": "alice", "password": "long enough"})
    assert response.json["failure_name"] == "username_not_available_failure"


@pytest.mark.parametrize(
    ("payload", "failure_name", "status"),
    [({}, "auth_failure", 401), ({"api_key": "bad key"}, "auth_failure", 401)],
)
@pytest.mark.parametrize("path", [DEACTIVATE, REGENERATE])
def test_account_actions_need_a_caller(
    client, make_user, db_rows, path, payload, failure_name, status
):
    make_user("alice")
    before = db_rows()
    response = client.post(path, json=payload)
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before


# API keys


def test_regenerated_api_key_replaces_the_old_one(app, api, client, make_user):
    _, old = make_user("alice")
    response = client.post(REGENERATE, json={"api_key": old})
    assert response.status_code == 200
    new = response.json["api_key"]
    assert new != old
    assert set(response.json) == {"success", "message", "api_key"}

    assert not key_works(app, old)
    assert key_works(app, new)
    assert api.submit("with new key", api_key=new)["poster_username"] == "alice"
    refused = api.post("/api/paste/submit", {"contents": "x", "api_key": old})
    assert refused.json["failure_name"] == "auth_failure"


# availability and email checks


@pytest.mark.parametrize(
    ("asked", "available"), [("alice", False), ("ALICE", False), ("Alice", False), ("alicia", True)]
)
def test_username_availability_ignores_case(client, make_user, asked, available):
    make_user("Alice")
    response = client.post(AVAILABILITY, json={"username": asked})
    assert response.status_code == 200
    assert response.json["username"] == asked
    assert response.json["is_available"] is available


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("alice@example.org", True),
        ("a.b+tag@sub.example.co.uk", True),
        ("alice", False),
        ("alice@", False),
        ("@example.org", False),
        ("alice@example", False),
        ("al ice@example.org", False),
        ("a@b@example.org", False),
    ],
)
def test_email_validation_answers_is_valid(client, email, valid):
    response = client.post(VALIDATE_EMAIL, json={"email": email})
    assert response.status_code == 200
    assert response.json == {"success": True, "message": None, "email": email, "is_valid": valid}


@pytest.mark.parametrize(
    ("path", "payload", "failure_name", "status"),
    [
        (AVAILABILITY, {}, "incomplete_params_failure", 400),
        (AVAILABILITY, {"username": ""}, "incomplete_params_failure", 400),
        (AVAILABILITY, {"username": ["alice"]}, "invalid_params_failure", 400),
        (VALIDATE_EMAIL, {}, "incomplete_params_failure", 400),
        (VALIDATE_EMAIL, {"email": None}, "incomplete_params_failure", 400),
        (VALIDATE_EMAIL, {"email": 3}, "invalid_params_failure", 400),
    ],
)
def test_bad_lookup_is_refused(client, db_rows, path, payload, failure_name, status):
    before = db_rows()
    response = client.post(path, json=payload)
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before


def test_every_face_issues_keys_of_one_form(client, app):
    """Registration, the paste face's regenerate and the CMS's generate hand out the same
    kind of key: 64 lowercase hex characters, as the CMS seed shows."""
    import re

    created = client.post("/api/user/create", json={"username": "kim", "password": "correct horse"})
    keys = [created.json["api_key"]]
    keys.append(
        client.post("/api/user/api_key/regenerate", json={"api_key": keys[-1]}).json["api_key"]
    )
    generated = client.post("/v1/api-key/generate", headers={"Authorization": f"Bearer {keys[-1]}"})
    assert generated.status_code == 200, generated.json
    keys.append(generated.json["key"])
    for key in keys:
        assert re.fullmatch(r"[0-9a-f]{64}", key), key


@pytest.mark.parametrize("claimed", ["kim@example.org", "KIM@Example.ORG"])
def test_an_email_address_belongs_to_one_account(client, claimed):
    """Nothing verifies an address, so a second claim would make it name no one and end
    its owner's email login: the claim is refused instead, in any case."""
    owner = {"username": "kim", "password": "correct horse", "email": "kim@example.org"}
    assert client.post("/api/user/create", json=owner).status_code == 200
    client.delete_cookie("session")
    taken = client.post(
        "/api/user/create",
        json={"username": "mallory", "password": "correct horse", "email": claimed},
    )
    assert taken.status_code == 409, taken.json
    assert taken.json["failure_name"] == "conflict_failure"
    other = client.post(
        "/api/user/create", json={"username": "mallory", "password": "correct horse"}
    )
    client.delete_cookie("session")
    updated = client.post(
        "/api/user/update", json={"api_key": other.json["api_key"], "email": claimed}
    )
    assert updated.status_code == 409, updated.json
    login = client.post("/api/auth/auth", json={"username": claimed, "password": "correct horse"})
    assert login.status_code == 200, login.json
