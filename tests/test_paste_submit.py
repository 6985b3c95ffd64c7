"""POST /api/paste/submit: what a script posting a paste sees."""

import re
import time

import pytest

SUBMIT = "/api/paste/submit"

# The response keys seed 003's own example asserts, plus the ones its table documents.
SEED_SUBMIT_KEYS = {
    "post_time",
    "expiry_time",
    "language",
    "title",
    "views",
    "is_active",
    "paste_id_repr",
    "contents",
    "is_password_protected",
    "url",
}


def in_an_hour() -> int:
    return int(time.time()) + 3600


def test_anonymous_paste_reads_back_with_everything_the_seed_promises(api):
    before = int(time.time())
    paste = api.submit("print('hi')", title="Greeting", language="python")

    assert paste["success"] is True
    assert paste["message"] is None
    assert "failure_name" not in paste
    assert SEED_SUBMIT_KEYS <= set(paste)
    assert paste["contents"] == "print('hi')"
    assert paste["title"] == "Greeting"
    assert paste["language"] == "python"
    assert paste["views"] == 0
    assert paste["is_active"] is True
    assert paste["is_password_protected"] is False
    assert paste["expiry_time"] is None
    assert paste["poster_username"] == "Anonymous"
    assert before <= paste["post_time"] <= int(time.time())
    assert paste["url"].endswith("/paste/" + paste["paste_id_repr"])

    details = api.details(paste["paste_id_repr"])
    assert details.status_code == 200
    assert details.json["contents"] == "print('hi')"
    assert details.json["title"] == "Greeting"


def test_title_and_language_default_to_untitled_and_text(api):
    paste = api.submit("plain")
    assert paste["title"] == "Untitled"
    assert paste["language"] == "text"


def test_submit_returns_a_deactivation_token_that_works(api):
    paste = api.submit()
    token = paste["deactivation_token"]
    assert isinstance(token, str) and len(token) >= 32
    response = api.post(
        "/api/paste/deactivate",
        {"paste_id": paste["paste_id_repr"], "deactivation_token": token},
    )
    assert response.status_code == 200


def test_each_paste_gets_its_own_token(api):
    assert api.submit()["deactivation_token"] != api.submit()["deactivation_token"]


def test_paste_ids_are_opaque_not_counters(api):
    first, second = api.submit()["paste_id_repr"], api.submit()["paste_id_repr"]
    for paste_id in (first, second):
        assert isinstance(paste_id, str)
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", paste_id)
    assert first != second


def test_paste_with_api_key_belongs_to_its_user(api, make_user):
    _, key = make_user("alice")
    paste = api.submit("mine", api_key=key)
    assert paste["poster_username"] == "alice"

    listed = api.post("/api/paste/user", {"api_key": key}).json["pastes"]
    assert [item["paste_id_repr"] for item in listed] == [paste["paste_id_repr"]]


def test_expiry_time_is_kept_as_unix_seconds(api):
    expiry = in_an_hour()
    assert api.submit(expiry_time=expiry)["expiry_time"] == expiry
    # The seed's own example sends the timestamp as a string.
    assert api.submit(expiry_time=str(expiry))["expiry_time"] == expiry


def test_the_furthest_storable_expiry_is_accepted(api):
    last_second_of_9999 = 253_402_300_799
    paste = api.submit(expiry_time=last_second_of_9999)
    assert paste["expiry_time"] == last_second_of_9999
    assert api.details(paste["paste_id_repr"]).json["expiry_time"] == last_second_of_9999


def test_password_is_never_echoed(api):
    paste = api.submit("secret stuff", password="hunter2-password")
    assert paste["is_password_protected"] is True
    assert "password" not in paste
    assert "hunter2-password" not in str(paste)


@pytest.mark.parametrize("none", ["", None])
def test_an_empty_or_null_password_is_no_password(api, none):
    """Modern Paste clients send the key whether or not the user gave a password."""
    paste = api.submit("open", password=none)
    assert paste["is_password_protected"] is False
    assert api.details(paste["paste_id_repr"]).json["contents"] == "open"


def test_the_shortest_paste_password_is_a_setting(make_app):
    client = make_app(MIN_PASTE_PASSWORD_LENGTH=3).test_client()
    short = client.post(SUBMIT, json={"contents": "x", "password": "abc"})
    assert short.status_code == 200 and short.json["is_password_protected"] is True
    shorter = client.post(SUBMIT, json={"contents": "x", "password": "ab"})
    assert shorter.json["failure_name"] == "invalid_params_failure"
    assert "3 characters" in shorter.json["details"]["password"]


def test_unicode_contents_survive_the_round_trip(api):
    contents = "naïve café ☕ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\nsecond line\ttab"
    paste = api.submit(contents)
    assert api.details(paste["paste_id_repr"]).json["contents"] == contents


def test_extra_keys_from_old_clients_are_ignored(api):
    response = api.post(SUBMIT, {"contents": "x", "client": "modern-paste-cli", "v": 2})
    assert response.status_code == 200


BAD_SUBMITS = [
    ({}, "incomplete_params_failure", 400),
    ({"title": "no contents"}, "incomplete_params_failure", 400),
    ({"contents": ""}, "incomplete_params_failure", 400),
    ({"contents": "   \n"}, "incomplete_params_failure", 400),
    ({"contents": None}, "incomplete_params_failure", 400),
    ({"contents": 5}, "invalid_params_failure", 400),
    ({"contents": ["a", "b"]}, "invalid_params_failure", 400),
    ({"contents": {"a": 1}}, "invalid_params_failure", 400),
    ({"contents": "nul \x00 inside"}, "invalid_params_failure", 400),
    # Lone surrogates, amid text outside ASCII (a pair, as in an emoji, is one character).
    ({"contents": "中文 \ud800 lone"}, "invalid_params_failure", 400),
    ({"contents": "é" * 1000 + "\udc00"}, "invalid_params_failure", 400),
    ({"contents": "x", "title": 7}, "invalid_params_failure", 400),
    ({"contents": "x", "title": "t" * 257}, "invalid_params_failure", 400),
    ({"contents": "x", "language": "py thon"}, "invalid_params_failure", 400),
    ({"contents": "x", "language": "l" * 65}, "invalid_params_failure", 400),
    ({"contents": "x", "password": 12345678}, "invalid_params_failure", 400),
    # Shorter than MIN_PASTE_PASSWORD_LENGTH (8): guessable despite the attempt limits.
    ({"contents": "x", "password": "s3cret"}, "invalid_params_failure", 400),
    ({"contents": "x", "password": "1234567"}, "invalid_params_failure", 400),
    # Expiry in the past, or not a number at all.
    ({"contents": "x", "expiry_time": 1}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": 0}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": "1453355837"}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": -60}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": "tomorrow"}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": ""}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": True}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": [in_an_hour()]}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": 10**20}, "invalid_params_failure", 400),
    ({"contents": "x", "expiry_time": "1e400"}, "invalid_params_failure", 400),
    ({"contents": "x", "attachments": "file.txt"}, "invalid_params_failure", 400),
    ({"contents": "x", "api_key": "not-a-real-key"}, "auth_failure", 401),
    ({"contents": "x", "api_key": 42}, "invalid_params_failure", 400),
]


@pytest.mark.parametrize(("payload", "failure_name", "status"), BAD_SUBMITS)
def test_bad_submission_is_refused_and_stores_nothing(api, db_rows, payload, failure_name, status):
    before = db_rows()
    response = api.post(SUBMIT, payload)
    assert response.status_code == status
    assert response.json["success"] is False
    assert response.json["failure_name"] == failure_name
    assert response.json["failure"] == failure_name
    assert response.json["message"]
    # As the README promises: a validation failure says, per field, what is wrong.
    if failure_name in ("incomplete_params_failure", "invalid_params_failure"):
        assert response.json["details"], response.json
    assert db_rows() == before
