"""/pub blog status and the content API: Qexo's file API over our own articles and files,
the content webhook and the settings repair."""

import io
import logging
from datetime import UTC, datetime

import pytest

from pastecms.extensions import db
from pastecms.models import Setting
from pastecms.services import clock as clock_service
from pastecms.services.content import article as article_service
from pastecms.services.site import settings as settings_service
from tests.hooks import Receiver, WebhookLog
from tests.qexo import Pub

POST = """---
title: My First Post
date: 2024-01-07 10:30:00
tags:
  - Life
  - Essay
categories:
  - Notes
---
Hello **world**.
"""

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def article(app, slug):
    with app.app_context():
        try:
            return article_service.get_by_slug(slug)
        except Exception:  # noqa: BLE001 - no such article
            return None


# -- status ------------------------------------------------------------------------------


def test_status_counts_published_articles_and_dates_the_latest(admin_pub, pub):
    assert pub.ok(pub.get("status")) == {"status": True, "data": {"posts": "0", "last": ""}}
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/a.md", "content": POST}))
    later = POST.replace("2024-01-07 10:30:00", "2024-02-01 08:00:00")
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/b.md", "content": later}))
    draft = "---\ntitle: Draft\npublished: false\n---\nx"
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/c.md", "content": draft}))
    assert pub.ok(pub.get("status")) == {
        "status": True,
        "data": {"posts": "2", "last": "2024-02-01 08:00:00"},
    }


def test_status_follows_articles_of_the_cms_face(cms_admin, pub):
    cms_admin.article(title="Published", status="published")
    cms_admin.article(title="Draft")
    assert pub.ok(pub.get("status"))["data"]["posts"] == "1"


# -- save, delete and the lists -----------------------------------------------------------


def test_a_saved_post_is_an_article_with_its_front_matter(app, admin_pub, cms_admin):
    saved = admin_pub.post("save", {"file": "source/_posts/my-first-post.md", "content": POST})
    assert admin_pub.ok(saved) == {"status": True, "msg": "Saved successfully!"}
    found = article(app, "my-first-post")
    assert (found.title, found.kind, found.status) == ("My First Post", "post", "published")
    assert found.content.strip() == "Hello **world**."
    assert found.tag_names == ["Life", "Essay"]
    assert found.category.name == "Notes"
    assert found.published_at == datetime(2024, 1, 7, 10, 30, tzinfo=UTC)
    # The CMS face sees the same article: there is one content store.
    listed = cms_admin.get("/v1/articles").json
    assert [item["title"] for item in listed["articles"]] == ["My First Post"]


def test_saving_a_post_again_updates_it(app, admin_pub):
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/p.md", "content": POST}))
    changed = POST.replace("My First Post", "Renamed").replace("  - Essay\n", "")
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/p.md", "content": changed}))
    found = article(app, "p")
    assert (found.title, found.tag_names) == ("Renamed", ["Life"])
    assert len(admin_pub.ok(admin_pub.get("get_posts"))["posts"]) == 1


def test_a_saved_post_takes_a_moved_date_and_its_description(app, admin_pub):
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/d.md", "content": POST}))
    moved = POST.replace("2024-01-07 10:30:00", "2025-03-01T09:00:00+01:00").replace(
        "---\nHello", "description: Short\n---\nHello"
    )
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/d.md", "content": moved}))
    found = article(app, "d")
    assert found.published_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert found.description == "Short"


def test_a_post_without_front_matter_is_titled_by_its_name(app, admin_pub):
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/test.md", "content": "Hello"}))
    found = article(app, "test")
    assert (found.title, found.content, found.status) == ("test", "Hello", "published")


def test_posts_are_listed_as_qexo_lists_files(admin_pub, monkeypatch):
    stamp = datetime(2026, 1, 7, 10, 30, tzinfo=UTC)
    monkeypatch.setattr(clock_service, "now", lambda: stamp)
    admin_pub.ok(
        admin_pub.post("save", {"file": "source/_posts/my-first-post.md", "content": POST})
    )
    listed = admin_pub.ok(admin_pub.get("get_posts"))
    assert listed == {
        "status": True,
        "posts": [
            {
                "name": "My First Post",
                "path": "source/_posts/my-first-post.md",
                "fullname": "source/_posts/my-first-post.md",
                "size": len("Hello **world**."),
                "date": "2026-01-07 10:30:00",
            }
        ],
    }
    assert admin_pub.ok(admin_pub.get("get_posts", s="FIRST"))["posts"] != []
    assert admin_pub.ok(admin_pub.get("get_posts", s="nothing"))["posts"] == []


def test_a_page_is_saved_listed_and_deleted(app, admin_pub):
    page = "---\ntitle: About me\n---\nWho I am."
    admin_pub.ok(admin_pub.post("save", {"file": "source/about/index.md", "content": page}))
    assert article(app, "about").kind == "page"
    pages = admin_pub.ok(admin_pub.get("get_pages"))["pages"]
    assert [(p["name"], p["path"]) for p in pages] == [("About me", "source/about/index.md")]
    assert admin_pub.ok(admin_pub.get("get_posts"))["posts"] == []
    deleted = admin_pub.post("delete", {"file": "source/about/index.md"})
    assert admin_pub.ok(deleted) == {"status": True, "msg": "Deleted successfully and deployed!"}
    assert article(app, "about") is None
    assert admin_pub.ok(admin_pub.get("get_pages"))["pages"] == []


def test_deleting_a_post_deletes_its_article(app, admin_pub, pub):
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/old.md", "content": POST}))
    admin_pub.ok(admin_pub.post("delete", {"file": "source/_posts/old.md", "commitchange": "x"}))
    assert article(app, "old") is None
    assert pub.ok(pub.get("status"))["data"]["posts"] == "0"


def test_other_paths_are_stored_files_and_configs_list_the_yaml_ones(admin_pub):
    for path in ("_config.yml", "themes/next/_config.yaml", "source/robots.txt"):
        admin_pub.ok(admin_pub.post("save", {"file": path, "content": "title: Blog ü\n"}))
    configs = admin_pub.ok(admin_pub.get("get_configs"))["configs"]
    assert [(c["name"], c["path"], c["size"]) for c in configs] == [
        ("_config.yml", "_config.yml", 15),
        ("_config.yaml", "themes/next/_config.yaml", 15),
    ]
    assert [
        c["path"] for c in admin_pub.ok(admin_pub.get("get_configs", s="THEMES"))["configs"]
    ] == ["themes/next/_config.yaml"]
    admin_pub.ok(admin_pub.post("save", {"file": "_config.yml", "content": "x: 1"}))
    assert admin_pub.ok(admin_pub.get("get_configs"))["configs"][0]["size"] == 4
    admin_pub.ok(admin_pub.post("delete", {"file": "_config.yml"}))
    assert len(admin_pub.ok(admin_pub.get("get_configs"))["configs"]) == 1


def test_save_takes_json_and_query_input_too(client, admin_token, app):
    response = client.post(
        "/pub/save", json={"token": admin_token, "file": "source/_posts/j.md", "content": POST}
    )
    assert response.json["status"] is True
    response = client.post(
        "/pub/save?token=" + admin_token + "&file=source/_posts/q.md&content=Hello%20there"
    )
    assert response.json["status"] is True
    assert article(app, "q").content == "Hello there"


@pytest.mark.parametrize(
    "path",
    [
        "../etc/passwd",
        "source/../../x.md",
        "/etc/passwd",
        "source\\_posts\\x.md",
        "source/./x.md",
        "source//x.md",
        "C:/windows/x.md",
        "a" * 513,
        "source/\x01.md",
    ],
)
def test_a_path_that_leaves_the_site_is_refused_and_stores_nothing(admin_pub, db_rows, path):
    before = db_rows()
    for endpoint in ("save", "delete"):
        response = admin_pub.post(endpoint, {"file": path, "content": "x"})
        assert admin_pub.failed(response) == "invalid_params_failure"
    assert db_rows() == before


def test_a_nul_in_the_path_is_refused(admin_pub, db_rows):
    before = db_rows()
    response = admin_pub.post("save", {"file": "source/\x00.md", "content": "x"})
    assert admin_pub.failed(response) == "invalid_params_failure"
    assert db_rows() == before


@pytest.mark.parametrize(
    "content",
    [
        "---\ntitle: [unclosed\n---\nx",
        "---\ntitle: {a: 1}\n---\nx",
        "---\ndate: not a date\n---\nx",
        "---\npublished: maybe\n---\nx",
        "---\ntitle: " + "t" * 300 + "\n---\nx",
        "---\ntags: [" + "a" * 65 + "]\n---\nx",
    ],
)
def test_bad_front_matter_is_refused_and_stores_nothing(admin_pub, db_rows, content):
    before = db_rows()
    response = admin_pub.post("save", {"file": "source/_posts/bad.md", "content": content})
    assert admin_pub.failed(response) == "invalid_params_failure"
    assert db_rows() == before


def test_deleting_what_is_not_there_is_named(admin_pub):
    assert (
        admin_pub.failed(admin_pub.post("delete", {"file": "source/_posts/none.md"}))
        == "nonexistent_article_failure"
    )
    assert (
        admin_pub.failed(admin_pub.post("delete", {"file": "nothing.yml"}))
        == "nonexistent_file_failure"
    )


def test_a_page_cannot_take_a_posts_name(admin_pub):
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/about.md", "content": POST}))
    response = admin_pub.post("save", {"file": "source/about/index.md", "content": "x"})
    assert admin_pub.failed(response) == "conflict_failure"


def test_images_are_the_cms_image_store(client, admin_pub, cms_admin, monkeypatch):
    assert admin_pub.ok(admin_pub.get("get_images")) == {"status": True, "images": []}
    uploaded = cms_admin.post(
        "/v1/images", data={"file": (io.BytesIO(PNG), "avatar.png")}, json=None
    ).json
    images = admin_pub.ok(admin_pub.get("get_images"))["images"]
    assert len(images) == 1
    image = images[0]
    assert image["name"] == "avatar.png"
    assert image["size"] == f"{len(PNG)} B"
    assert image["url"] == uploaded["url"]
    assert len(image["time"]) == 10 and len(image["date"]) == 19
    assert admin_pub.ok(admin_pub.get("get_images", s="AVATAR"))["images"] != []
    assert admin_pub.ok(admin_pub.get("get_images", s="other"))["images"] == []


@pytest.mark.parametrize(
    ("method", "endpoint"),
    [
        ("post", "save"),
        ("post", "delete"),
        ("post", "create_webhook"),
        ("post", "fix"),
        ("get", "get_posts"),
        ("get", "get_pages"),
        ("get", "get_configs"),
        ("get", "get_images"),
    ],
)
def test_the_content_api_needs_an_admins_token(client, make_user, method, endpoint, db_rows):
    reader = make_user("reader")[1]
    before = db_rows()
    fields = {"file": "source/_posts/x.md", "content": "x", "uri": "https://hook.example/"}
    for token in (None, "wrong", reader):
        visitor = Pub(client, token)
        call = visitor.post(endpoint, fields) if method == "post" else visitor.get(endpoint)
        assert call.headers["Access-Control-Allow-Origin"] == "*"
        body = call.json
        assert call.status_code == 200 and body["status"] is False
        assert body["failure_name"] in {"auth_failure", "forbidden_failure"}
    assert db_rows() == before


# -- the webhook ---------------------------------------------------------------------------


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_create_webhook_answers_its_token_and_url(admin_pub, app, resolver):
    resolver["hook.example"] = ["93.184.215.14"]  # a public address, never called
    created = admin_pub.ok(admin_pub.post("create_webhook", {"uri": "https://hook.example/h"}))
    assert set(created) == {"status", "msg", "token", "webhook_url"}
    assert created["msg"] == "Webhook created successfully!"
    assert created["webhook_url"] == f"https://hook.example/h?token={created['token']}"
    # The webhook's URL is the server's: the public settings never show it.
    with app.app_context():
        assert "webhook_url" not in settings_service.get_all()["settings"]


@pytest.mark.parametrize(
    "uri", ["ftp://hook.example/", "javascript:alert(1)", "hook.example", "http://", "http:// x"]
)
def test_a_webhook_must_be_http(admin_pub, db_rows, uri):
    before = db_rows()
    response = admin_pub.post("create_webhook", {"uri": uri})
    assert admin_pub.failed(response) == "invalid_params_failure"
    assert db_rows() == before


class TestTheWebhook:
    """The webhook's calls. Its receivers listen on loopback, which webhooks may call only
    when the operator allows it: these tests' app does (test_webhook_destinations.py
    checks the refusals)."""

    @pytest.fixture
    def app(self, make_app):
        return make_app(WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8")

    def test_content_changes_are_posted_to_the_webhook(self, admin_pub, cms_admin, receiver):
        created = admin_pub.ok(admin_pub.post("create_webhook", {"uri": receiver.url}))
        admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/hooked.md", "content": POST}))
        path, event = receiver.wait()
        assert path == f"/hook?token={created['token']}"
        assert event == {
            "event": "content_changed",
            "count": 1,
            "changes": [{"type": "article", "action": "saved", "key": "hooked"}],
        }
        admin_pub.ok(admin_pub.post("save", {"file": "_config.yml", "content": "a: 1"}))
        assert receiver.wait()[1]["changes"] == [
            {"type": "file", "action": "saved", "key": "_config.yml"}
        ]
        admin_pub.ok(admin_pub.post("delete", {"file": "_config.yml"}))
        assert receiver.wait()[1]["changes"][0]["action"] == "deleted"
        # Through the CMS face too.
        made = cms_admin.article(title="From the CMS")
        assert receiver.wait()[1]["changes"] == [
            {"type": "article", "action": "saved", "key": made["hash"]}
        ]
        cms_admin.delete(f"/v1/articles/{made['hash']}")
        assert receiver.wait()[1]["changes"][0]["action"] == "deleted"

    def test_a_refused_change_is_not_announced(self, admin_pub, receiver):
        admin_pub.ok(admin_pub.post("create_webhook", {"uri": receiver.url}))
        bad = admin_pub.post(
            "save", {"file": "source/_posts/x.md", "content": "---\ndate: no\n---"}
        )
        admin_pub.failed(bad)
        admin_pub.ok(admin_pub.post("save", {"file": "a.txt", "content": "a"}))
        assert receiver.wait()[1]["changes"] == [
            {"type": "file", "action": "saved", "key": "a.txt"}
        ]
        assert len(receiver.calls) == 1

    def test_a_failing_webhook_never_fails_the_request(self, admin_pub):
        # Nothing listens on this port once the server is gone: the call fails, is logged.
        dead = Receiver()
        dead.close()
        admin_pub.ok(admin_pub.post("create_webhook", {"uri": dead.url}))
        logged = WebhookLog()
        logger = logging.getLogger("pastecms.services.content.webhook")
        logger.addHandler(logged)
        try:
            admin_pub.ok(admin_pub.post("save", {"file": "a.txt", "content": "a"}))
            assert "failed" in logged.wait()
        finally:
            logger.removeHandler(logged)


def test_the_webhook_timeout_is_a_setting(make_app):
    assert make_app().config["WEBHOOK_TIMEOUT"] == 5
    assert make_app(WEBHOOK_TIMEOUT=1).config["WEBHOOK_TIMEOUT"] == 1


# -- fix -------------------------------------------------------------------------------------


def test_fix_repairs_missing_and_invalid_settings(app, admin_pub, cms_admin):
    cms_admin.put("/v1/settings", {"site_name": "Mine", "site_url": "https://blog.example"})
    with app.app_context():
        db.session.get(Setting, "site_url").value = "not a url"
        db.session.get(Setting, "site_name").value = "  "
        db.session.commit()
    fixed = admin_pub.ok(admin_pub.post("fix"))
    count = len(settings_service.KEYS)
    assert fixed == {
        "status": True,
        "msg": f"Attempted to auto-fix {count} fields, please check and modify the "
        "configuration later",
    }
    settings = cms_admin.get("/v1/settings").json["settings"]
    assert settings["site_name"] == "My Site" and settings["site_url"] == ""
    assert settings["site_language"] == "en"
    again = admin_pub.ok(admin_pub.post("fix"))
    assert again["msg"].startswith("Attempted to auto-fix 0 fields")


def test_fix_keeps_valid_settings(admin_pub, cms_admin):
    cms_admin.put("/v1/settings", {"site_name": "Mine", "site_url": "https://blog.example"})
    admin_pub.ok(admin_pub.post("fix"))
    settings = cms_admin.get("/v1/settings").json["settings"]
    assert (settings["site_name"], settings["site_url"]) == ("Mine", "https://blog.example")
