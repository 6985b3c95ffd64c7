"""Reading routes are safe methods: HEAD and OPTIONS answer what a GET would and count,
burn and unlock nothing; every GET (or reveal) of a paste that counts down to its
deletion counts one view, attachments included; a web unlock ends with the password it
opened."""

import re

import pytest

from tests.conftest import Api
from tests.test_attachments import attachment
from tests.test_web import create

#: The web face's reading routes, relative to a paste's page.
READ_PATHS = ["", "?raw", "/raw", "/download", "/attachment/notes.txt"]
SET_PASSWORD = "/api/paste/set_password"


def counting_paste(api, contents="read me", **fields) -> str:
    """A paste with an attachment `notes.txt` (its bytes: b"attached"); its public id."""
    items = [attachment(data=b"attached")]
    return api.submit(contents, attachments=items, **fields)["paste_id_repr"]


def page_url(paste_id: str, path: str) -> str:
    return f"/paste/{paste_id}{path}"


def reads_left(api, paste_id) -> int:
    """Read the paste through the API until it is gone; how many reads got it."""
    for count in range(10):
        if api.details(paste_id).status_code != 200:
            return count
    raise AssertionError("the paste never ran out of views")


# HEAD and OPTIONS


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
@pytest.mark.parametrize("path", READ_PATHS)
def test_head_and_options_leave_a_burn_paste_to_its_one_reader(api, client, method, path):
    paste_id = counting_paste(api, burn_after_read=True)
    for _ in range(3):  # a link checker, a preview, a monitor
        response = client.open(page_url(paste_id, path), method=method)
        assert response.status_code == 200
        assert response.data == b""
    assert reads_left(api, paste_id) == 1


@pytest.mark.parametrize("path", READ_PATHS)
def test_head_counts_nothing_on_a_max_views_paste(api, client, path):
    paste_id = counting_paste(api, max_views=2)
    for _ in range(3):
        assert client.head(page_url(paste_id, path)).status_code == 200
    first = api.details(paste_id)
    assert first.json["views"] == 1  # the details read itself, nothing before it
    assert reads_left(api, paste_id) == 1


@pytest.mark.parametrize("path", READ_PATHS)
def test_head_answers_the_headers_a_get_would(api, client, path):
    paste_id = counting_paste(api, "héllo, <b>world</b>", burn_after_read=True)
    head = client.head(page_url(paste_id, path))
    get = client.get(page_url(paste_id, path))
    assert head.status_code == get.status_code == 200
    for name in ("Content-Type", "Content-Length", "Content-Disposition"):
        assert head.headers.get(name) == get.headers.get(name), name


def test_head_of_a_page_shows_the_view_count_a_get_would(api, client):
    """The page states its views: HEAD weighs what the GET after it weighs."""
    paste_id = counting_paste(api)
    head = client.head(page_url(paste_id, ""))
    get = client.get(page_url(paste_id, ""))
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert re.search(r"\b1 view\b", get.text)


@pytest.mark.parametrize("path", READ_PATHS)
def test_head_of_a_protected_paste_answers_as_a_get(api, client, path):
    paste_id = counting_paste(api, password="pw-for-heads")
    head = client.head(page_url(paste_id, path))
    get = client.get(page_url(paste_id, path))
    assert head.status_code == get.status_code
    assert head.headers["Content-Type"] == get.headers["Content-Type"]


def test_head_of_a_used_up_paste_is_a_404(api, client):
    paste_id = counting_paste(api, burn_after_read=True)
    assert api.details(paste_id).status_code == 200
    for path in READ_PATHS:
        assert client.head(page_url(paste_id, path)).status_code == 404, path


# every read counts


def _web_read(path):
    def read(api, client, paste_id):
        return client.get(page_url(paste_id, path))

    return read


def _reveal(api, client, paste_id):
    return client.post(f"/paste/{paste_id}/reveal")


def _details(api, client, paste_id):
    return api.details(paste_id)


READS = {
    "api details": _details,
    "web reveal": _reveal,
    "?raw": _web_read("?raw"),
    "raw": _web_read("/raw"),
    "download": _web_read("/download"),
    "attachment": _web_read("/attachment/notes.txt"),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_every_read_of_a_max_views_paste_counts_once(api, client, read):
    paste_id = counting_paste(api, max_views=3)
    assert read(api, client, paste_id).status_code == 200
    assert api.details(paste_id).json["views"] == 2
    assert reads_left(api, paste_id) == 1


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_every_read_can_burn_the_paste(api, client, read):
    paste_id = counting_paste(api, burn_after_read=True)
    assert read(api, client, paste_id).status_code == 200
    assert reads_left(api, paste_id) == 0


def test_an_attachment_of_a_burn_paste_is_downloaded_once(api, client):
    paste_id = counting_paste(api, burn_after_read=True)
    url = page_url(paste_id, "/attachment/notes.txt")
    first = client.get(url)
    assert first.status_code == 200
    assert first.data == b"attached"
    again = client.get(url)
    assert again.status_code == 404
    assert "nonexistent_paste_failure" in again.text
    assert api.details(paste_id).status_code == 404


def test_a_missing_attachment_uses_up_nothing(api, client):
    paste_id = counting_paste(api, burn_after_read=True)
    response = client.get(page_url(paste_id, "/attachment/other.txt"))
    assert response.status_code == 404
    assert "nonexistent_attachment_failure" in response.text
    assert reads_left(api, paste_id) == 1


def test_the_last_view_of_a_paste_lists_its_attachments_as_gone(api, client):
    paste_id = counting_paste(api, burn_after_read=True)
    shown = client.post(f"/paste/{paste_id}/reveal")
    assert "read me" in shown.text
    assert "notes.txt" in shown.text
    assert "/attachment/notes.txt" not in shown.text  # no link that can only 404


# an unlock ends with its password


@pytest.fixture
def owner_key(make_user):
    return make_user("owner")[1]


def _new_password(api, paste_id, key):
    return [("pw-the-second", key)]


def _same_password_again(api, paste_id, key):
    # Removed, then set again: a new hash (a new salt), so a new unlock.
    return [(None, key), ("pw-the-first", key)]


@pytest.mark.parametrize(
    "changes", [_new_password, _same_password_again], ids=["new", "same-again"]
)
def test_a_password_change_ends_a_web_unlock(api, client, owner_key, changes):
    paste_id = counting_paste(api, "LOCKED", password="pw-the-first", api_key=owner_key)
    unlocked = client.post(f"/paste/{paste_id}", data={"password": "pw-the-first"})
    assert "LOCKED" in unlocked.text
    assert client.get(page_url(paste_id, "/raw")).text == "LOCKED"

    for password, key in changes(api, paste_id, owner_key):
        payload = {"paste_id": paste_id, "password": password, "api_key": key}
        assert api.post(SET_PASSWORD, payload).status_code == 200

    page = client.get(page_url(paste_id, ""))
    assert "password-protected" in page.text
    assert "LOCKED" not in page.text
    for path in ("?raw", "/raw", "/download", "/attachment/notes.txt"):
        response = client.get(page_url(paste_id, path))
        assert response.status_code == 401, path
        assert b"LOCKED" not in response.data and b"attached" not in response.data


def test_an_unlock_survives_reads_while_the_password_stays(api, client, owner_key):
    paste_id = counting_paste(api, "LOCKED", password="pw-the-first", api_key=owner_key)
    client.post(f"/paste/{paste_id}", data={"password": "pw-the-first"})
    for path in READ_PATHS:
        assert client.get(page_url(paste_id, path)).status_code == 200, path


def test_the_author_of_a_form_paste_is_asked_after_a_password_change(client, make_user):
    username, key = make_user("author")
    client.post("/login", data={"login": username, "password": "correct horse"})
    paste_id = create(client, contents="MINE", password="pw-of-mine")
    assert "MINE" in client.get(page_url(paste_id, "")).text
    api = Api(client.application.test_client())
    payload = {"paste_id": paste_id, "password": "pw-changed", "api_key": key}
    assert api.post(SET_PASSWORD, payload).status_code == 200
    assert "MINE" not in client.get(page_url(paste_id, "")).text


@pytest.mark.parametrize(
    "kept",
    [lambda paste_id: [paste_id], lambda paste_id: [[paste_id, 7]], lambda paste_id: "x"],
    ids=["unstamped", "not-a-stamp", "not-a-list"],
)
def test_a_cookie_from_before_stamped_unlocks_opens_nothing(api, client, kept):
    paste_id = counting_paste(api, "LOCKED", password="pw-the-first")
    with client.session_transaction() as session:
        session["unlocked"] = kept(paste_id)
    page = client.get(page_url(paste_id, ""))
    assert page.status_code == 200
    assert "password-protected" in page.text
    assert client.get(page_url(paste_id, "/raw")).status_code == 401
    unlocked = client.post(f"/paste/{paste_id}", data={"password": "pw-the-first"})
    assert "LOCKED" in unlocked.text
    assert client.get(page_url(paste_id, "/raw")).text == "LOCKED"


def test_a_head_of_the_visit_counter_counts_nothing(make_app, db_rows):
    app = make_app(STATISTIC_DOMAINS=["blog.example"])
    client = app.test_client()
    page = {"Referer": "https://blog.example/posts/hello/"}
    before = db_rows()
    assert client.head("/pub/statistic/", headers=page).status_code == 200
    assert db_rows() == before  # no visit, no visitor, no day, no page row
    first = client.get("/pub/statistic/", headers=page).json
    assert (first["site_pv"], first["page_pv"], first["site_uv"]) == (1, 1, 1)
    assert client.head("/pub/statistic/", headers=page).status_code == 200
    again = client.get("/pub/statistic/", headers=page).json
    assert (again["site_pv"], again["page_pv"]) == (2, 2)
