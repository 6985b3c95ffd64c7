"""/v1/tags and /v1/categories: names that stay unique, pages, counts, the site's order."""

import pytest

MISSING_ID = "0123456789abcdef"


def test_tags_are_listed_by_name_with_their_article_counts(cms_admin, cms_reader):
    cms_admin.post("/v1/tags", {"name": "zeta"})
    cms_admin.article(tags=["beta", "alpha"], status="published")
    cms_admin.article(tags=["beta"])
    response = cms_reader.get("/v1/tags")
    assert response.status_code == 200
    listed = [(tag["name"], tag["articleCount"]) for tag in response.json["tags"]]
    assert listed == [("alpha", 1), ("beta", 2), ("zeta", 0)]
    assert response.json["pagination"] == {"page": 1, "perPage": 50, "total": 3, "totalPages": 1}


@pytest.mark.parametrize(
    ("query", "per_page", "names"),
    [
        ("perPage=2", 2, ["t0", "t1"]),
        ("perPage=2&page=3", 2, ["t4"]),
        ("perPage=0", 1, ["t0"]),
        ("perPage=-7", 1, ["t0"]),
        ("perPage=900", 200, ["t0", "t1", "t2", "t3", "t4"]),
        ("page=9", 50, []),
    ],
)
def test_tag_pages_clamp_per_page_to_1_through_200(cms_admin, query, per_page, names):
    for n in range(5):
        cms_admin.post("/v1/tags", {"name": f"t{n}"})
    response = cms_admin.get(f"/v1/tags?{query}")
    assert [tag["name"] for tag in response.json["tags"]] == names
    pagination = response.json["pagination"]
    assert pagination["perPage"] == per_page
    assert pagination["total"] == 5
    assert pagination["totalPages"] == -(-5 // per_page)


def test_a_tag_is_created_read_renamed_and_deleted(cms_admin):
    created = cms_admin.post("/v1/tags", {"name": "Python"})
    assert created.status_code == 201
    tag = created.json
    assert set(tag) == {"id", "name", "createdAt", "articleCount"}
    assert cms_admin.get(f"/v1/tags/{tag['id']}").json == tag
    renamed = cms_admin.put(f"/v1/tags/{tag['id']}", {"name": "Py"})
    assert renamed.status_code == 200
    assert renamed.json["name"] == "Py"
    assert cms_admin.delete(f"/v1/tags/{tag['id']}").json == {"success": True}
    assert cms_admin.get(f"/v1/tags/{tag['id']}").status_code == 404


def test_deleting_a_tag_takes_it_off_its_articles(cms_admin):
    article = cms_admin.article(tags=["keep", "drop"])
    drop = next(t for t in cms_admin.get("/v1/tags").json["tags"] if t["name"] == "drop")
    cms_admin.delete(f"/v1/tags/{drop['id']}")
    assert cms_admin.get(f"/v1/articles/{article['hash']}").json["tags"] == ["keep"]
    assert cms_admin.get("/v1/articles?tag=drop").json["total"] == 0


def test_a_renamed_tag_shows_on_its_articles(cms_admin):
    article = cms_admin.article(tags=["old"])
    old = cms_admin.get("/v1/tags").json["tags"][0]
    cms_admin.put(f"/v1/tags/{old['id']}", {"name": "new"})
    assert cms_admin.get(f"/v1/articles/{article['hash']}").json["tags"] == ["new"]
    assert cms_admin.get("/v1/articles?tag=new").json["total"] == 1


@pytest.mark.parametrize(
    ("method", "path", "payload", "failure_name", "status"),
    [
        ("POST", "/v1/tags", {"name": "taken"}, "conflict_failure", 409),
        ("POST", "/v1/tags", {}, "incomplete_params_failure", 400),
        ("POST", "/v1/tags", {"name": "x" * 65}, "invalid_params_failure", 400),
        ("PUT", "/v1/tags/{other}", {"name": "taken"}, "conflict_failure", 409),
        ("PUT", f"/v1/tags/{MISSING_ID}", {"name": "free"}, "nonexistent_tag_failure", 404),
        ("GET", f"/v1/tags/{MISSING_ID}", None, "nonexistent_tag_failure", 404),
        ("DELETE", f"/v1/tags/{MISSING_ID}", None, "nonexistent_tag_failure", 404),
        ("GET", "/v1/tags/NOT-AN-ID", None, "nonexistent_tag_failure", 404),
    ],
)
def test_tag_failures_change_nothing(
    cms_admin, db_rows, method, path, payload, failure_name, status
):
    cms_admin.post("/v1/tags", {"name": "taken"})
    other = cms_admin.post("/v1/tags", {"name": "other"}).json
    before = db_rows()
    response = cms_admin.open(method, path.format(other=other["id"]), payload)
    assert response.status_code == status
    assert response.json["failure_name"] == failure_name
    codes = {400: "VALIDATION_ERROR", 404: "NOT_FOUND", 409: "CONFLICT"}
    assert response.json["error"]["code"] == codes[status]
    assert db_rows() == before


def test_a_tag_differing_only_in_case_is_another_tag(cms_admin):
    cms_admin.post("/v1/tags", {"name": "web"})
    assert cms_admin.post("/v1/tags", {"name": "Web"}).status_code == 201


# -- categories -------------------------------------------------------------------------


def test_a_category_is_created_with_defaults_and_read_back(cms_admin, cms_reader):
    response = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"})
    assert response.status_code == 201
    category = response.json
    assert set(category) == {
        "id",
        "name",
        "slug",
        "color",
        "displayOrder",
        "createdAt",
        "articleCount",
    }
    assert (category["color"], category["displayOrder"], category["articleCount"]) == (
        "#6B7280",
        0,
        0,
    )
    assert cms_reader.get(f"/v1/categories/{category['id']}").json == category


def test_categories_are_listed_in_display_order_with_counts(cms_admin):
    a = cms_admin.post("/v1/categories", {"name": "A", "slug": "a"}).json
    b = cms_admin.post("/v1/categories", {"name": "B", "slug": "b", "color": "#3b82f6"}).json
    c = cms_admin.post("/v1/categories", {"name": "C", "slug": "c", "displayOrder": -1}).json
    cms_admin.article(categoryId=b["id"])
    cms_admin.article(categoryId=b["id"], status="published")
    listed = cms_admin.get("/v1/categories").json
    assert [x["id"] for x in listed["categories"]] == [c["id"], a["id"], b["id"]]
    assert [x["articleCount"] for x in listed["categories"]] == [0, 0, 2]
    assert listed["pagination"]["total"] == 3
    assert b["displayOrder"] == 1  # after the last one


def test_reorder_puts_categories_in_the_order_given(cms_admin):
    ids = [
        cms_admin.post("/v1/categories", {"name": n, "slug": n.lower()}).json["id"]
        for n in ("A", "B", "C", "D")
    ]
    response = cms_admin.patch("/v1/categories/reorder", {"orderedIds": [ids[2], ids[0]]})
    assert response.status_code == 200
    assert response.json == {"success": True}
    listed = cms_admin.get("/v1/categories").json["categories"]
    assert [x["id"] for x in listed] == [ids[2], ids[0], ids[1], ids[3]]
    assert [x["displayOrder"] for x in listed] == [0, 1, 2, 3]


def test_a_category_update_changes_only_the_fields_sent(cms_admin):
    category = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    changed = cms_admin.put(f"/v1/categories/{category['id']}", {"color": "#112233"}).json
    assert changed == {**category, "color": "#112233"}
    article = cms_admin.article(categoryId=category["id"])
    cms_admin.put(f"/v1/categories/{category['id']}", {"name": "Technology", "slug": "t"})
    shown = cms_admin.get(f"/v1/articles/{article['hash']}").json["category"]
    assert (shown["name"], shown["slug"]) == ("Technology", "t")


def test_deleting_a_category_leaves_its_articles_without_one(cms_admin):
    category = cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"}).json
    article = cms_admin.article(categoryId=category["id"])
    assert cms_admin.delete(f"/v1/categories/{category['id']}").json == {"success": True}
    shown = cms_admin.get(f"/v1/articles/{article['hash']}").json
    assert shown["categoryId"] is None and shown["category"] is None
    assert cms_admin.get(f"/v1/categories/{category['id']}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "payload", "failure_name", "status"),
    [
        ("POST", "/v1/categories", {"name": "Tech", "slug": "new"}, "conflict_failure", 409),
        ("POST", "/v1/categories", {"name": "New", "slug": "tech"}, "conflict_failure", 409),
        ("PUT", "/v1/categories/{other}", {"slug": "tech"}, "conflict_failure", 409),
        ("POST", "/v1/categories", {"name": "New"}, "incomplete_params_failure", 400),
        (
            "POST",
            "/v1/categories",
            {"name": "N", "slug": "n", "color": "blue"},
            "invalid_params_failure",
            400,
        ),
        (
            "POST",
            "/v1/categories",
            {"name": "N", "slug": "n", "color": "#12345"},
            "invalid_params_failure",
            400,
        ),
        (
            "POST",
            "/v1/categories",
            {"name": "N", "slug": "a b"},
            "invalid_params_failure",
            400,
        ),
        (
            "PUT",
            f"/v1/categories/{MISSING_ID}",
            {"name": "N"},
            "nonexistent_category_failure",
            404,
        ),
        ("DELETE", f"/v1/categories/{MISSING_ID}", None, "nonexistent_category_failure", 404),
        (
            "PATCH",
            "/v1/categories/reorder",
            {"orderedIds": [MISSING_ID]},
            "invalid_params_failure",
            400,
        ),
        (
            "PATCH",
            "/v1/categories/reorder",
            {"orderedIds": ["{other}", "{other}"]},
            "invalid_params_failure",
            400,
        ),
        ("PATCH", "/v1/categories/reorder", {}, "incomplete_params_failure", 400),
        (
            "PATCH",
            "/v1/categories/reorder",
            {"orderedIds": "x"},
            "invalid_params_failure",
            400,
        ),
    ],
)
def test_category_failures_change_nothing(
    cms_admin, db_rows, method, path, payload, failure_name, status
):
    cms_admin.post("/v1/categories", {"name": "Tech", "slug": "tech"})
    other = cms_admin.post("/v1/categories", {"name": "Other", "slug": "other"}).json
    before = db_rows()
    if payload and "orderedIds" in payload and isinstance(payload["orderedIds"], list):
        payload = {"orderedIds": [i.format(other=other["id"]) for i in payload["orderedIds"]]}
    response = cms_admin.open(method, path.format(other=other["id"]), payload)
    assert response.status_code == status, response.json
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/tags"),
        ("POST", "/v1/categories"),
        ("PATCH", "/v1/categories/reorder"),
    ],
)
def test_only_an_admin_changes_tags_and_categories(cms_reader, db_rows, method, path):
    before = db_rows()
    response = cms_reader.open(method, path, {"name": "N", "slug": "n", "orderedIds": []})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "FORBIDDEN"
    assert db_rows() == before


def test_a_category_at_the_largest_display_order_leaves_room_for_more(cms_admin, admin_pub):
    """The next category goes after the last; at the column's largest value it ties with
    it (and sorts after it by creation) rather than overflowing the column."""
    last = cms_admin.post(
        "/v1/categories", {"name": "Last", "slug": "last", "displayOrder": 2**31 - 1}
    )
    assert last.status_code == 201, last.json
    after = cms_admin.post("/v1/categories", {"name": "After", "slug": "after"})
    assert after.status_code == 201, after.json
    assert after.json["displayOrder"] == 2**31 - 1
    imported = cms_admin.post(
        "/v1/import/markdown", {"content": "---\ntitle: T\ncategories: [Imported]\n---\nBody"}
    )
    assert imported.status_code == 201, imported.json
    post = "---\ntitle: Saved\ncategories: [Saved]\n---\nBody"
    admin_pub.ok(admin_pub.post("save", {"file": "source/_posts/saved.md", "content": post}))
    listed = cms_admin.get("/v1/categories").json["categories"]
    assert [category["name"] for category in listed] == ["Last", "After", "Imported", "Saved"]
