"""Attachments: sent inline as base64 with a paste, listed in details, downloaded by name."""

import base64

import pytest
from sqlalchemy import func, select

from pastecms.extensions import db
from pastecms.models import Attachment

SUBMIT = "/api/paste/submit"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def attachment(name="notes.txt", data=b"attached bytes", mime_type="text/plain"):
    item = {"name": name, "data": b64(data)}
    if mime_type is not None:
        item["mime_type"] = mime_type
    return item


def download_url(paste, name):
    return f"/paste/{paste['paste_id_repr']}/attachment/{name}"


def test_attachments_are_listed_on_submit_and_in_details(api):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    paste = api.submit(
        "see attached",
        attachments=[attachment(), attachment("image.png", png, "image/png")],
    )
    expected = [
        {"file_name": "notes.txt", "file_size": 14, "mime_type": "text/plain"},
        {"file_name": "image.png", "file_size": len(png), "mime_type": "image/png"},
    ]
    assert paste["attachments"] == expected
    assert api.details(paste["paste_id_repr"]).json["attachments"] == expected
    (listed,) = api.post("/api/paste/recent", {}).json["pastes"]
    assert listed["attachments"] == expected


def test_attachment_downloads_with_its_stored_type_as_a_file(api, client):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    paste = api.submit("see attached", attachments=[attachment("image.png", png, "image/png")])

    response = client.get(download_url(paste, "image.png"))
    assert response.status_code == 200
    assert response.data == png
    assert response.mimetype == "image/png"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "image.png" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_html_attachment_is_never_rendered_inline(api, client):
    html = b"<script>alert(1)</script>"
    paste = api.submit("x", attachments=[attachment("page.html", html, "text/html")])
    response = client.get(download_url(paste, "page.html"))
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data == html


def test_mime_type_defaults_to_octet_stream(api, client):
    paste = api.submit("x", attachments=[attachment("blob.bin", b"\x00\x01", mime_type=None)])
    assert paste["attachments"][0]["mime_type"] == "application/octet-stream"
    assert client.get(download_url(paste, "blob.bin")).mimetype == "application/octet-stream"


def test_unicode_file_name_downloads(api, client):
    paste = api.submit("x", attachments=[attachment("résumé.txt", b"cv")])
    response = client.get(download_url(paste, "résumé.txt"))
    assert response.status_code == 200
    assert response.data == b"cv"
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.txt" in response.headers["Content-Disposition"]


def test_downloading_an_attachment_is_a_view(api, client):
    # A read of the paste like any other: else a burn paste's file could be fetched
    # forever (tests/test_safe_reads.py).
    paste = api.submit("x", attachments=[attachment()])
    client.get(download_url(paste, "notes.txt"))
    assert api.details(paste["paste_id_repr"]).json["views"] == 2


def test_up_to_the_configured_count_is_accepted(make_app):
    client = make_app(MAX_ATTACHMENT_COUNT=3).test_client()
    items = [attachment(f"f{n}.txt") for n in range(3)]
    response = client.post(SUBMIT, json={"contents": "x", "attachments": items})
    assert response.status_code == 200
    assert len(response.json["attachments"]) == 3


BAD_ATTACHMENTS = [
    ([{"name": "a.txt", "data": "not base64!"}], "invalid_params_failure", 400),
    ([{"name": "a.txt", "data": "YWJ"}], "invalid_params_failure", 400),
    ([{"name": "a.txt", "data": 123}], "invalid_params_failure", 400),
    ([{"name": "a.txt"}], "incomplete_params_failure", 400),
    ([{"data": b64(b"abc")}], "incomplete_params_failure", 400),
    ([{"name": "", "data": b64(b"abc")}], "incomplete_params_failure", 400),
    ([{"name": "dir/a.txt", "data": b64(b"abc")}], "invalid_params_failure", 400),
    ([{"name": "a\\b.txt", "data": b64(b"abc")}], "invalid_params_failure", 400),
    ([{"name": "a\nb.txt", "data": b64(b"abc")}], "invalid_params_failure", 400),
    ([{"name": "n" * 256, "data": b64(b"abc")}], "invalid_params_failure", 400),
    ([{"name": "a.txt", "data": b64(b"abc"), "mime_type": "text"}], "invalid_params_failure", 400),
    (
        [{"name": "a.txt", "data": b64(b"abc"), "mime_type": "text/plain; x=<y>"}],
        "invalid_params_failure",
        400,
    ),
    (["a.txt"], "invalid_params_failure", 400),
    ([attachment("same.txt"), attachment("same.txt")], "invalid_params_failure", 400),
    # Too many: the default allows five.
    ([attachment(f"f{n}.txt") for n in range(6)], "invalid_params_failure", 400),
    # Too large: the default allows 2 MiB, decoded.
    (
        [attachment("big.bin", b"\0" * (2 * 1024 * 1024 + 1))],
        "paste_attachment_too_large_failure",
        413,
    ),
]


@pytest.mark.parametrize(("attachments", "failure_name", "status"), BAD_ATTACHMENTS)
def test_bad_attachment_stores_no_paste(api, db_rows, attachments, failure_name, status):
    before = db_rows()
    response = api.post(SUBMIT, {"contents": "x", "attachments": attachments})
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before


def test_attachment_exactly_at_the_size_limit_is_accepted(make_app):
    client = make_app(MAX_ATTACHMENT_SIZE=10).test_client()
    ok = client.post(
        SUBMIT, json={"contents": "x", "attachments": [attachment(data=b"0123456789")]}
    )
    assert ok.status_code == 200
    over = client.post(
        SUBMIT, json={"contents": "x", "attachments": [attachment(data=b"0123456789A")]}
    )
    assert over.status_code == 413
    assert over.json["failure_name"] == "paste_attachment_too_large_failure"


def test_attachments_disabled_refuses_them_but_not_plain_pastes(make_app, db_rows):
    client = make_app(ENABLE_PASTE_ATTACHMENTS=False).test_client()
    before = db_rows()
    response = client.post(SUBMIT, json={"contents": "x", "attachments": [attachment()]})
    assert response.status_code == 403
    assert response.json["failure_name"] == "paste_attachments_disabled_failure"
    assert db_rows() == before
    assert client.post(SUBMIT, json={"contents": "x"}).status_code == 200


# The last three could never be stored: a NUL reaching PostgreSQL was once a 500.
@pytest.mark.parametrize(
    "name", ["missing.txt", "NOTES.TXT", "notes.tx", "a%00b", "a%01b", "x" * 300]
)
def test_unknown_attachment_name_is_a_404(api, client, name):
    paste = api.submit("x", attachments=[attachment("notes.txt")])
    response = client.get(download_url(paste, name))
    assert response.status_code == 404
    assert "nonexistent_attachment_failure" in response.text


def test_attachment_of_a_deactivated_paste_is_gone(api, client):
    paste = api.submit("x", attachments=[attachment()])
    api.post(
        "/api/paste/deactivate",
        {"paste_id": paste["paste_id_repr"], "deactivation_token": paste["deactivation_token"]},
    )
    response = client.get(download_url(paste, "notes.txt"))
    assert response.status_code == 404
    assert "nonexistent_paste_failure" in response.text


def test_attachment_of_a_garbage_id_is_a_404(client):
    response = client.get("/paste/garbage/attachment/notes.txt")
    assert response.status_code == 404
    assert "nonexistent_paste_failure" in response.text


def test_protected_paste_attachment_needs_the_paste_unlocked(api, client):
    paste = api.submit("x", password="pw-attach", attachments=[attachment(data=b"hidden")])
    locked = client.get(download_url(paste, "notes.txt"))
    assert locked.status_code == 401
    assert b"hidden" not in locked.data

    client.post(f"/paste/{paste['paste_id_repr']}", data={"password": "pw-attach"})
    unlocked = client.get(download_url(paste, "notes.txt"))
    assert unlocked.status_code == 200
    assert unlocked.data == b"hidden"


def test_attachments_are_stored_in_the_database(app, api):
    api.submit("x", attachments=[attachment(data=b"in the db")])
    with app.app_context():
        stored = db.session.scalar(select(Attachment))
        assert stored.data == b"in the db"
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1
