"""/v1/export and /v1/import/markdown: articles as Markdown files with front matter."""

import frontmatter
import pytest

HEXO_POST = """---
title: Hello Hexo
date: 2023-05-01 08:30:00
updated: 2023-05-02 09:00:00
tags:
- hexo
- blog
categories:
- [Notes, Daily]
published: true
description: Imported from Hexo
---
# Hello

Written with Hexo.
"""


def test_a_hexo_post_imports_as_an_article(cms_admin):
    response = cms_admin.post("/v1/import/markdown", {"content": HEXO_POST})
    assert response.status_code == 201, response.json
    article = response.json
    assert article["title"] == "Hello Hexo"
    assert article["content"] == "# Hello\n\nWritten with Hexo."
    assert article["status"] == "published"
    assert article["publishedAt"] == article["createdAt"] == "2023-05-01T08:30:00.000Z"
    assert article["updatedAt"] == "2023-05-02T09:00:00.000Z"
    assert article["tags"] == ["hexo", "blog"]
    assert article["description"] == "Imported from Hexo"
    assert article["category"]["name"] == "Notes"
    assert cms_admin.get(f"/v1/articles/{article['hash']}").json == article


@pytest.mark.parametrize(
    ("front_matter", "status", "published_at"),
    [
        ("title: T", "draft", None),
        ("title: T\npublished: false\ndate: 2020-01-01", "draft", None),
        ("title: T\nstatus: published\ndate: 2020-01-01", "published", "2020-01-01T00:00:00.000Z"),
        ("title: T\ntags: solo", "draft", None),
    ],
)
def test_an_import_is_a_draft_unless_it_says_published(
    cms_admin, front_matter, status, published_at
):
    text = f"---\n{front_matter}\n---\nBody"
    article = cms_admin.post("/v1/import/markdown", {"content": text}).json
    assert article["status"] == status
    assert article["publishedAt"] == published_at


def test_an_import_finds_its_category_by_name(cms_admin):
    tech = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    text = "---\ntitle: T\ncategories: Tech\n---\nBody"
    assert cms_admin.post("/v1/import/markdown", {"content": text}).json["categoryId"] == tech["id"]


@pytest.mark.parametrize(
    ("content", "failure_name", "field"),
    [
        (None, "incomplete_params_failure", "content"),
        ("no front matter at all", "incomplete_params_failure", "title"),
        ("---\ntitle: [unclosed\n---\nBody", "invalid_params_failure", "content"),
        ("---\ntitle: T\n---\n", "incomplete_params_failure", "content"),
        ("---\ntitle: T\ndate: yesterday\n---\nBody", "invalid_params_failure", "date"),
        ("---\ntitle: T\nstatus: archived\n---\nBody", "invalid_params_failure", "status"),
        ("---\ntitle: T\nhash: not-a-ulid\n---\nBody", "invalid_params_failure", "hash"),
        ("---\ntitle: {a: 1}\n---\nBody", "invalid_params_failure", "title"),
        ("---\ntitle: T\ntags: [[1, 2]]\n---\nBody", "invalid_params_failure", "tags.0"),
        ("---\ntitle: " + "[" * 5000 + "\n---\nBody", "invalid_params_failure", "content"),
    ],
)
def test_a_bad_file_is_a_validation_error(cms_admin, db_rows, content, failure_name, field):
    before = db_rows()
    payload = {} if content is None else {"content": content}
    response = cms_admin.post("/v1/import/markdown", payload)
    assert response.status_code == 400, response.json
    assert response.json["failure_name"] == failure_name
    assert field in response.json["error"]["details"]
    assert db_rows() == before


def test_an_article_exports_as_markdown(cms_admin):
    category = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    article = cms_admin.article(
        "Exported: yes", "# Body", tags=["a", "b"], categoryId=category["id"], status="published"
    )
    response = cms_admin.get(f"/v1/export/{article['hash']}")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert f"filename={article['hash']}.md" in response.headers["Content-Disposition"]
    post = frontmatter.loads(response.get_data(as_text=True))
    assert post.content == "# Body"
    assert post["title"] == "Exported: yes"
    assert post["tags"] == ["a", "b"]
    assert post["categories"] == ["Tech"]
    assert post["published"] is True
    assert post["hash"] == article["hash"]
    assert post["date"] == article["publishedAt"]


def test_export_then_import_gives_back_the_same_articles(cms_admin, clock_moved):
    category = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    made = [
        cms_admin.article("Draft", "draft body", tags=["x"]),
        cms_admin.article(
            "Published",
            "# Published\n\nbody",
            status="published",
            description="about it",
            tags=["x", "y"],
            categoryId=category["id"],
        ),
    ]
    unpublished = cms_admin.article("Was published", "w", status="published")
    made.append(cms_admin.post(f"/v1/articles/{unpublished['hash']}/unpublish").json)
    before = sorted(cms_admin.get("/v1/articles").json["articles"], key=lambda a: a["hash"])

    exported = cms_admin.get("/v1/export")
    assert exported.status_code == 200
    assert exported.json["total"] == 3
    entry = exported.json["articles"][0]
    assert entry["exportUrl"] == f"http://localhost/v1/export/{entry['hash']}"
    assert entry["markdown"] == cms_admin.get(f"/v1/export/{entry['hash']}").get_data(as_text=True)
    for article in made:
        cms_admin.delete(f"/v1/articles/{article['hash']}")
    for entry in exported.json["articles"]:
        response = cms_admin.post("/v1/import/markdown", {"content": entry["markdown"]})
        assert response.status_code == 201, response.json

    after = sorted(cms_admin.get("/v1/articles").json["articles"], key=lambda a: a["hash"])
    ignored = ("id",)  # a new row; everything a client sees of it is the same
    assert [{k: v for k, v in a.items() if k not in ignored} for a in after] == [
        {k: v for k, v in a.items() if k not in ignored} for a in before
    ]


def test_importing_the_same_export_twice_is_a_conflict(cms_admin, db_rows):
    article = cms_admin.article()
    text = cms_admin.get(f"/v1/export/{article['hash']}").get_data(as_text=True)
    before = db_rows()
    response = cms_admin.post("/v1/import/markdown", {"content": text})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "CONFLICT"
    assert db_rows() == before


def test_export_filters_by_status(cms_admin):
    cms_admin.article("d")
    cms_admin.article("p", status="published")
    listed = cms_admin.get("/v1/export?status=published").json
    assert [entry["title"] for entry in listed["articles"]] == ["p"]


def test_export_and_import_need_their_callers(client, cms_admin, cms_reader):
    article = cms_admin.article(status="published")
    assert client.get("/v1/export").status_code == 401
    assert client.get(f"/v1/export/{article['hash']}").status_code == 401
    assert cms_reader.get(f"/v1/export/{article['hash']}").status_code == 200
    refused = cms_reader.post("/v1/import/markdown", {"content": HEXO_POST})
    assert refused.status_code == 403
    assert cms_admin.get("/v1/export/01hzzzzzzzzzzzzzzzzzzzzzzz").status_code == 404


@pytest.fixture
def clock_moved(monkeypatch):
    """A clock that moves a second per reading, so every time in the test differs."""
    from datetime import UTC, datetime, timedelta

    from pastecms.services import clock as clock_service

    ticks = iter(range(10_000))
    start = datetime(2024, 3, 1, tzinfo=UTC)
    monkeypatch.setattr(clock_service, "utcnow", lambda: start + timedelta(seconds=next(ticks)))


def test_an_export_is_sent_as_it_is_read_a_few_articles_at_a_time(cms_admin, monkeypatch):
    """A site of many large articles is exported without ever holding them all: the
    answer streams, reading EXPORT_BATCH articles at a time, and is the same document."""
    from pastecms.services.content import transfer

    monkeypatch.setattr(transfer, "EXPORT_BATCH", 2)
    hashes = [cms_admin.article(f"Article {n}")["hash"] for n in range(5)]
    read = []
    original = transfer.article_service.all_articles

    def counted(*args, **kwargs):
        found = original(*args, **kwargs)
        read.append(len(found))
        return found

    monkeypatch.setattr(transfer.article_service, "all_articles", counted)
    response = cms_admin.get("/v1/export")
    assert response.is_streamed
    exported = response.json
    assert exported["total"] == 5
    assert sorted(entry["hash"] for entry in exported["articles"]) == sorted(hashes)
    assert read == [2, 2, 1]
