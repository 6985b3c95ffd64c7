"""Reading pastes: /api/paste/details, /recent, /top and /user."""

import time
from datetime import timedelta

import pytest

from pastecms.extensions import db
from pastecms.models import Paste, utcnow
from pastecms.services.ids import paste_ids
from tests.conftest import Api

DETAILS = "/api/paste/details"
RECENT = "/api/paste/recent"
TOP = "/api/paste/top"
USER = "/api/paste/user"


def move_clock(monkeypatch, **delta):
    """Make the paste rules believe `delta` has passed."""
    real = utcnow
    monkeypatch.setattr(
        "pastecms.services.pastes.paste.utcnow", lambda: real() + timedelta(**delta)
    )


def listed_ids(response) -> list:
    assert response.status_code == 200, response.json
    return [paste["paste_id_repr"] for paste in response.json["pastes"]]


# details


def test_details_show_the_paste_and_count_each_read(api, make_user):
    _, key = make_user("alice")
    paste = api.submit("body", title="T", language="rust", api_key=key)
    first = api.details(paste["paste_id_repr"]).json
    second = api.details(paste["paste_id_repr"]).json

    assert first["success"] is True
    assert first["contents"] == "body"
    assert first["title"] == "T"
    assert first["language"] == "rust"
    assert first["poster_username"] == "alice"
    assert first["is_active"] is True
    assert first["attachments"] == []
    assert first["paste_id_repr"] == paste["paste_id_repr"]
    assert first["post_time"] == paste["post_time"]
    assert (first["views"], second["views"]) == (1, 2)


def test_details_never_carry_the_deactivation_token(api):
    paste = api.submit()
    details = api.details(paste["paste_id_repr"]).json
    assert "deactivation_token" not in details
    assert paste["deactivation_token"] not in str(details)


def test_protected_paste_opens_with_its_password(api):
    paste = api.submit("the secret", password="open sesame")
    response = api.details(paste["paste_id_repr"], password="open sesame")
    assert response.status_code == 200
    assert response.json["contents"] == "the secret"
    assert response.json["is_password_protected"] is True
    assert "password" not in response.json


@pytest.mark.parametrize("password", [None, "", "wrong password", "OPEN SESAME"])
def test_protected_paste_stays_shut_without_its_password(api, db_rows, password):
    paste = api.submit("the secret", password="open sesame")
    before = db_rows()
    response = api.details(paste["paste_id_repr"], password=password)
    assert response.status_code == 401
    assert response.json["failure_name"] == "auth_failure"
    assert "the secret" not in response.text
    assert db_rows() == before  # a refused read is not a view


def test_expired_paste_acts_as_nonexistent(api, monkeypatch):
    paste = api.submit("short-lived", expiry_time=int(time.time()) + 60)
    assert api.details(paste["paste_id_repr"]).status_code == 200

    move_clock(monkeypatch, minutes=2)
    response = api.details(paste["paste_id_repr"])
    assert response.status_code == 404
    assert response.json["failure_name"] == "nonexistent_paste_failure"


def test_deactivated_paste_acts_as_nonexistent(api):
    paste = api.submit()
    api.post(
        "/api/paste/deactivate",
        {"paste_id": paste["paste_id_repr"], "deactivation_token": paste["deactivation_token"]},
    )
    response = api.details(paste["paste_id_repr"])
    assert response.status_code == 404
    assert response.json["failure_name"] == "nonexistent_paste_failure"


def test_id_of_a_deleted_row_is_nonexistent(app, api):
    paste = api.submit()
    with app.app_context():
        unused = paste_ids().encode(10**9)
    assert unused != paste["paste_id_repr"]
    assert api.details(unused).json["failure_name"] == "nonexistent_paste_failure"


BAD_DETAILS = [
    ({}, "incomplete_params_failure", 400),
    ({"paste_id": ""}, "incomplete_params_failure", 400),
    ({"paste_id": None}, "incomplete_params_failure", 400),
    ({"paste_id": "garbage"}, "nonexistent_paste_failure", 404),
    ({"paste_id": "AAAAAAAAAAAAAAAAAAAAAA"}, "nonexistent_paste_failure", 404),
    ({"paste_id": "../../etc/passwd"}, "nonexistent_paste_failure", 404),
    ({"paste_id": "1"}, "nonexistent_paste_failure", 404),
    ({"paste_id": 1}, "nonexistent_paste_failure", 404),
    ({"paste_id": -1}, "nonexistent_paste_failure", 404),
    ({"paste_id": "x" * 65}, "invalid_params_failure", 400),
    ({"paste_id": True}, "invalid_params_failure", 400),
    ({"paste_id": 1.5}, "invalid_params_failure", 400),
    ({"paste_id": ["a"]}, "invalid_params_failure", 400),
    ({"paste_id": {"id": 1}}, "invalid_params_failure", 400),
    ({"paste_id": "PASTE", "password": 5}, "invalid_params_failure", 400),
    ({"paste_id": "PASTE", "api_key": "bad key"}, "auth_failure", 401),
]


@pytest.mark.parametrize(("payload", "failure_name", "status"), BAD_DETAILS)
def test_bad_details_request_is_refused_and_counts_no_view(
    api, db_rows, payload, failure_name, status
):
    paste = api.submit("existing")
    payload = {k: paste["paste_id_repr"] if v == "PASTE" else v for k, v in payload.items()}
    before = db_rows()
    response = api.post(DETAILS, payload)
    assert response.status_code == status
    assert response.json["success"] is False
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before


# recent


def test_recent_lists_newest_first_and_pages(api):
    ids = [api.submit(f"paste {n}")["paste_id_repr"] for n in range(5)]
    newest_first = ids[::-1]

    assert listed_ids(api.post(RECENT, {})) == newest_first
    assert listed_ids(api.post(RECENT, {"page_num": 0, "num_per_page": 2})) == newest_first[:2]
    assert listed_ids(api.post(RECENT, {"page_num": 1, "num_per_page": 2})) == newest_first[2:4]
    # The seed's example sends numbers as strings.
    assert listed_ids(api.post(RECENT, {"page_num": "2", "num_per_page": "2"})) == newest_first[4:]
    assert listed_ids(api.post(RECENT, {"page_num": 3, "num_per_page": 2})) == []


def test_recent_entries_have_the_details_fields(api):
    api.submit("listed", title="L", language="go")
    (entry,) = api.post(RECENT, {}).json["pastes"]
    assert entry["contents"] == "listed"
    assert entry["title"] == "L"
    assert entry["language"] == "go"
    assert entry["poster_username"] == "Anonymous"
    assert {"post_time", "expiry_time", "views", "is_active", "url", "attachments"} <= set(entry)
    assert "deactivation_token" not in entry


def test_deactivated_paste_leaves_recent(api):
    kept, gone = api.submit("kept"), api.submit("gone")
    api.post(
        "/api/paste/deactivate",
        {"paste_id": gone["paste_id_repr"], "deactivation_token": gone["deactivation_token"]},
    )
    assert listed_ids(api.post(RECENT, {})) == [kept["paste_id_repr"]]


def test_expired_paste_leaves_recent_and_top(api, monkeypatch):
    kept = api.submit("kept")
    api.submit("short-lived", expiry_time=int(time.time()) + 60)
    move_clock(monkeypatch, minutes=5)
    assert listed_ids(api.post(RECENT, {})) == [kept["paste_id_repr"]]
    assert listed_ids(api.post(TOP, {})) == [kept["paste_id_repr"]]


@pytest.mark.parametrize("path", [RECENT, TOP])
def test_protected_contents_never_show_in_public_lists(api, path):
    protected = api.submit("TOP SECRET TEXT", password="pw-for-list")
    api.details(protected["paste_id_repr"], password="pw-for-list")
    response = api.post(path, {})
    (entry,) = response.json["pastes"]
    assert entry["paste_id_repr"] == protected["paste_id_repr"]
    assert entry["is_password_protected"] is True
    assert entry["contents"] is None
    assert "TOP SECRET TEXT" not in response.text


def test_lists_do_not_count_views(api):
    paste = api.submit()
    api.post(RECENT, {})
    api.post(TOP, {})
    assert api.details(paste["paste_id_repr"]).json["views"] == 1


# top


def test_top_lists_most_viewed_first(api):
    quiet, popular, middling = api.submit("quiet"), api.submit("popular"), api.submit("middling")
    for paste, reads in ((popular, 3), (middling, 2), (quiet, 0)):
        for _ in range(reads):
            api.details(paste["paste_id_repr"])

    response = api.post(TOP, {})
    assert listed_ids(response) == [
        popular["paste_id_repr"],
        middling["paste_id_repr"],
        quiet["paste_id_repr"],
    ]
    assert [entry["views"] for entry in response.json["pastes"]] == [3, 2, 0]
    assert listed_ids(api.post(TOP, {"num_per_page": 1, "page_num": 1})) == [
        middling["paste_id_repr"]
    ]


BAD_PAGES = [
    ({"page_num": -1}, "invalid_params_failure", 400),
    ({"page_num": "first"}, "invalid_params_failure", 400),
    ({"page_num": 1.5}, "invalid_params_failure", 400),
    ({"page_num": [0]}, "invalid_params_failure", 400),
    ({"page_num": 10_001}, "invalid_params_failure", 400),
    ({"page_num": 2**40}, "invalid_params_failure", 400),
    ({"num_per_page": 0}, "invalid_params_failure", 400),
    ({"num_per_page": -20}, "invalid_params_failure", 400),
    ({"num_per_page": "many"}, "invalid_params_failure", 400),
    ({"num_per_page": "9" * 30}, "invalid_params_failure", 400),
    ({"api_key": "bad key"}, "auth_failure", 401),
]


@pytest.mark.parametrize("path", [RECENT, TOP])
@pytest.mark.parametrize(("payload", "failure_name", "status"), BAD_PAGES)
def test_bad_page_request_is_refused(api, db_rows, path, payload, failure_name, status):
    api.submit()
    before = db_rows()
    response = api.post(path, payload)
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before


# user


def test_user_lists_only_the_callers_live_pastes_newest_first(api, make_user):
    _, alice = make_user("alice")
    _, bob = make_user("bob")
    older = api.submit("a1", api_key=alice)
    api.submit("b1", api_key=bob)
    api.submit("anonymous")
    newer = api.submit("a2", api_key=alice)
    gone = api.submit("a3", api_key=alice)
    api.post("/api/paste/deactivate", {"paste_id": gone["paste_id_repr"], "api_key": alice})

    response = api.post(USER, {"api_key": alice})
    assert listed_ids(response) == [newer["paste_id_repr"], older["paste_id_repr"]]
    assert {entry["poster_username"] for entry in response.json["pastes"]} == {"alice"}
    assert listed_ids(api.post(USER, {"api_key": alice, "num_per_page": 1, "page_num": 1})) == [
        older["paste_id_repr"]
    ]


def test_user_list_hides_protected_contents_even_from_the_owner(api, make_user):
    _, key = make_user("alice")
    api.submit("OWNER SECRET", password="pw-owner", api_key=key)
    response = api.post(USER, {"api_key": key})
    (entry,) = response.json["pastes"]
    assert entry["contents"] is None
    assert entry["is_password_protected"] is True
    assert "OWNER SECRET" not in response.text


def test_user_list_drops_expired_pastes(api, make_user, monkeypatch):
    _, key = make_user("alice")
    kept = api.submit("kept", api_key=key)
    api.submit("short-lived", api_key=key, expiry_time=int(time.time()) + 60)
    move_clock(monkeypatch, hours=1)
    assert listed_ids(api.post(USER, {"api_key": key})) == [kept["paste_id_repr"]]


BAD_USER_LISTS = [
    ({}, "auth_failure", 401),
    ({"api_key": None}, "auth_failure", 401),
    ({"api_key": "not-a-key"}, "auth_failure", 401),
    ({"api_key": "KEY", "page_num": -1}, "invalid_params_failure", 400),
    ({"api_key": "KEY", "num_per_page": 0}, "invalid_params_failure", 400),
    ({"api_key": "KEY", "page_num": 10_001}, "invalid_params_failure", 400),
]


@pytest.mark.parametrize(("payload", "failure_name", "status"), BAD_USER_LISTS)
def test_bad_user_list_request_is_refused(api, make_user, db_rows, payload, failure_name, status):
    _, key = make_user("alice")
    api.submit("alice's", api_key=key)
    payload = {k: key if v == "KEY" else v for k, v in payload.items()}
    before = db_rows()
    response = api.post(USER, payload)
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert "alice's" not in response.text
    assert db_rows() == before


def test_listed_views_match_the_database(app, api):
    paste = api.submit()
    api.details(paste["paste_id_repr"])
    with app.app_context():
        stored = db.session.get(Paste, paste_ids().decode(paste["paste_id_repr"]))
        assert stored.views == 1
    assert api.post(RECENT, {}).json["pastes"][0]["views"] == 1


def test_user_list_without_paging_returns_more_than_the_public_lists_default(api, make_user):
    _, alice = make_user("alice")
    for n in range(25):
        api.submit(f"paste {n}", api_key=alice)
    assert len(api.post(USER, {"api_key": alice}).json["pastes"]) == 25
    assert len(api.post(RECENT, {}).json["pastes"]) == 20


# a list's byte budget (MAX_PAGE_BYTES)


def withheld(response) -> list:
    assert response.status_code == 200, response.json
    return [paste["contents_withheld"] for paste in response.json["pastes"]]


def test_a_page_carries_contents_up_to_its_byte_budget_and_the_rest_without(make_app):
    api = Api(make_app(MAX_PAGE_BYTES=100).test_client())
    oldest = api.submit("a" * 10)
    api.submit("b" * 40)
    # 40 characters, 80 bytes: the budget counts the bytes a client receives.
    api.submit("é" * 40)
    newest = api.submit("d" * 40)

    pastes = api.post(RECENT, {}).json["pastes"]
    # 40 bytes fit; 40 + 80 do not, and once the budget is spent, even 10 bytes wait.
    assert [paste["contents"] for paste in pastes] == ["d" * 40, None, None, None]
    assert [paste["contents_withheld"] for paste in pastes] == [False, True, True, True]
    assert pastes[1]["is_password_protected"] is False
    # Every paste is listed, in order: the next page starts where this one ends.
    second = api.post(RECENT, {"page_num": 1, "num_per_page": 2})
    assert [paste["contents"] for paste in second.json["pastes"]] == ["b" * 40, "a" * 10]
    assert listed_ids(api.post(RECENT, {"num_per_page": 4}))[::3] == [
        newest["paste_id_repr"],
        oldest["paste_id_repr"],
    ]
    # Details always has the contents.
    assert api.details(pastes[1]["paste_id_repr"]).json["contents"] == "é" * 40


def test_by_default_a_page_carries_no_more_contents_than_the_largest_paste(make_app):
    api = Api(make_app(MAX_PASTE_SIZE=100).test_client())
    api.submit("a" * 60)
    api.submit("b" * 60)
    assert [paste["contents"] for paste in api.post(RECENT, {}).json["pastes"]] == [
        "b" * 60,
        None,
    ]


@pytest.mark.parametrize("path", [RECENT, TOP, USER])
def test_every_list_keeps_to_the_budget_and_protected_pastes_weigh_nothing(
    make_app, make_user, path
):
    api = Api(make_app(MAX_PAGE_BYTES=100).test_client())
    _, key = make_user("alice")
    api.submit("x" * 60, api_key=key)
    api.submit("y" * 60, api_key=key)
    api.submit("SECRET " * 20, password="pw-for-budget", api_key=key)

    # Newest (and, none viewed, most viewed) first.
    response = api.post(path, {"api_key": key})
    assert [paste["contents"] for paste in response.json["pastes"]] == [None, "y" * 60, None]
    assert withheld(response) == [True, False, True]
    assert "SECRET" not in response.text


def test_paste_url_follows_the_site_each_request_came_to(client, api):
    paste_id = api.submit("one paste, two names")["paste_id_repr"]
    urls = {
        base: client.post("/api/paste/details", json={"paste_id": paste_id}, base_url=base).json[
            "url"
        ]
        for base in ("http://paste.example", "https://bin.example:8443/sub")
    }
    assert urls == {
        "http://paste.example": f"http://paste.example/paste/{paste_id}",
        "https://bin.example:8443/sub": f"https://bin.example:8443/sub/paste/{paste_id}",
    }
