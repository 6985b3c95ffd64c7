"""Shells get text: a client that asks for text (`Accept: text/plain`), or curl, Wget or
HTTPie, gets a failure on the web face as one line of plain text with its status; and
`curl -T file URL/` (a PUT) uploads like `-F` and `--data-binary`."""

import pytest

CURL = {"User-Agent": "curl/8.5.0"}


def one_line(response) -> str:
    assert response.content_type.startswith("text/plain"), response.content_type
    text = response.get_data(as_text=True)
    assert text.endswith("\n") and text.count("\n") == 1, text[:300]
    return text


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/paste/nope/raw", {"Accept": "text/plain"}),
        ("/paste/nope/raw", CURL),
        ("/paste/nope", {"User-Agent": "Wget/1.21.3"}),
        ("/paste/nope/download", {"User-Agent": "HTTPie/3.2.2"}),
        ("/no/such/page", CURL),
    ],
)
def test_a_shell_gets_a_failure_as_one_line_of_text(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert one_line(response).startswith(("nonexistent_paste_failure: ", "not_found_failure: "))


def test_a_browser_still_gets_the_page(client):
    response = client.get(
        "/paste/nope", headers={"User-Agent": "Mozilla/5.0", "Accept": "text/html,*/*;q=0.8"}
    )
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")


@pytest.mark.parametrize("path", ["/notes.py", "/"])
def test_curl_upload_file_puts_a_paste(client, api, path):
    response = client.put(path, data=b"print('hi')\n", headers=CURL)
    assert response.status_code == 200, response.get_data(as_text=True)
    page_url, delete_url = response.get_data(as_text=True).splitlines()
    paste_id = page_url.rsplit("/", 1)[1]
    assert "/deactivate/" in delete_url
    details = api.details(paste_id).json
    assert details["contents"] == "print('hi')\n"
    if path == "/notes.py":
        assert details["title"] == "notes.py"
        assert details["language"] == "python"


def test_an_empty_post_from_curl_is_told_it_is_empty(client, db_rows):
    before = db_rows()
    response = client.post(
        "/", data=b"", headers=CURL, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    text = one_line(response)
    assert text.startswith("incomplete_params_failure: ")
    assert "cookie" not in text.lower()
    assert db_rows() == before


def test_only_a_file_name_at_the_root_takes_a_put(client, db_rows):
    """`/api`, `/v1`, `/pub` stay the faces' roots: a PUT there uploads nothing, and a
    read of an unknown file name at the root is still a 404."""
    before = db_rows()
    for path in ("/api", "/v1", "/pub", "/api/paste/submit"):
        response = client.put(path, data=b"x", headers=CURL)
        # Each face's own refusal (Qexo's with HTTP 200), never a shell upload's URLs.
        assert "/deactivate/" not in response.get_data(as_text=True), path
        assert response.get_json(silent=True) is not None, path
    assert db_rows() == before
    assert client.get("/robots.txt").status_code == 404
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
