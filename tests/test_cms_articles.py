"""/v1/articles: what the CMS's clients see of articles, their publication and lists."""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from pastecms.services import clock as clock_service

ULID = re.compile(r"[0-9a-hjkmnp-tv-z]{26}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
START = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = START

    def advance(self, **delta):
        self.now += timedelta(**delta)

    @property
    def iso(self):
        return self.now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.now.microsecond // 1000:03d}Z"


@pytest.fixture
def clock(monkeypatch):
    """The time the content services read, moved by the test."""
    clock = Clock()
    monkeypatch.setattr(clock_service, "utcnow", lambda: clock.now)
    return clock


# -- creating ---------------------------------------------------------------------------


def test_a_created_article_has_every_field_of_the_seed(cms_admin, clock):
    article = cms_admin.article(
        "My New Article",
        "# Hello World",
        description="A brief description",
        tags=["tech", "tutorial"],
    )
    assert set(article) == {
        "id",
        "hash",
        "title",
        "description",
        "content",
        "status",
        "publishedAt",
        "createdAt",
        "updatedAt",
        "tags",
        "categoryId",
        "category",
        "headerImageId",
        "headerImageUrl",
        "slideMode",
        "slideDuration",
    }
    assert re.fullmatch(r"[0-9a-f]{16}", article["id"])
    assert ULID.fullmatch(article["hash"])
    assert article["status"] == "draft"
    assert article["publishedAt"] is None
    assert article["createdAt"] == article["updatedAt"] == "2024-01-15T10:00:00.000Z"
    assert article["tags"] == ["tech", "tutorial"]
    assert article["category"] is None and article["categoryId"] is None
    assert article["slideMode"] is False and article["slideDuration"] is None


def test_an_article_reads_back_as_created(cms_admin, cms_reader):
    created = cms_admin.article(
        tags=["b", "a"], slideMode=True, slideDuration=30, status="published"
    )
    response = cms_reader.get(f"/v1/articles/{created['hash']}")
    assert response.status_code == 200
    assert response.json == created


def test_an_uppercase_hash_finds_the_article(cms_admin):
    created = cms_admin.article()
    assert cms_admin.get(f"/v1/articles/{created['hash'].upper()}").json == created


def test_times_are_iso_utc_with_milliseconds_everywhere(cms_admin):
    article = cms_admin.article(status="published")
    for key in ("publishedAt", "createdAt", "updatedAt"):
        assert TIME.fullmatch(article[key]), article[key]


MISSING = "Required"
ARTICLE_FAILURES = [
    ({}, "incomplete_params_failure", {"title": MISSING, "content": MISSING}),
    ({"content": "x"}, "incomplete_params_failure", {"title": MISSING}),
    ({"title": None, "content": "x"}, "incomplete_params_failure", {"title": MISSING}),
    ({"title": " ", "content": "x"}, "incomplete_params_failure", {"title": MISSING}),
    ({"title": "t", "content": ""}, "incomplete_params_failure", {"content": MISSING}),
    ({"title": "t", "content": "x", "status": "archived"}, "invalid_params_failure", {"status"}),
    ({"title": 5, "content": "x"}, "invalid_params_failure", {"title"}),
    ({"title": "t" * 256, "content": "x"}, "invalid_params_failure", {"title"}),
    (
        {"title": "t", "content": "x", "slideDuration": 29},
        "invalid_params_failure",
        {"slideDuration"},
    ),
    (
        {"title": "t", "content": "x", "slideDuration": 3601},
        "invalid_params_failure",
        {"slideDuration"},
    ),
    ({"title": "t", "content": "x", "slideMode": "maybe"}, "invalid_params_failure", {"slideMode"}),
    ({"title": "t", "content": "x", "tags": "tech"}, "invalid_params_failure", {"tags"}),
    ({"title": "t", "content": "x", "tags": ["t"] * 51}, "invalid_params_failure", {"tags"}),
    ({"title": "t", "content": "x", "tags": ["x" * 65]}, "invalid_params_failure", {"tags.0"}),
    (
        {"title": "t", "content": "x", "categoryId": "tech"},
        "invalid_params_failure",
        {"categoryId"},
    ),
    (
        {"title": "t", "content": "x", "categoryId": "0123456789abcdef"},
        "invalid_params_failure",
        {"categoryId": "No such category."},
    ),
    (
        {"title": "t", "content": "x", "headerImageId": "0123456789abcdef"},
        "invalid_params_failure",
        {"headerImageId": "No such image."},
    ),
    ({"title": "a\u0000b", "content": "x"}, "invalid_params_failure", {"title"}),
]


@pytest.mark.parametrize(("payload", "failure_name", "details"), ARTICLE_FAILURES)
def test_a_bad_article_is_a_validation_error_naming_its_fields(
    cms_admin, db_rows, payload, failure_name, details
):
    before = db_rows()
    response = cms_admin.post("/v1/articles", payload)
    assert response.status_code == 400
    assert response.json["failure_name"] == failure_name
    error = response.json["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"]
    if isinstance(details, dict):
        assert error["details"] == {**error["details"], **details}
    else:
        assert details <= set(error["details"])
    assert db_rows() == before


def test_an_empty_category_or_image_id_means_none(cms_admin):
    article = cms_admin.article(categoryId="", headerImageId="")
    assert article["categoryId"] is None and article["headerImageId"] is None


# -- publication ------------------------------------------------------------------------


def test_created_as_published_it_is_published_now(cms_admin, clock):
    article = cms_admin.article(status="published")
    assert article["status"] == "published"
    assert article["publishedAt"] == clock.iso


def test_created_as_draft_it_has_no_publication_date(cms_admin):
    assert cms_admin.article(status="draft")["publishedAt"] is None


def test_publish_sets_published_at_to_now(cms_admin, clock):
    article = cms_admin.article()
    clock.advance(hours=1)
    published = cms_admin.post(f"/v1/articles/{article['hash']}/publish").json
    assert published["status"] == "published"
    assert published["publishedAt"] == published["updatedAt"] == clock.iso


def test_publishing_again_moves_published_at(cms_admin, clock):
    article = cms_admin.article(status="published")
    clock.advance(days=2)
    again = cms_admin.post(f"/v1/articles/{article['hash']}/publish").json
    assert again["publishedAt"] == clock.iso != article["publishedAt"]


def test_unpublish_makes_a_draft_and_keeps_published_at(cms_admin, clock):
    article = cms_admin.article(status="published")
    clock.advance(hours=3)
    draft = cms_admin.post(f"/v1/articles/{article['hash']}/unpublish").json
    assert draft["status"] == "draft"
    assert draft["publishedAt"] == article["publishedAt"]
    assert draft["updatedAt"] == clock.iso


def test_put_to_published_sets_published_at_only_when_empty(cms_admin, clock):
    article = cms_admin.article()
    clock.advance(hours=1)
    first = cms_admin.put(f"/v1/articles/{article['hash']}", {"status": "published"}).json
    assert first["publishedAt"] == clock.iso
    cms_admin.post(f"/v1/articles/{article['hash']}/unpublish")
    clock.advance(hours=1)
    again = cms_admin.put(f"/v1/articles/{article['hash']}", {"status": "published"}).json
    assert again["status"] == "published"
    assert again["publishedAt"] == first["publishedAt"]


def test_put_to_draft_keeps_published_at(cms_admin, clock):
    article = cms_admin.article(status="published")
    clock.advance(minutes=5)
    draft = cms_admin.put(f"/v1/articles/{article['hash']}", {"status": "draft"}).json
    assert draft["status"] == "draft"
    assert draft["publishedAt"] == article["publishedAt"]


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("PUT", "", {"title": "Renamed"}),
        ("PUT", "", {"tags": ["only", "tags"]}),
        ("POST", "/publish", None),
        ("POST", "/unpublish", None),
    ],
)
def test_updated_at_moves_on_every_change(cms_admin, clock, method, suffix, payload):
    article = cms_admin.article(tags=["before"])
    clock.advance(seconds=90)
    changed = cms_admin.open(method, f"/v1/articles/{article['hash']}{suffix}", payload).json
    assert changed["updatedAt"] == clock.iso != article["updatedAt"]
    assert changed["createdAt"] == article["createdAt"]


# -- partial updates --------------------------------------------------------------------


def test_put_changes_only_the_fields_sent(cms_admin, clock):
    category = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    article = cms_admin.article(
        description="desc",
        tags=["a", "b"],
        categoryId=category["id"],
        slideMode=True,
        slideDuration=60,
        status="published",
    )
    clock.advance(seconds=1)
    changed = cms_admin.put(f"/v1/articles/{article['hash']}", {"title": "New title"}).json
    unchanged = {key: value for key, value in article.items() if key not in ("title", "updatedAt")}
    assert {key: changed[key] for key in unchanged} == unchanged
    assert changed["title"] == "New title"
    assert cms_admin.get(f"/v1/articles/{article['hash']}").json == changed


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"description": None}, {"description": None}),
        ({"categoryId": None}, {"categoryId": None, "category": None}),
        ({"categoryId": ""}, {"categoryId": None, "category": None}),
        ({"slideDuration": None}, {"slideDuration": None}),
        ({"content": "# Other"}, {"content": "# Other"}),
        ({"slideMode": False}, {"slideMode": False}),
    ],
)
def test_put_can_clear_or_set_one_field(cms_admin, payload, expected):
    category = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    article = cms_admin.article(
        description="d", categoryId=category["id"], slideMode=True, slideDuration=45
    )
    changed = cms_admin.put(f"/v1/articles/{article['hash']}", payload).json
    assert {key: changed[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"content": "  "}, "content"),
        ({"status": "deleted"}, "status"),
        ({"tags": None}, "tags"),
        ({"slideDuration": 5000}, "slideDuration"),
        ({"headerImageId": "0123456789abcdef"}, "headerImageId"),
    ],
)
def test_a_bad_update_changes_nothing(cms_admin, db_rows, payload, field):
    article = cms_admin.article()
    before = db_rows()
    response = cms_admin.put(f"/v1/articles/{article['hash']}", payload)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json["error"]["details"]
    assert db_rows() == before


# -- tags -------------------------------------------------------------------------------


def test_tags_keep_their_order_and_collapse_duplicates(cms_admin):
    article = cms_admin.article(tags=["zeta", "alpha", "zeta", "Alpha"])
    assert article["tags"] == ["zeta", "alpha", "Alpha"]
    names = [tag["name"] for tag in cms_admin.get("/v1/tags").json["tags"]]
    assert sorted(names) == ["Alpha", "alpha", "zeta"]


def test_tags_are_created_once_and_matched_exactly(cms_admin):
    cms_admin.article(tags=["Python"])
    cms_admin.article(tags=["Python", "python"])
    tags = {tag["name"]: tag["articleCount"] for tag in cms_admin.get("/v1/tags").json["tags"]}
    assert tags == {"Python": 2, "python": 1}


def test_a_put_with_tags_replaces_the_set(cms_admin):
    article = cms_admin.article(tags=["a", "b"])
    changed = cms_admin.put(f"/v1/articles/{article['hash']}", {"tags": ["c", "a"]}).json
    assert changed["tags"] == ["c", "a"]
    counts = {tag["name"]: tag["articleCount"] for tag in cms_admin.get("/v1/tags").json["tags"]}
    assert counts == {"a": 1, "b": 0, "c": 1}
    assert cms_admin.put(f"/v1/articles/{article['hash']}", {"tags": []}).json["tags"] == []


# -- deleting ---------------------------------------------------------------------------


def test_delete_answers_success_and_the_article_is_gone(cms_admin, db_rows):
    article = cms_admin.article(tags=["gone"])
    response = cms_admin.delete(f"/v1/articles/{article['hash']}")
    assert response.status_code == 200
    assert response.json == {"success": True}
    assert cms_admin.get(f"/v1/articles/{article['hash']}").status_code == 404
    assert db_rows()["article_tags"] == []
    assert cms_admin.get("/v1/articles").json["total"] == 0


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("PUT", ""),
        ("DELETE", ""),
        ("POST", "/publish"),
        ("POST", "/unpublish"),
    ],
)
@pytest.mark.parametrize("article_hash", ["01hzzzzzzzzzzzzzzzzzzzzzzz", "not-a-hash", "x" * 300])
def test_an_unknown_hash_is_not_found(cms_admin, db_rows, method, suffix, article_hash):
    before = db_rows()
    response = cms_admin.open(
        method, f"/v1/articles/{article_hash}{suffix}", {"title": "t"} if method == "PUT" else None
    )
    assert response.status_code == 404
    assert response.json == {
        "error": {"code": "NOT_FOUND", "message": "Article not found"},
        "failure_name": "nonexistent_article_failure",
    }
    assert db_rows() == before


# -- lists ------------------------------------------------------------------------------


def hashes(response):
    return [article["hash"] for article in response.json["articles"]]


def test_the_list_puts_published_first_then_newest(cms_admin, clock):
    a = cms_admin.article("A")
    clock.advance(hours=1)
    b = cms_admin.article("B", status="published")
    clock.advance(hours=1)
    c = cms_admin.article("C")
    clock.advance(hours=1)
    d = cms_admin.article("D", status="published")
    clock.advance(hours=1)
    # Unpublished, B keeps its publication date and its place among the published.
    cms_admin.post(f"/v1/articles/{b['hash']}/unpublish")
    response = cms_admin.get("/v1/articles")
    assert hashes(response) == [d["hash"], b["hash"], c["hash"], a["hash"]]
    assert response.json["total"] == 4
    assert (response.json["page"], response.json["perPage"]) == (1, 10)
    # Publishing A now puts it first.
    cms_admin.post(f"/v1/articles/{a['hash']}/publish")
    assert hashes(cms_admin.get("/v1/articles"))[0] == a["hash"]


def test_the_list_pages_through_every_article_once(cms_admin, clock):
    created = []
    for n in range(7):
        clock.advance(minutes=1)
        created.append(cms_admin.article(f"A{n}", status="published" if n % 2 else "draft"))
    seen = []
    for page in (1, 2, 3):
        response = cms_admin.get(f"/v1/articles?page={page}&perPage=3")
        assert response.json["total"] == 7
        assert response.json["perPage"] == 3
        seen += hashes(response)
    assert sorted(seen) == sorted(article["hash"] for article in created)
    assert len(seen) == 7


def test_per_page_is_capped_at_100(cms_admin):
    response = cms_admin.get("/v1/articles?perPage=5000")
    assert response.status_code == 200
    assert response.json["perPage"] == 100


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("perPage=0", "perPage"),
        ("perPage=1.5", "perPage"),
        ("status=archived", "status"),
        ("page=10001", "page"),
    ],
)
def test_a_bad_list_query_is_a_validation_error(cms_reader, query, field):
    response = cms_reader.get(f"/v1/articles?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json["error"]["details"]


@pytest.fixture
def library(cms_admin, clock):
    """Articles across two categories and some tags, drafts and published."""
    tech = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    life = cms_admin.post("/v1/categories", {"name": "Life", "slug": "life"}).json
    made = {}
    for name, status, category, tags in [
        ("one", "published", tech, ["python", "web"]),
        ("two", "draft", tech, ["python"]),
        ("three", "published", life, ["web"]),
        ("four", "draft", None, ["Python"]),
        ("five", "published", tech, []),
    ]:
        clock.advance(minutes=1)
        made[name] = cms_admin.article(
            name,
            status=status,
            tags=tags,
            categoryId=category["id"] if category else None,
        )
    return made


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["five", "three", "one", "four", "two"]),
        ("status=published", ["five", "three", "one"]),
        ("status=draft", ["four", "two"]),
        ("tag=python", ["one", "two"]),
        ("tag=Python", ["four"]),
        ("tag=web&status=published", ["three", "one"]),
        ("tag=python&status=draft", ["two"]),
        ("category=tech", ["five", "one", "two"]),
        ("category=tech&status=draft", ["two"]),
        ("category=tech&tag=web", ["one"]),
        ("category=tech&tag=python&status=published", ["one"]),
        ("tag=nothing", []),
        ("category=nothing", []),
        ("tag=", ["five", "three", "one", "four", "two"]),
    ],
)
def test_filters_select_and_count_the_articles(cms_admin, library, query, titles):
    response = cms_admin.get(f"/v1/articles?{query}")
    assert response.status_code == 200
    assert [article["title"] for article in response.json["articles"]] == titles
    assert response.json["total"] == len(titles)


def test_listed_articles_carry_their_tags_and_category(cms_admin, library):
    listed = {a["title"]: a for a in cms_admin.get("/v1/articles").json["articles"]}
    assert listed["one"]["tags"] == ["python", "web"]
    # Every field of the CMS's Category type, as the category's own answer has them.
    (tech,) = [c for c in cms_admin.get("/v1/categories").json["categories"] if c["slug"] == "tech"]
    assert listed["one"]["category"] == {
        "id": listed["one"]["categoryId"],
        "name": "Tech",
        "slug": "tech",
        "color": "#6B7280",
        "displayOrder": tech["displayOrder"],
        "createdAt": tech["createdAt"],
    }
    one = cms_admin.get(f"/v1/articles/{listed['one']['hash']}").json
    assert one["category"] == listed["one"]["category"]
    assert listed["four"]["category"] is None


def test_totals_follow_every_change(cms_admin, clock):
    """The totals come from counters: after any mix of changes they equal a count."""
    rng = random.Random(14)
    categories = [
        cms_admin.post("/v1/categories", {"name": f"C{n}", "slug": f"c{n}"}).json["id"]
        for n in range(2)
    ]
    tags = ["x", "y", "z"]
    articles = []
    for _ in range(40):
        clock.advance(seconds=1)
        action = rng.choice(["create", "create", "update", "publish", "unpublish", "delete"])
        if action == "create" or not articles:
            article = cms_admin.article(
                status=rng.choice(["draft", "published"]),
                tags=rng.sample(tags, rng.randint(0, 3)),
                categoryId=rng.choice([None, *categories]),
            )
            articles.append(article["hash"])
            continue
        target = rng.choice(articles)
        if action == "update":
            cms_admin.put(
                f"/v1/articles/{target}",
                {
                    "status": rng.choice(["draft", "published"]),
                    "tags": rng.sample(tags, rng.randint(0, 3)),
                    "categoryId": rng.choice([None, *categories]),
                },
            )
        elif action == "delete":
            cms_admin.delete(f"/v1/articles/{target}")
            articles.remove(target)
        else:
            cms_admin.post(f"/v1/articles/{target}/{action}")
    everything = cms_admin.get("/v1/articles?perPage=100").json["articles"]
    slugs = {c["id"]: c["slug"] for c in cms_admin.get("/v1/categories").json["categories"]}
    for status in (None, "draft", "published"):
        for tag in (None, *tags):
            for category in (None, *categories):
                expected = [
                    a
                    for a in everything
                    if (status is None or a["status"] == status)
                    and (tag is None or tag in a["tags"])
                    and (category is None or a["categoryId"] == category)
                ]
                query = "&".join(
                    f"{key}={value}"
                    for key, value in (
                        ("status", status),
                        ("tag", tag),
                        ("category", slugs.get(category)),
                    )
                    if value
                )
                listed = cms_admin.get(f"/v1/articles?perPage=100&{query}").json
                assert listed["total"] == len(expected), query
                assert [a["hash"] for a in listed["articles"]] == [a["hash"] for a in expected]
    counts = {t["name"]: t["articleCount"] for t in cms_admin.get("/v1/tags").json["tags"]}
    for tag in tags:
        assert counts.get(tag, 0) == sum(tag in a["tags"] for a in everything)
    for category in cms_admin.get("/v1/categories").json["categories"]:
        assert category["articleCount"] == sum(
            a["categoryId"] == category["id"] for a in everything
        )


# -- who may ----------------------------------------------------------------------------


def test_without_a_bearer_every_article_route_is_401(client, cms_admin, db_rows):
    article = cms_admin.article()
    before = db_rows()
    for method, path in [
        ("GET", "/v1/articles"),
        ("POST", "/v1/articles"),
        ("GET", f"/v1/articles/{article['hash']}"),
        ("PUT", f"/v1/articles/{article['hash']}"),
        ("DELETE", f"/v1/articles/{article['hash']}"),
        ("POST", f"/v1/articles/{article['hash']}/publish"),
        ("POST", f"/v1/articles/{article['hash']}/unpublish"),
    ]:
        response = client.open(path, method=method, json={"title": "t", "content": "c"})
        assert response.status_code == 401, path
        assert response.json["error"]["code"] == "UNAUTHORIZED"
        assert response.json["failure_name"] == "auth_failure"
    assert db_rows() == before


@pytest.mark.parametrize("credential", ["Bearer not-a-key", "Bearer " + "f" * 64, "Basic abc"])
def test_an_invalid_credential_is_401(client, credential):
    response = client.get("/v1/articles", headers={"Authorization": credential})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "UNAUTHORIZED"


def test_a_reader_may_read_but_not_write(cms_admin, cms_reader, db_rows):
    article = cms_admin.article(status="published")
    assert cms_reader.get("/v1/articles").status_code == 200
    assert cms_reader.get(f"/v1/articles/{article['hash']}").status_code == 200
    before = db_rows()
    for method, path in [
        ("POST", "/v1/articles"),
        ("PUT", f"/v1/articles/{article['hash']}"),
        ("DELETE", f"/v1/articles/{article['hash']}"),
        ("POST", f"/v1/articles/{article['hash']}/publish"),
    ]:
        response = cms_reader.open(method, path, {"title": "t", "content": "c"})
        assert response.status_code == 403, path
        assert response.json["error"]["code"] == "FORBIDDEN"
        assert response.json["failure_name"] == "forbidden_failure"
    assert db_rows() == before


def test_the_creator_is_the_articles_author(cms_admin, app):
    article = cms_admin.article()
    from pastecms.extensions import db
    from pastecms.models import Article, User

    with app.app_context():
        stored = db.session.get(Article, article["id"])
        assert db.session.get(User, stored.author_id).username == "editor"
        assert (stored.kind, stored.slug) == ("post", None)
