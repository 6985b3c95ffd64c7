"""Managing pastes: /api/paste/deactivate and /api/paste/set_password."""

import pytest

DEACTIVATE = "/api/paste/deactivate"
SET_PASSWORD = "/api/paste/set_password"

# Placeholders in the failure tables, filled per test by `fill`.
ID, TOKEN, OWNER_KEY, OTHER_KEY, OTHER_TOKEN = "<id>", "<token>", "<owner>", "<other>", "<tok2>"


@pytest.fixture
def world(api, make_user):
    """Alice owns a paste, Bob owns another, and there is one anonymous paste."""
    _, alice = make_user("alice")
    _, bob = make_user("bob")
    return {
        "alice": alice,
        "bob": bob,
        "owned": api.submit("alice's paste", api_key=alice),
        "bobs": api.submit("bob's paste", api_key=bob),
        "anonymous": api.submit("nobody's paste"),
    }


def fill(payload: dict, paste: dict, world: dict) -> dict:
    values = {
        ID: paste["paste_id_repr"],
        TOKEN: paste["deactivation_token"],
        OWNER_KEY: world["alice"],
        OTHER_KEY: world["bob"],
        OTHER_TOKEN: world["bobs"]["deactivation_token"],
    }
    return {
        key: values[value] if isinstance(value, str) and value in values else value
        for key, value in payload.items()
    }


def is_readable(api, paste, password=None) -> bool:
    response = api.details(paste["paste_id_repr"], password=password)
    return response.status_code == 200


# deactivate


def test_token_holder_deactivates_an_anonymous_paste(api, world):
    paste = world["anonymous"]
    response = api.post(
        DEACTIVATE,
        {"paste_id": paste["paste_id_repr"], "deactivation_token": paste["deactivation_token"]},
    )
    assert response.status_code == 200
    assert response.json == {
        "success": True,
        "message": None,
        "paste_id": paste["paste_id_repr"],
    }
    assert api.details(paste["paste_id_repr"]).json["failure_name"] == "nonexistent_paste_failure"


def test_owner_deactivates_with_the_api_key_alone(api, world):
    paste = world["owned"]
    response = api.post(DEACTIVATE, {"paste_id": paste["paste_id_repr"], "api_key": world["alice"]})
    assert response.status_code == 200
    assert not is_readable(api, paste)
    assert is_readable(api, world["bobs"])


def test_token_works_for_a_users_paste_too(api, world):
    paste = world["owned"]
    response = api.post(
        DEACTIVATE,
        {"paste_id": paste["paste_id_repr"], "deactivation_token": paste["deactivation_token"]},
    )
    assert response.status_code == 200
    assert not is_readable(api, paste)


def test_admin_may_deactivate_anyones_paste(app, api, world, make_user):
    _, admin = make_user("root", is_admin=True)
    response = api.post(DEACTIVATE, {"paste_id": world["owned"]["paste_id_repr"], "api_key": admin})
    assert response.status_code == 200
    assert not is_readable(api, world["owned"])


def test_a_deactivated_paste_cannot_be_deactivated_again(api, world):
    paste = world["anonymous"]
    payload = {
        "paste_id": paste["paste_id_repr"],
        "deactivation_token": paste["deactivation_token"],
    }
    assert api.post(DEACTIVATE, payload).status_code == 200
    again = api.post(DEACTIVATE, payload)
    assert again.status_code == 404
    assert again.json["failure_name"] == "nonexistent_paste_failure"


BAD_DEACTIVATIONS = [
    ("anonymous", {}, "incomplete_params_failure", 400),
    ("anonymous", {"deactivation_token": TOKEN}, "incomplete_params_failure", 400),
    (
        "anonymous",
        {"paste_id": "garbage", "deactivation_token": TOKEN},
        "nonexistent_paste_failure",
        404,
    ),
    ("anonymous", {"paste_id": ["x"]}, "invalid_params_failure", 400),
    ("anonymous", {"paste_id": ID, "deactivation_token": 5}, "invalid_params_failure", 400),
    ("anonymous", {"paste_id": ID}, "auth_failure", 401),
    ("anonymous", {"paste_id": ID, "deactivation_token": "wrong"}, "auth_failure", 401),
    ("anonymous", {"paste_id": ID, "deactivation_token": OTHER_TOKEN}, "auth_failure", 401),
    ("anonymous", {"paste_id": ID, "api_key": OWNER_KEY}, "forbidden_failure", 403),
    ("owned", {"paste_id": ID}, "auth_failure", 401),
    ("owned", {"paste_id": ID, "api_key": OTHER_KEY}, "forbidden_failure", 403),
    ("owned", {"paste_id": ID, "api_key": "stolen?"}, "auth_failure", 401),
    (
        "owned",
        {"paste_id": ID, "api_key": OTHER_KEY, "deactivation_token": OTHER_TOKEN},
        "auth_failure",
        401,
    ),
]


def test_owner_deactivates_even_beside_a_stale_token(api, world):
    paste = world["owned"]
    response = api.post(
        DEACTIVATE,
        fill(
            {"paste_id": ID, "api_key": OWNER_KEY, "deactivation_token": OTHER_TOKEN}, paste, world
        ),
    )
    assert response.status_code == 200, response.json
    assert not is_readable(api, paste)


@pytest.mark.parametrize(("which", "payload", "failure_name", "status"), BAD_DEACTIVATIONS)
def test_refused_deactivation_leaves_the_paste_readable(
    api, world, db_rows, which, payload, failure_name, status
):
    paste = world[which]
    before = db_rows()
    response = api.post(DEACTIVATE, fill(payload, paste, world))
    assert response.status_code == status
    assert response.json["success"] is False
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before
    assert is_readable(api, paste)


# set_password


def test_owner_sets_a_password_and_the_paste_then_needs_it(api, world):
    paste = world["owned"]
    response = api.post(
        SET_PASSWORD,
        {"paste_id": paste["paste_id_repr"], "password": "new-secret", "api_key": world["alice"]},
    )
    assert response.status_code == 200
    assert response.json == {"success": True, "message": None, "paste_id": paste["paste_id_repr"]}
    assert not is_readable(api, paste)
    assert is_readable(api, paste, password="new-secret")
    details = api.details(paste["paste_id_repr"], password="new-secret").json
    assert details["is_password_protected"] is True


@pytest.mark.parametrize("removal", ["", None])
def test_empty_or_null_password_removes_it(api, make_user, removal):
    _, key = make_user("alice")
    paste = api.submit("guarded", password="old-secret", api_key=key)
    assert not is_readable(api, paste)

    response = api.post(
        SET_PASSWORD, {"paste_id": paste["paste_id_repr"], "password": removal, "api_key": key}
    )
    assert response.status_code == 200
    details = api.details(paste["paste_id_repr"])
    assert details.status_code == 200
    assert details.json["contents"] == "guarded"
    assert details.json["is_password_protected"] is False


def test_changing_the_password_retires_the_old_one(api, make_user):
    _, key = make_user("alice")
    paste = api.submit("guarded", password="old-secret", api_key=key)
    api.post(
        SET_PASSWORD, {"paste_id": paste["paste_id_repr"], "password": "new-secret", "api_key": key}
    )
    assert not is_readable(api, paste, password="old-secret")
    assert is_readable(api, paste, password="new-secret")


@pytest.mark.parametrize("password", ["by-admin-1", "", None])
def test_an_admin_may_not_set_or_remove_the_password_of_someone_elses_paste(
    api, make_user, password
):
    _, alice = make_user("alice")
    _, admin = make_user("root", is_admin=True)
    paste = api.submit("alice's secret", password="alice-secret", api_key=alice)
    response = api.post(
        SET_PASSWORD, {"paste_id": paste["paste_id_repr"], "password": password, "api_key": admin}
    )
    assert response.status_code == 403
    assert response.json["failure_name"] == "forbidden_failure"
    # Still protected by the owner's password, and only by it.
    assert not is_readable(api, paste)
    assert is_readable(api, paste, password="alice-secret")
    recent = api.post("/api/paste/recent", {}).json["pastes"]
    assert "alice's secret" not in str(recent)


def test_an_admin_sets_the_password_of_their_own_paste(api, make_user):
    _, admin = make_user("root", is_admin=True)
    paste = api.submit("root's paste", api_key=admin)
    response = api.post(
        SET_PASSWORD,
        {"paste_id": paste["paste_id_repr"], "password": "by-admin-1", "api_key": admin},
    )
    assert response.status_code == 200
    assert is_readable(api, paste, password="by-admin-1")


BAD_SET_PASSWORDS = [
    ("owned", {"paste_id": ID, "password": "p4ssw0rd"}, "auth_failure", 401),
    ("owned", {"paste_id": ID, "password": "p4ssw0rd", "api_key": "bad"}, "auth_failure", 401),
    (
        "owned",
        {"paste_id": ID, "password": "p4ssw0rd", "deactivation_token": TOKEN},
        "auth_failure",
        401,
    ),
    (
        "owned",
        {"paste_id": ID, "password": "p4ssw0rd", "api_key": OTHER_KEY},
        "forbidden_failure",
        403,
    ),
    (
        "anonymous",
        {"paste_id": ID, "password": "p4ssw0rd", "api_key": OWNER_KEY},
        "forbidden_failure",
        403,
    ),
    ("owned", {"paste_id": ID, "api_key": OWNER_KEY}, "incomplete_params_failure", 400),
    ("owned", {"password": "p4ssw0rd", "api_key": OWNER_KEY}, "incomplete_params_failure", 400),
    (
        "owned",
        {"paste_id": ID, "password": 1234, "api_key": OWNER_KEY},
        "invalid_params_failure",
        400,
    ),
    (
        "owned",
        {"paste_id": "garbage", "password": "p4ssw0rd", "api_key": OWNER_KEY},
        "nonexistent_paste_failure",
        404,
    ),
    (
        "owned",
        {"paste_id": ID, "password": "short", "api_key": OWNER_KEY},
        "invalid_params_failure",
        400,
    ),
]


@pytest.mark.parametrize(("which", "payload", "failure_name", "status"), BAD_SET_PASSWORDS)
def test_refused_set_password_leaves_the_paste_open(
    api, world, db_rows, which, payload, failure_name, status
):
    paste = world[which]
    before = db_rows()
    response = api.post(SET_PASSWORD, fill(payload, paste, world))
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert "p4ssw0rd" not in response.text
    assert db_rows() == before
    assert is_readable(api, paste)


def test_set_password_on_a_deactivated_paste_is_nonexistent(api, world):
    paste = world["owned"]
    api.post(DEACTIVATE, {"paste_id": paste["paste_id_repr"], "api_key": world["alice"]})
    response = api.post(
        SET_PASSWORD,
        {"paste_id": paste["paste_id_repr"], "password": "too late now", "api_key": world["alice"]},
    )
    assert response.status_code == 404
    assert response.json["failure_name"] == "nonexistent_paste_failure"
