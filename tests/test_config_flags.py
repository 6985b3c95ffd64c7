"""Server settings an administrator turns, and what API users then notice."""

import base64

import pytest

SUBMIT = "/api/paste/submit"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def files(count: int, size: int = 3) -> list:
    return [{"name": f"f{n}.bin", "data": b64(b"x" * size)} for n in range(count)]


# Each row: settings, a request under them that is refused, and a close variant that passes.
REFUSED_BY_SETTING = [
    (
        {"REQUIRE_LOGIN_TO_PASTE": True},
        {"contents": "anonymous"},
        {"contents": "signed", "api_key": "KEY"},
        "unauthenticated_pastes_disabled_failure",
        403,
    ),
    (
        {"ENABLE_PASTE_ATTACHMENTS": False},
        {"contents": "x", "attachments": files(1)},
        {"contents": "x", "attachments": []},
        "paste_attachments_disabled_failure",
        403,
    ),
    (
        {"MAX_PASTE_SIZE": 4},
        {"contents": "abcde"},
        {"contents": "abcd"},
        "payload_too_large_failure",
        413,
    ),
    (
        # The limit counts UTF-8 bytes, not characters.
        {"MAX_PASTE_SIZE": 4},
        {"contents": "☕☕"},
        {"contents": "☕a"},
        "payload_too_large_failure",
        413,
    ),
    (
        {"MAX_ATTACHMENT_SIZE": 8},
        {"contents": "x", "attachments": files(1, size=9)},
        {"contents": "x", "attachments": files(1, size=8)},
        "paste_attachment_too_large_failure",
        413,
    ),
    (
        {"MAX_ATTACHMENT_COUNT": 2},
        {"contents": "x", "attachments": files(3)},
        {"contents": "x", "attachments": files(2)},
        "invalid_params_failure",
        400,
    ),
    (
        {"MAX_CONTENT_LENGTH": 512},
        {"contents": "x" * 600},
        {"contents": "x" * 400},
        "payload_too_large_failure",
        413,
    ),
]


@pytest.mark.parametrize(
    ("settings", "refused", "passes", "failure_name", "status"), REFUSED_BY_SETTING
)
def test_setting_refuses_what_it_forbids_and_nothing_else(
    make_app, make_user, db_rows, settings, refused, passes, failure_name, status
):
    _, key = make_user("alice")
    client = make_app(**settings).test_client()
    before = db_rows()
    response = client.post(SUBMIT, json=refused)
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before

    passes = {k: key if v == "KEY" else v for k, v in passes.items()}
    assert client.post(SUBMIT, json=passes).status_code == 200


def test_login_required_also_guards_the_web_form(make_app, db_rows):
    client = make_app(REQUIRE_LOGIN_TO_PASTE=True).test_client()
    before = db_rows()
    response = client.post("/", data={"contents": "anonymous", "expires_in": "never"})
    assert response.status_code == 403
    assert 'role="alert"' in response.text
    assert db_rows() == before


def test_login_required_accepts_a_session(make_app, make_user):
    make_user("alice", password="correct horse")
    client = make_app(REQUIRE_LOGIN_TO_PASTE=True).test_client()
    client.post(
        "/api/authentication/login", json={"username": "alice", "password": "correct horse"}
    )
    assert client.post(SUBMIT, json={"contents": "x"}).json["poster_username"] == "alice"


def test_registration_off_refuses_new_accounts_but_keeps_old_ones(make_app, make_user, db_rows):
    make_user("alice", password="correct horse")
    client = make_app(ENABLE_USER_REGISTRATION=False).test_client()
    before = db_rows()
    response = client.post("/api/user/create", json={"username": "bob", "password": "long enough"})
    assert response.status_code == 403
    assert response.json["failure_name"] == "user_registration_disabled_failure"
    assert db_rows() == before

    login = client.post(
        "/api/authentication/login", json={"username": "alice", "password": "correct horse"}
    )
    assert login.status_code == 200


@pytest.mark.parametrize("path", ["/api/paste/recent", "/api/paste/top", "/api/paste/user"])
def test_page_size_is_clamped_to_the_server_maximum(make_app, make_user, path):
    _, key = make_user("alice")
    client = make_app(MAX_PAGE_SIZE=2).test_client()
    for n in range(3):
        client.post(SUBMIT, json={"contents": f"paste {n}", "api_key": key})

    def count(**page):
        response = client.post(path, json={"api_key": key, **page})
        assert response.status_code == 200
        return len(response.json["pastes"])

    assert count(num_per_page=50) == 2
    assert count() == 2
    assert count(num_per_page=1) == 1
    # Pages are cut at the clamped size, so the next page starts where this one ended.
    assert count(num_per_page=50, page_num=1) == 1


def test_plain_integer_ids_when_encryption_is_off(make_app):
    client = make_app(ENCRYPT_PASTE_IDS=False).test_client()
    first = client.post(SUBMIT, json={"contents": "one"}).json
    second = client.post(SUBMIT, json={"contents": "two"}).json
    assert isinstance(first["paste_id_repr"], int)
    assert second["paste_id_repr"] == first["paste_id_repr"] + 1
    assert first["url"].endswith(f"/paste/{first['paste_id_repr']}")

    by_int = client.post("/api/paste/details", json={"paste_id": first["paste_id_repr"]})
    by_str = client.post("/api/paste/details", json={"paste_id": str(first["paste_id_repr"])})
    assert by_int.json["contents"] == by_str.json["contents"] == "one"
    assert client.get(f"/paste/{first['paste_id_repr']}/raw").text == "one"

    for garbage in ("abc", "1.0", -1, 0, 2**31, "2147483648", 2**63 - 1, "99999999999999999999999"):
        response = client.post("/api/paste/details", json={"paste_id": garbage})
        assert response.status_code == 404, garbage
        assert response.json["failure_name"] == "nonexistent_paste_failure"


def test_encrypted_ids_depend_on_the_server_key(make_app):
    one = make_app(PASTE_ID_KEY="first key").test_client()
    other = make_app(PASTE_ID_KEY="second key").test_client()
    paste = one.post(SUBMIT, json={"contents": "keyed"}).json
    assert (
        one.post("/api/paste/details", json={"paste_id": paste["paste_id_repr"]}).status_code == 200
    )
    # The same row, under another key, has another id; the first id means nothing there.
    response = other.post("/api/paste/details", json={"paste_id": paste["paste_id_repr"]})
    assert response.json["failure_name"] == "nonexistent_paste_failure"
    listed = other.post("/api/paste/recent", json={}).json["pastes"]
    assert [item["contents"] for item in listed] == ["keyed"]
    assert listed[0]["paste_id_repr"] != paste["paste_id_repr"]


def test_settings_come_from_pastecms_environment_variables(make_app, monkeypatch, db_rows):
    monkeypatch.setenv("PASTECMS_MAX_PASTE_SIZE", "5")
    monkeypatch.setenv("PASTECMS_ENABLE_USER_REGISTRATION", "false")
    app = make_app()
    assert app.config["MAX_PASTE_SIZE"] == 5
    client = app.test_client()
    before = db_rows()
    too_big = client.post(SUBMIT, json={"contents": "123456"})
    assert too_big.json["failure_name"] == "payload_too_large_failure"
    refused = client.post("/api/user/create", json={"username": "bob", "password": "long enough"})
    assert refused.json["failure_name"] == "user_registration_disabled_failure"
    assert db_rows() == before
