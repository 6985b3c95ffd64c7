"""The article reads keep their answers whole while no article, tag, category or image
changes (`pastecms.queries.answers`, migration 0009's content version): a repeated read costs the
key's lookup and one read of the version, and any change, however it is made, shows on
the very next read, in every worker."""

import gc
import io
import os
import tracemalloc

import pytest
from sqlalchemy import text

from pastecms import encoding
from pastecms.extensions import db
from pastecms.queries import answers
from pastecms.queries.answers import AnswerCache, KeptAnswer
from tests.conftest import Cms, statements

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


def reads_articles(seen) -> bool:
    return any("FROM articles" in sql for sql, _ in seen)


def seed(cms) -> dict:
    """Two articles, one tagged and filed under a category, with a header image."""
    category = cms.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    image = cms.post("/v1/images", data={"file": (io.BytesIO(PNG), "h.png")}).json
    first = cms.article(
        "First",
        status="published",
        tags=["py"],
        categoryId=category["id"],
        headerImageId=image["id"],
    )
    second = cms.article("Second")
    return {"category": category, "image": image, "first": first, "second": second}


@pytest.fixture
def site(cms_admin):
    return seed(cms_admin)


def test_a_repeated_read_is_the_same_answer_without_reading_the_articles(app, cms_reader, site):
    for path in ("/v1/articles", f"/v1/articles/{site['first']['hash']}"):
        first = cms_reader.get(path)
        with statements(app) as seen:
            again = cms_reader.get(path)
        assert again.status_code == first.status_code == 200
        assert again.data == first.data
        assert again.headers["Content-Type"] == first.headers["Content-Type"]
        assert not reads_articles(seen), seen
        assert len(seen) == 2, seen  # the caller's key, the content version


def test_each_query_and_article_has_its_own_answer(cms_admin, site):
    cms_admin.get("/v1/articles")
    assert cms_admin.get("/v1/articles?status=draft").json["articles"][0]["title"] == "Second"
    assert cms_admin.get("/v1/articles?perPage=1&page=2").json["articles"][0]["title"] == "Second"
    assert cms_admin.get(f"/v1/articles/{site['second']['hash']}").json["title"] == "Second"
    assert cms_admin.get(f"/v1/articles/{site['first']['hash']}").json["title"] == "First"


def _change(cms_admin, site, what):
    first, category = site["first"], site["category"]
    tag_id = cms_admin.get("/v1/tags").json["tags"][0]["id"]
    changes = {
        "article edited": lambda: cms_admin.put(f"/v1/articles/{first['hash']}", {"title": "New"}),
        "article unpublished": lambda: cms_admin.post(f"/v1/articles/{first['hash']}/unpublish"),
        "article deleted": lambda: cms_admin.delete(f"/v1/articles/{first['hash']}"),
        "article added": lambda: cms_admin.post("/v1/articles", {"title": "3", "content": "c"}),
        "tag renamed": lambda: cms_admin.put(f"/v1/tags/{tag_id}", {"name": "python"}),
        "tag deleted": lambda: cms_admin.delete(f"/v1/tags/{tag_id}"),
        "category renamed": lambda: cms_admin.put(
            f"/v1/categories/{category['id']}", {"name": "Code", "color": "#112233"}
        ),
        "category deleted": lambda: cms_admin.delete(f"/v1/categories/{category['id']}"),
        "header image deleted": lambda: cms_admin.delete(f"/v1/images/{site['image']['id']}"),
    }
    response = changes[what]()
    assert response.status_code in (200, 201), response.json


@pytest.mark.parametrize(
    "what",
    [
        "article edited",
        "article unpublished",
        "article deleted",
        "article added",
        "tag renamed",
        "tag deleted",
        "category renamed",
        "category deleted",
        "header image deleted",
    ],
)
def test_every_change_shows_on_the_next_read(make_app, make_user, what):
    app = make_app()
    _, key = make_user("editor", is_admin=True)
    admin = Cms(app.test_client(), key)
    site_ = seed(admin)
    paths = ["/v1/articles", f"/v1/articles/{site_['first']['hash']}"]
    kept = [admin.get(path) for path in paths]
    assert [admin.get(path).data for path in paths] == [k.data for k in kept]  # kept

    _change(admin, site_, what)

    fresh = make_app()  # a worker that has kept nothing: what the answers must now be
    _, fresh_key = make_user("other", is_admin=True)
    expected = Cms(fresh.test_client(), fresh_key)
    for path in paths:
        assert admin.get(path).json == expected.get(path).json, path
    assert admin.get(paths[0]).json != kept[0].json


def test_a_change_made_by_hand_in_sql_shows_on_the_next_read(app, cms_reader, site):
    path = f"/v1/articles/{site['first']['hash']}"
    assert cms_reader.get(path).json["title"] == "First"
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE articles SET title = 'By hand' WHERE hash = :h"),
            {"h": site["first"]["hash"]},
        )
    assert cms_reader.get(path).json["title"] == "By hand"
    assert cms_reader.get("/v1/articles").json["articles"][0]["title"] == "By hand"


def test_a_change_through_one_worker_shows_in_another(make_app, make_user):
    one, other = make_app(), make_app()
    _, key = make_user("editor", is_admin=True)
    writer, reader = Cms(one.test_client(), key), Cms(other.test_client(), key)
    article = writer.article("Before")
    path = f"/v1/articles/{article['hash']}"
    assert reader.get(path).json["title"] == "Before"
    assert reader.get("/v1/articles").json["total"] == 1
    writer.put(path, {"title": "After"})
    writer.article("Another")
    assert reader.get(path).json["title"] == "After"
    assert reader.get("/v1/articles").json["total"] == 2


def test_each_site_root_gets_its_own_urls(cms_reader, site):
    path = f"/v1/articles/{site['first']['hash']}"
    one = cms_reader.get(path, base_url="http://one.example").json["headerImageUrl"]
    two = cms_reader.get(path, base_url="https://two.example").json["headerImageUrl"]
    assert one.startswith("http://one.example/")
    assert two.startswith("https://two.example/")


def test_the_caller_is_checked_on_every_read(app, cms_admin, cms_reader, site):
    assert cms_reader.get("/v1/articles").status_code == 200
    anonymous = app.test_client().get("/v1/articles")
    assert anonymous.status_code == 401
    assert anonymous.json["error"]["code"] == "UNAUTHORIZED"
    key = cms_reader.post("/v1/api-key/generate").json["key"]
    generated = {"Authorization": f"Bearer {key}"}
    client = app.test_client()
    assert client.get("/v1/articles", headers=generated).status_code == 200
    assert cms_reader.post("/v1/api-key/disable").status_code == 200
    assert client.get("/v1/articles", headers=generated).status_code == 401


def test_a_lost_version_row_keeps_nothing_and_never_brings_an_old_answer_back(
    app, cms_reader, site
):
    path = f"/v1/articles/{site['first']['hash']}"
    assert cms_reader.get(path).json["title"] == "First"
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM content_version"))
        connection.execute(
            text("UPDATE articles SET title = 'Changed' WHERE hash = :h"),
            {"h": site["first"]["hash"]},
        )
    # The change wrote the row again, with a version the kept answer was never under.
    assert cms_reader.get(path).json["title"] == "Changed"
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM content_version"))
    with statements(app) as seen:
        assert cms_reader.get(path).json["title"] == "Changed"
    assert reads_articles(seen)  # no version: answered afresh


def test_no_answer_is_kept_with_the_cache_set_to_nothing(make_app, make_user):
    app = make_app(ANSWER_CACHE_MAX_BYTES=0)
    _, key = make_user("editor", is_admin=True)
    cms = Cms(app.test_client(), key)
    cms.article("One")
    cms.get("/v1/articles")
    with statements(app) as seen:
        assert cms.get("/v1/articles").status_code == 200
    assert reads_articles(seen)
    assert len(answers.cache(app)) == 0


def test_the_cache_holds_no_more_than_its_bytes(make_app, make_user):
    app = make_app(ANSWER_CACHE_MAX_BYTES=6000)
    _, key = make_user("editor", is_admin=True)
    cms = Cms(app.test_client(), key)
    hashes = [cms.article(f"A{n}", content="x" * 1000)["hash"] for n in range(10)]
    bodies = [cms.get(f"/v1/articles/{h}").data for h in hashes]
    assert all(len(body) > 1000 for body in bodies)
    assert 1 <= len(answers.cache(app)) <= 4  # each of ~1.5 KB plus its bookkeeping
    # The latest stayed; the first went.
    with statements(app) as seen:
        cms.get(f"/v1/articles/{hashes[-1]}")
    assert not reads_articles(seen)
    with statements(app) as seen:
        cms.get(f"/v1/articles/{hashes[0]}")
    assert reads_articles(seen)


def test_the_kept_answers_take_the_memory_they_count(make_app, make_user):
    limit = 64 * 1024
    app = make_app(ANSWER_CACHE_MAX_BYTES=limit)
    _, key = make_user("editor", is_admin=True)
    cms = Cms(app.test_client(), key)
    hashes = [cms.article(f"A{n}", content="x" * 1000)["hash"] for n in range(40)]
    tracemalloc.start()
    try:
        for h in hashes:
            cms.get(f"/v1/articles/{h}")
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    # What is still held of what the answers were made and kept with.
    made_and_kept = [tracemalloc.Filter(True, module.__file__) for module in (answers, encoding)]
    held = sum(stat.size for stat in snapshot.filter_traces(made_and_kept).statistics("filename"))
    assert len(answers.cache(app)) >= 20  # the cache is full: ~2 KB an answer
    assert held < 1.5 * limit


def test_failures_are_never_kept(app, cms_reader, cms_admin):
    missing = "01hzzzzzzzzzzzzzzzzzzzzzzz"
    assert cms_reader.get(f"/v1/articles/{missing}").status_code == 404
    assert len(answers.cache(app)) == 0


def answer(body: bytes) -> KeptAnswer:
    return KeptAnswer(body, 200, (("Content-Type", "application/json"),))


def test_an_answer_of_an_older_version_is_not_kept_over_a_newer_one():
    cache = AnswerCache()
    cache.put(2, "k", answer(b"new"), 10_000)
    cache.put(1, "k", answer(b"old"), 10_000)  # a slow request, made before the change
    assert cache.get(2, "k").body == b"new"
    assert cache.get(1, "k") is None
    cache.put(3, "j", answer(b"newer"), 10_000)
    assert cache.get(2, "k") is None and len(cache) == 1


def test_the_least_recently_read_answer_goes_first():
    cache = AnswerCache()
    limit = 3 * (600 + 512)
    for key in "abc":
        cache.put(1, key, answer(b"x" * 600), limit)
    assert cache.get(1, "a") is not None  # read: now the most recent
    cache.put(1, "d", answer(b"x" * 600), limit)
    assert cache.get(1, "b") is None
    assert all(cache.get(1, key) is not None for key in "acd")
    cache.put(1, "huge", answer(b"x" * limit), limit)  # larger than the whole cache
    assert cache.get(1, "huge") is None and len(cache) == 3


@pytest.mark.skipif(
    not os.environ.get("PASTECMS_TEST_DATABASE_URI", "").startswith("postgresql"),
    reason="PostgreSQL's row locks (SQLite has one writer at a time)",
)
def test_two_content_writes_at_once_do_not_queue_for_the_version(app, cms_reader, site):
    """Two transactions writing content on two connections: the second neither waits for
    the first (lock_timeout would fail it) nor leaves a kept answer current."""
    path = f"/v1/articles/{site['first']['hash']}"
    assert cms_reader.get(path).json["title"] == "First"
    with app.app_context():
        engine = db.engine
    first = engine.connect()
    others = []
    try:
        first_pid = first.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        first.exec_driver_sql("UPDATE tags SET name = name || '-1' WHERE name = 'py'")
        # Another connection whose slot is not the first one's (16 slots).
        while True:
            second = engine.connect()
            others.append(second)
            if second.exec_driver_sql("SELECT pg_backend_pid()").scalar() % 16 != first_pid % 16:
                break
            second.rollback()
        second.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        second.execute(
            text("UPDATE articles SET title = 'Changed' WHERE hash = :h"),
            {"h": site["first"]["hash"]},
        )
        second.commit()
    finally:
        first.rollback()
        first.close()
        for other in others:
            other.close()
    assert cms_reader.get(path).json["title"] == "Changed"
