"""One rule for drafts on every face: a draft is read by its author and by admins only, in
lists, by id or hash, in exports, in image lists and in counts alike; to anyone else it
does not exist. Registration is open, so "anyone else" is anybody with an account."""

import io

import pytest

from pastecms.extensions import db
from pastecms.models import User
from tests.conftest import Cms

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def site(cms_admin):
    """A published article and a draft, each with an image."""
    made = {}
    for status in ("published", "draft"):
        article = cms_admin.article(f"The {status} one", status=status)
        cms_admin.post(
            "/v1/images",
            data={"file": (io.BytesIO(PNG), "a.png"), "articleId": article["id"]},
        )
        made[status] = article
    return made


@pytest.fixture
def stranger(client):
    """Somebody who signed up through the open registration of the paste API."""
    created = client.post(
        "/api/user/create", json={"username": "stranger", "password": "correct horse"}
    ).json
    client.delete_cookie("session")
    return Cms(client, created["api_key"])


def titles(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [article["title"] for article in response.json["articles"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["The published one"]),
        ("status=draft", []),
        ("status=published", ["The published one"]),
    ],
)
def test_a_stranger_lists_no_draft(stranger, site, query, expected):
    response = stranger.get(f"/v1/articles?{query}")
    assert titles(response) == expected
    assert response.json["total"] == len(expected)


def test_a_stranger_cannot_read_export_or_see_the_images_of_a_draft(stranger, site):
    draft = site["draft"]
    for path in (f"/v1/articles/{draft['hash']}", f"/v1/export/{draft['hash']}"):
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert response.json["failure_name"] == "nonexistent_article_failure"
    exported = stranger.get("/v1/export").json
    assert [entry["title"] for entry in exported["articles"]] == ["The published one"]
    assert stranger.get(f"/v1/images/article/{draft['id']}").json == {"images": []}
    assert len(stranger.get(f"/v1/images/article/{site['published']['id']}").json["images"]) == 1


def test_the_content_api_and_the_blog_status_hide_drafts_alike(client, stranger, site):
    login = client.post(
        "/api/auth/auth", json={"username": "stranger", "password": "correct horse"}
    )
    headers = {"Authorization": f"Bearer {login.json['data']['access_token']}"}
    response = client.get(f"/api/content/get/{site['draft']['id']}", headers=headers)
    assert response.json["data"]["code"] and response.status_code == 404
    listed = client.get("/api/content/list/article", headers=headers).json["data"]
    assert [article["title"] for article in listed["list"]] == ["The published one"]
    assert listed["count"] == 1
    assert client.get("/pub/status").json["data"]["posts"] == "1"


def test_an_admin_reads_every_draft(cms_admin, site):
    assert titles(cms_admin.get("/v1/articles?status=draft")) == ["The draft one"]
    assert cms_admin.get(f"/v1/articles/{site['draft']['hash']}").status_code == 200
    assert len(cms_admin.get("/v1/export").json["articles"]) == 2


def test_an_author_who_is_no_longer_admin_still_reads_their_own_draft(app, cms_admin, site):
    with app.app_context():
        db.session.execute(db.update(User).values(is_admin=False))
        db.session.commit()
    assert titles(cms_admin.get("/v1/articles?status=draft")) == ["The draft one"]
    assert cms_admin.get(f"/v1/articles/{site['draft']['hash']}").status_code == 200


def test_an_answer_kept_for_an_admin_is_never_served_to_a_stranger(cms_admin, stranger, site):
    draft_path = f"/v1/articles/{site['draft']['hash']}"
    for _ in range(2):  # made, then kept
        assert len(titles(cms_admin.get("/v1/articles"))) == 2
        assert cms_admin.get(draft_path).status_code == 200
    assert titles(stranger.get("/v1/articles")) == ["The published one"]
    assert stranger.get(draft_path).status_code == 404
