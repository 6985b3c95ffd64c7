"""Burn after reading and expiry after N views: the read that uses a paste up deletes it
with its attachments, of concurrent reads exactly the allowed number get the contents,
and the web page asks before it reveals (a link preview burns nothing)."""

import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_web import PASTE_URL, SHELL_ANSWER, shell_post


def test_burn_after_read_paste_is_read_once(api, db_rows):
    before = db_rows()
    paste = api.submit("once only", burn_after_read=True)
    first = api.details(paste["paste_id_repr"])
    assert first.status_code == 200
    assert first.json["contents"] == "once only"
    again = api.details(paste["paste_id_repr"])
    assert again.status_code == 404
    assert again.json["failure_name"] == "nonexistent_paste_failure"
    assert db_rows() == before  # deleted, not just hidden


def test_max_views_counts_down_then_deletes(api, client):
    paste_id = api.submit("three reads", max_views=3)["paste_id_repr"]
    assert api.details(paste_id).status_code == 200
    assert client.get(f"/paste/{paste_id}/raw").text == "three reads"
    assert api.details(paste_id).status_code == 200
    assert api.details(paste_id).status_code == 404
    assert client.get(f"/paste/{paste_id}/raw").status_code == 404


def test_burning_deletes_the_attachments(api, db_rows):
    before = db_rows()
    paste = api.submit(
        "with a file",
        burn_after_read=True,
        attachments=[{"name": "a.txt", "data": "aGVsbG8=", "mime_type": "text/plain"}],
    )
    assert api.details(paste["paste_id_repr"]).status_code == 200
    assert db_rows() == before


@pytest.mark.parametrize(
    "fields",
    [{"max_views": 0}, {"max_views": -1}, {"max_views": "x"}, {"burn_after_read": "maybe"}],
)
def test_bad_view_limits_are_refused(api, db_rows, fields):
    before = db_rows()
    response = api.post("/api/paste/submit", {"contents": "x", **fields})
    assert response.status_code == 400
    assert response.json["failure_name"] == "invalid_params_failure"
    assert db_rows() == before


def test_clients_that_send_neither_are_unaffected(api):
    paste_id = api.submit("plain")["paste_id_repr"]
    for _ in range(3):
        assert api.details(paste_id).status_code == 200


def test_counting_down_pastes_stay_out_of_public_lists(api):
    api.submit("secret-ish", title="burner", burn_after_read=True)
    api.submit("public", title="normal")
    for which in ("recent", "top"):
        pastes = api.post(f"/api/paste/{which}", {}).json["pastes"]
        assert [paste["title"] for paste in pastes] == ["normal"]


@pytest.mark.parametrize(("allowed", "readers"), [(1, 2), (1, 8), (3, 8)])
def test_concurrent_reads_get_exactly_the_allowed_views(app, api, allowed, readers):
    paste_id = api.submit("race me", max_views=allowed)["paste_id_repr"]
    start = threading.Barrier(readers)

    def read(n: int) -> tuple[int, str]:
        client = app.test_client()
        start.wait(timeout=30)
        if n % 2:
            response = client.get(f"/paste/{paste_id}/raw")
            return response.status_code, response.text
        response = client.post("/api/paste/details", json={"paste_id": paste_id})
        return response.status_code, response.json.get("contents")

    with ThreadPoolExecutor(max_workers=readers) as pool:
        results = list(pool.map(read, range(readers)))

    winners = [body for status, body in results if status == 200]
    assert winners == ["race me"] * allowed
    assert sorted(status for status, _ in results) == [200] * allowed + [404] * (readers - allowed)


# the web page


def test_web_page_asks_before_revealing(client, api):
    paste_id = api.submit("<b>burn</b> me", burn_after_read=True)["paste_id_repr"]
    for _ in range(3):  # link previews, chat unfurlers: nothing is burnt
        page = client.get(f"/paste/{paste_id}")
        assert page.status_code == 200
        assert "burn</b> me" not in page.text and "&lt;b&gt;burn" not in page.text
        assert f'action="/paste/{paste_id}/reveal"' in page.text
        assert f"/paste/{paste_id}/raw" not in page.text
    shown = client.post(f"/paste/{paste_id}/reveal")
    assert shown.status_code == 200
    assert "&lt;b&gt;burn&lt;/b&gt; me" in shown.text
    assert "it is now deleted" in shown.text
    assert client.get(f"/paste/{paste_id}").status_code == 404
    assert client.post(f"/paste/{paste_id}/reveal").status_code == 404


def test_web_reveal_needs_the_csrf_token(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    from tests.conftest import Api

    paste_id = Api(client).submit("guarded", burn_after_read=True)["paste_id_repr"]
    assert client.post(f"/paste/{paste_id}/reveal").status_code == 400
    page = client.get(f"/paste/{paste_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    shown = client.post(f"/paste/{paste_id}/reveal", data={"csrf_token": token})
    assert "guarded" in shown.text


def test_protected_burn_paste_asks_the_password_then_shows_once(client, api):
    paste_id = api.submit("locked burner", password="pw-for-the-web", burn_after_read=True)[
        "paste_id_repr"
    ]
    assert "password-protected" in client.get(f"/paste/{paste_id}").text
    shown = client.post(f"/paste/{paste_id}", data={"password": "pw-for-the-web"})
    assert "locked burner" in shown.text
    other = api.client.application.test_client()
    again = other.post(f"/paste/{paste_id}", data={"password": "pw-for-the-web"})
    assert again.status_code == 404


def test_form_burn_option(client):
    response = client.post(
        "/",
        data={"contents": "form burner", "expires_in": "never", "burn_after_read": "on"},
    )
    paste_id = PASTE_URL.search(response.headers["Location"]).group(1)
    page = client.get(f"/paste/{paste_id}").text
    assert "deactivation-link" in page  # the author still gets the deletion link
    assert "form burner" not in page
    assert "form burner" in client.post(f"/paste/{paste_id}/reveal").text
    assert client.get(f"/paste/{paste_id}").status_code == 404


def test_form_max_views_option(client, api):
    response = client.post("/", data={"contents": "twice", "expires_in": "never", "max_views": "2"})
    paste_id = PASTE_URL.search(response.headers["Location"]).group(1)
    assert "2 times (2 left)" in client.get(f"/paste/{paste_id}").text
    assert api.details(paste_id).status_code == 200
    assert api.details(paste_id).status_code == 200
    assert api.details(paste_id).status_code == 404


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_form_bad_max_views_is_shown_again(client, db_rows, value):
    before = db_rows()
    response = client.post("/", data={"contents": "x", "expires_in": "never", "max_views": value})
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert db_rows() == before


def test_empty_max_views_in_the_form_is_no_limit(client, api):
    response = client.post("/", data={"contents": "x", "expires_in": "never", "max_views": ""})
    paste_id = PASTE_URL.search(response.headers["Location"]).group(1)
    for _ in range(3):
        assert api.details(paste_id).status_code == 200


def test_curl_burn_option(client):
    response = shell_post(client, b"curl burner", query="?burn=1")
    paste_id, _ = SHELL_ANSWER.match(response.text).groups()
    assert client.get(f"/paste/{paste_id}?raw").text == "curl burner"
    assert client.get(f"/paste/{paste_id}?raw").status_code == 404


def test_curl_file_with_burn(client):
    response = client.post(
        "/?burn=1",
        data={"file": (io.BytesIO(b"file burner"), "f.txt")},
        content_type="multipart/form-data",
    )
    paste_id, _ = SHELL_ANSWER.match(response.text).groups()
    assert client.get(f"/paste/{paste_id}/raw").text == "file burner"
    assert client.get(f"/paste/{paste_id}/raw").status_code == 404
