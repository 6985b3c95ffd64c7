"""The console's articles, tags and categories, in-process: every action, who may take
it, and what a refused or bad form leaves unchanged."""

import io
import json
import re
from html.parser import HTMLParser

import pytest

from pastecms.extensions import db
from pastecms.services.content import article as article_service
from pastecms.services.content import taxonomy
from pastecms.services.identity import user as user_service
from tests.test_web_accounts import PASSWORD, sign_in

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


class Console:
    """A browser's session on the web face: pages fetched, forms posted with the token
    the pages carry (as a browser posts them), multipart when a file goes with them."""

    def __init__(self, client):
        self.client = client
        self.token = token_of(client.get("/login").text)

    def get(self, url, data=None, **options):
        return self.client.get(url, **options)

    def post(self, url, data=None, *, token=True, **options):
        form = dict(data or {})
        if token:
            form["csrf_token"] = self.token
        return self.client.post(url, data=form, **options)


@pytest.fixture
def as_user(app, make_user):
    """A `Console` signed in on the web as a new user (an admin with admin=True)."""

    def sign_in_as(username, admin=False):
        make_user(username, is_admin=admin)
        console = Console(app.test_client())
        signed = sign_in(console.client, username, PASSWORD, csrf_token=console.token)
        assert signed.status_code == 303
        # A new session after sign-in: a new token with it.
        console.token = token_of(console.get("/console/").text)
        return console

    return sign_in_as


HASH = re.compile(r"/console/articles/([0-9a-z]{26})")


@pytest.fixture
def admin(as_user):
    return as_user("olivia", admin=True)


@pytest.fixture
def v1(client, make_user):
    """GETs on /v1 with an admin's API key: what the CMS API shows."""
    key = make_user("apiadmin", is_admin=True)[1]

    def get(path, **params):
        response = client.get(
            f"/v1{path}", query_string=params, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200, response.text
        return response

    return get


def write(console, **fields) -> str:
    """Save a new article through the editor; its hash."""
    form = {"title": "A title", "content": "Some *words*.", **fields}
    response = console.post("/console/articles/new", data=form)
    assert response.status_code == 303, response.text
    return HASH.search(response.headers["Location"]).group(1)


def stored(app, author, **fields) -> str:
    """An article stored straight through the service, by the user named `author`."""
    with app.app_context():
        article = article_service.create(
            fields.pop("title", "Stored"),
            fields.pop("content", "text"),
            author_id=user_service.by_username(author).id,
            **fields,
        )
        db.session.commit()
        return article.hash


def failure_in(response) -> str | None:
    """The failure a page names: on a form shown again, or on the error page."""
    found = re.search(r'class="failure-name">\(?(\w+)', response.text)
    return found.group(1) if found else None


class Rendered(HTMLParser):
    """The elements and attributes of an HTML fragment, as a browser would build them."""

    def __init__(self, html: str):
        super().__init__()
        self.tags, self.attributes = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)


# -- who may open what -------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/console/articles"),
        ("get", "/console/articles/new"),
        ("get", "/console/taxonomy"),
        ("get", "/console/articles/export"),
        ("post", "/console/articles/new"),
        ("post", "/console/taxonomy/tags"),
    ],
)
def test_a_visitor_is_sent_to_sign_in(client, method, url):
    visitor = Console(client)  # a session, and its token, from the sign-in page
    response = getattr(visitor, method)(url, data={"title": "t", "content": "c", "name": "n"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


def test_the_sections_show_by_rights(admin, as_user):
    nav = admin.get("/console/").text
    assert 'href="/console/articles"' in nav and 'href="/console/taxonomy"' in nav
    walter = as_user("walter")
    nav = walter.get("/console/").text
    assert 'href="/console/articles"' in nav
    assert 'href="/console/taxonomy"' not in nav


def test_a_user_who_is_not_an_admin_sees_only_their_own_articles(app, admin, as_user):
    walter = as_user("walter")
    mine = stored(app, "walter", title="Walter's draft")
    stored(app, "olivia", title="Olivia's draft")
    stored(app, "olivia", title="Olivia's post", status="published")

    listed = walter.get("/console/articles")
    assert listed.status_code == 200
    assert "Walter&#39;s draft" in listed.text
    assert "Olivia" not in listed.text
    # No write controls: no new article, no import, no editor.
    assert "/console/articles/new" not in listed.text
    assert "/console/articles/import" not in listed.text
    own = walter.get(f"/console/articles/{mine}")
    assert own.status_code == 200
    assert 'method="post"' not in own.text.split('<section class="console-page">')[1]
    assert f"/console/articles/{mine}/export" in own.text
    # The admin sees every article.
    everything = admin.get("/console/articles").text
    assert "Walter&#39;s draft" in everything and "Olivia&#39;s draft" in everything


def test_another_users_draft_does_not_exist_for_a_user(app, admin, as_user):
    walter = as_user("walter")
    draft = stored(app, "olivia", title="Secret plans")
    response = walter.get(f"/console/articles/{draft}")
    assert response.status_code == 404
    assert "nonexistent_article_failure" in response.text
    assert "Secret plans" not in response.text
    assert walter.get(f"/console/articles/{draft}/export").status_code == 404


def test_a_user_who_is_not_an_admin_can_write_nothing(app, as_user, db_rows):
    walter = as_user("walter")
    mine = stored(app, "walter", title="Walter's draft")
    with app.app_context():
        category = taxonomy.create_category("News", "news")
        tag = taxonomy.create_tag("python")
        db.session.commit()
        category_id, tag_id = category.id, tag.id
    before = db_rows()
    attempts = [
        ("/console/articles/new", {"title": "t", "content": "c"}),
        (f"/console/articles/{mine}", {"title": "t", "content": "c"}),
        (f"/console/articles/{mine}/publish", {}),
        (f"/console/articles/{mine}/unpublish", {}),
        (f"/console/articles/{mine}/delete", {}),
        ("/console/taxonomy/tags", {"name": "x"}),
        (f"/console/taxonomy/tags/{tag_id}", {"name": "x"}),
        (f"/console/taxonomy/tags/{tag_id}/delete", {}),
        ("/console/taxonomy/categories", {"name": "x", "slug": "x"}),
        (f"/console/taxonomy/categories/{category_id}", {"name": "x", "slug": "x"}),
        (f"/console/taxonomy/categories/{category_id}/move", {"direction": "up"}),
        (f"/console/taxonomy/categories/{category_id}/delete", {}),
    ]
    for url, form in attempts:
        response = walter.post(url, data=form)
        assert response.status_code == 403, url
        assert "forbidden_failure" in response.text, url
    imported = walter.post(
        "/console/articles/import",
        data={"file": (io.BytesIO(b"---\ntitle: t\n---\nc\n"), "a.md")},
    )
    assert imported.status_code == 403
    for url in ("/console/articles/new", "/console/taxonomy", f"/console/articles/{mine}/delete"):
        assert walter.get(url).status_code == 403, url
    assert db_rows() == before


# -- the editor --------------------------------------------------------------------------


def test_an_article_written_in_the_editor_is_the_one_v1_serves(app, admin, v1):
    with app.app_context():
        category_id = taxonomy.create_category("News", "news").id
        db.session.commit()
    article_hash = write(
        admin,
        title="Release notes",
        slug="release-notes",
        description="What changed.",
        content="# New\r\n\r\nThings.",
        tags="release, news,  , release",
        category_id=category_id,
    )
    shown = v1(f"/articles/{article_hash}").json
    assert shown["title"] == "Release notes"
    assert shown["description"] == "What changed."
    assert shown["content"] == "# New\n\nThings."  # the browser's CRLF stored as LF
    assert shown["tags"] == ["release", "news"]
    assert shown["categoryId"] == category_id
    assert shown["status"] == "draft" and shown["publishedAt"] is None
    with app.app_context():
        assert article_service.get_by_slug("release-notes").hash == article_hash

    page = admin.get(f"/console/articles/{article_hash}").text
    assert 'value="Release notes"' in page and 'value="release, news"' in page
    assert f'<option value="{category_id}" selected>' in page

    saved = admin.post(
        f"/console/articles/{article_hash}",
        data={"title": "Release notes 2", "content": "Changed.", "tags": "", "status": "published"},
    )
    assert saved.status_code == 303
    shown = v1(f"/articles/{article_hash}").json
    assert shown["title"] == "Release notes 2" and shown["tags"] == []
    assert shown["categoryId"] is None and shown["status"] == "published"
    assert shown["publishedAt"] is not None


def test_publish_stamps_the_date_and_unpublish_keeps_it(admin, v1):
    article_hash = write(admin)
    assert admin.post(f"/console/articles/{article_hash}/publish").status_code == 303
    published = v1(f"/articles/{article_hash}").json
    assert published["status"] == "published" and published["publishedAt"]
    page = admin.get(f"/console/articles/{article_hash}").text
    assert "Published “A title”." in page and "Unpublish" in page

    assert admin.post(f"/console/articles/{article_hash}/unpublish").status_code == 303
    draft = v1(f"/articles/{article_hash}").json
    assert draft["status"] == "draft"
    assert draft["publishedAt"] == published["publishedAt"]


def test_delete_asks_first_then_deletes(admin, client, make_user):
    article_hash = write(admin, title="Doomed")
    question = admin.get(f"/console/articles/{article_hash}/delete")
    assert question.status_code == 200
    assert "Doomed" in question.text and "Delete the article" in question.text
    assert admin.get(f"/console/articles/{article_hash}").status_code == 200  # still there

    deleted = admin.post(f"/console/articles/{article_hash}/delete")
    assert deleted.status_code == 303 and deleted.headers["Location"] == "/console/articles"
    assert "has been deleted" in admin.get("/console/articles").text
    assert admin.get(f"/console/articles/{article_hash}").status_code == 404


def test_the_preview_is_rendered_sanitised_and_stores_nothing(admin, db_rows):
    before = db_rows()
    hostile = (
        "# Heading\n\n**bold** <script>alert('x')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n[click](javascript:alert(1))\n\n'
        '<a href="javascript:alert(2)">raw</a> <style>body{}</style>'
    )
    page = admin.post(
        "/console/articles/new", data={"action": "preview", "title": "", "content": hostile}
    )
    assert page.status_code == 200
    preview = page.text.split('<div class="rendered">')[1].split("</section>")[0]
    assert "<h1>Heading</h1>" in preview and "<strong>bold</strong>" in preview
    rendered = Rendered(page.text)
    assert not {"script", "style", "img", "iframe"} & set(rendered.tags)
    for name, value in rendered.attributes:
        assert not name.startswith("on"), name
        assert not (value or "").lower().startswith("javascript"), value
    assert db_rows() == before


def test_a_user_sees_their_article_rendered_sanitised(app, as_user):
    walter = as_user("walter")
    mine = stored(app, "walter", content="*hi* <script>alert(1)</script>")
    page = walter.get(f"/console/articles/{mine}").text
    assert "<em>hi</em>" in page and "<script" not in page


def test_an_uploaded_image_is_stored_and_inserted_as_markdown(admin, v1):
    article_hash = write(admin, content="Before.")
    article_id = v1(f"/articles/{article_hash}").json["id"]
    page = admin.post(
        f"/console/articles/{article_hash}",
        data={
            "action": "upload",
            "title": "Typed, not saved",
            "content": "Before, edited.",
            "image": (io.BytesIO(PNG), "tiny pixel.png"),
        },
    )
    assert page.status_code == 200
    images = v1(f"/images/article/{article_id}").json["images"]
    assert len(images) == 1
    line = f"![tiny pixel]({images[0]['url']})"
    assert f"Before, edited.\n\n{line}\n</textarea>" in page.text
    assert 'value="Typed, not saved"' in page.text
    # Nothing else was saved: the article is as it was until Save.
    assert v1(f"/articles/{article_hash}").json["content"] == "Before."
    assert v1(f"/images/{images[0]['id']}").json["mimeType"] == "image/png"


def test_an_image_for_a_new_article_is_stored_unattached(admin, v1):
    page = admin.post(
        "/console/articles/new",
        data={
            "action": "upload",
            "content": "",
            "image": (io.BytesIO(PNG), "a.png"),
            "alt_text": "A dot",
        },
    )
    assert page.status_code == 200
    image = v1("/images").json["images"][0]
    assert image["articleId"] is None and image["altText"] == "A dot"
    assert f"![A dot]({image['url']})" in page.text


def test_import_and_export_are_the_v1_ones(admin, v1):
    hexo = (
        "---\ntitle: Hello Hexo\ndate: 2024-01-15 10:00:00\ntags: [hexo, notes]\n"
        "categories: Diary\npublished: true\n---\nImported *text*.\n"
    )
    imported = admin.post(
        "/console/articles/import", data={"file": (io.BytesIO(hexo.encode()), "hello.md")}
    )
    assert imported.status_code == 303
    article_hash = HASH.search(imported.headers["Location"]).group(1)
    shown = v1(f"/articles/{article_hash}").json
    assert shown["title"] == "Hello Hexo" and shown["tags"] == ["hexo", "notes"]
    assert shown["category"]["name"] == "Diary" and shown["status"] == "published"
    assert shown["publishedAt"] == "2024-01-15T10:00:00.000Z"

    one = admin.get(f"/console/articles/{article_hash}/export")
    assert one.status_code == 200 and one.mimetype == "text/markdown"
    assert "attachment" in one.headers["Content-Disposition"]
    assert one.data == v1(f"/export/{article_hash}").data
    every = admin.get("/console/articles/export")
    assert "attachment" in every.headers["Content-Disposition"]
    assert json.loads(every.data) == v1("/export").json

    again = admin.post(
        "/console/articles/import", data={"file": (io.BytesIO(one.data), "again.md")}
    )
    assert again.status_code == 409 and "conflict_failure" in again.text


# -- the list ----------------------------------------------------------------------------


def test_the_list_shows_and_filters_by_status_tag_category_and_text(app, admin):
    with app.app_context():
        news = taxonomy.create_category("News", "news").id
        db.session.commit()
    write(admin, title="Alpha release", tags="python", category_id=news, status="published")
    write(admin, title="Beta draft", tags="rust", content="about Gamma things")
    listed = admin.get("/console/articles").text
    assert "2 articles" in listed
    assert "status-published" in listed and "status-draft" in listed
    assert ">python</a>" in listed and ">News</a>" in listed and "<time" in listed

    def titles(**query):
        page = admin.get("/console/articles", query_string=query).text
        return sorted(re.findall(r'/console/articles/[0-9a-z]{26}">([^<]+)</a>', page))

    assert titles(status="draft") == ["Beta draft"]
    assert titles(status="published") == ["Alpha release"]
    assert titles(tag="rust") == ["Beta draft"]
    assert titles(category="news") == ["Alpha release"]
    assert titles(q="gamma") == ["Beta draft"]
    assert titles(q="ALPHA", status="published") == ["Alpha release"]
    assert titles(tag="nope") == []
    assert titles(status="", tag="", category="", q="") == ["Alpha release", "Beta draft"]


def test_the_list_pages_and_keeps_its_filters(app, admin):
    for number in range(23):
        stored(app, "olivia", title=f"Post {number:02}", tags=["many"])
    first = admin.get("/console/articles?tag=many").text
    assert first.count("Post ") == 20 and "23 articles" in first
    assert 'href="/console/articles?page=2&amp;tag=many"' in first
    second = admin.get("/console/articles?tag=many&page=2").text
    assert second.count("Post ") == 3
    assert 'rel="prev"' in second and 'rel="next"' not in second


# -- tags and categories -----------------------------------------------------------------


def test_tags_are_created_renamed_and_deleted(admin, v1):
    assert admin.post("/console/taxonomy/tags", data={"name": "pyhton"}).status_code == 303
    tag = v1("/tags").json["tags"][0]
    assert tag["name"] == "pyhton"
    assert "pyhton" in admin.get("/console/taxonomy").text
    renamed = admin.post(f"/console/taxonomy/tags/{tag['id']}", data={"name": "python"})
    assert renamed.status_code == 303
    assert v1("/tags").json["tags"][0]["name"] == "python"
    assert admin.post(f"/console/taxonomy/tags/{tag['id']}/delete").status_code == 303
    assert v1("/tags").json["tags"] == []


def test_categories_are_created_edited_reordered_and_deleted(admin, v1):
    for name in ("One", "Two", "Three"):
        form = {"name": name, "slug": name.lower(), "color": "#112233"}
        assert admin.post("/console/taxonomy/categories", data=form).status_code == 303

    def order():
        return [c["name"] for c in v1("/categories").json["categories"]]

    assert order() == ["One", "Two", "Three"]
    ids = {c["name"]: c["id"] for c in v1("/categories").json["categories"]}
    moved = admin.post(
        f"/console/taxonomy/categories/{ids['Three']}/move", data={"direction": "up"}
    )
    assert moved.status_code == 303
    assert order() == ["One", "Three", "Two"]
    admin.post(f"/console/taxonomy/categories/{ids['One']}/move", data={"direction": "down"})
    assert order() == ["Three", "One", "Two"]
    admin.post(f"/console/taxonomy/categories/{ids['Three']}/move", data={"direction": "up"})
    assert order() == ["Three", "One", "Two"]  # already first
    assert [c["displayOrder"] for c in v1("/categories").json["categories"]] == [0, 1, 2]

    edited = admin.post(
        f"/console/taxonomy/categories/{ids['Two']}",
        data={"name": "Deux", "slug": "deux", "color": "#abcdef", "display_order": "-1"},
    )
    assert edited.status_code == 303
    first = v1("/categories").json["categories"][0]
    assert (first["name"], first["slug"], first["color"]) == ("Deux", "deux", "#abcdef")
    kept = admin.post(
        f"/console/taxonomy/categories/{ids['One']}",
        data={"name": "Un", "slug": "one", "color": "#112233", "display_order": ""},
    )
    assert kept.status_code == 303
    assert order() == ["Deux", "Three", "Un"]

    assert admin.post(f"/console/taxonomy/categories/{ids['Two']}/delete").status_code == 303
    assert order() == ["Three", "Un"]


# -- refusals ----------------------------------------------------------------------------


@pytest.fixture
def seeded(app, admin):
    """An article, a tag and a category to aim bad forms at."""
    article_hash = write(admin, slug="taken")
    with app.app_context():
        tag = taxonomy.create_tag("taken")
        category = taxonomy.create_category("Taken", "taken")
        db.session.commit()
        return {"hash": article_hash, "tag": tag.id, "category": category.id}


BAD_FORMS = [
    ("/console/articles/new", {"title": " ", "content": "c"}, "incomplete_params_failure", 400),
    ("/console/articles/new", {"title": "t", "content": ""}, "incomplete_params_failure", 400),
    (
        "/console/articles/new",
        {"title": "t", "content": "c", "slug": "a b"},
        "invalid_params_failure",
        400,
    ),
    (
        "/console/articles/new",
        {"title": "t", "content": "c", "slug": "taken"},
        "conflict_failure",
        409,
    ),
    (
        "/console/articles/new",
        {"title": "t", "content": "c", "status": "gone"},
        "invalid_params_failure",
        400,
    ),
    (
        "/console/articles/new",
        {"title": "t", "content": "c", "category_id": "0123456789abcdef"},
        "invalid_params_failure",
        400,
    ),
    (
        "/console/articles/new",
        {"title": "t", "content": "c", "tags": "x" * 65},
        "invalid_params_failure",
        400,
    ),
    ("/console/articles/new", {"title": "t" * 256, "content": "c"}, "invalid_params_failure", 400),
    ("/console/articles/new", {"action": "upload", "content": "c"}, "invalid_params_failure", 400),
    (
        "/console/articles/new",
        {"action": "upload", "image": (io.BytesIO(b"not an image"), "x.png")},
        "invalid_params_failure",
        400,
    ),
    ("/console/articles/new", {"action": "publish"}, "invalid_params_failure", 400),
    ("/console/articles/{hash}", {"title": "", "content": "c"}, "incomplete_params_failure", 400),
    (
        "/console/articles/import",
        {"file": (io.BytesIO(b"no front matter"), "a.md")},
        "incomplete_params_failure",
        400,
    ),
    (
        "/console/articles/import",
        {"file": (io.BytesIO(b"\xff\xfe\x00"), "a.md")},
        "invalid_params_failure",
        400,
    ),
    ("/console/articles/import", {}, "incomplete_params_failure", 400),
    ("/console/taxonomy/tags", {"name": "taken"}, "conflict_failure", 409),
    ("/console/taxonomy/tags", {"name": ""}, "incomplete_params_failure", 400),
    ("/console/taxonomy/tags/{tag}", {"name": "x" * 65}, "invalid_params_failure", 400),
    ("/console/taxonomy/tags/0123456789abcdef", {"name": "x"}, "nonexistent_tag_failure", 404),
    ("/console/taxonomy/categories", {"name": "New", "slug": "taken"}, "conflict_failure", 409),
    ("/console/taxonomy/categories", {"name": "New", "slug": "a/b"}, "invalid_params_failure", 400),
    (
        "/console/taxonomy/categories",
        {"name": "New", "slug": "new", "color": "red"},
        "invalid_params_failure",
        400,
    ),
    (
        "/console/taxonomy/categories/{category}",
        {"name": "", "slug": "s"},
        "incomplete_params_failure",
        400,
    ),
    (
        "/console/taxonomy/categories/{category}",
        {"name": "n", "slug": "s", "display_order": "first"},
        "invalid_params_failure",
        400,
    ),
    (
        "/console/taxonomy/categories/{category}/move",
        {"direction": "sideways"},
        "invalid_params_failure",
        400,
    ),
    (
        "/console/taxonomy/categories/0123456789abcdef/delete",
        {},
        "nonexistent_category_failure",
        404,
    ),
    (
        "/console/articles/01arz3ndektsv4rrffq69g5fav/publish",
        {},
        "nonexistent_article_failure",
        404,
    ),
    ("/console/articles/not-a-hash/delete", {}, "nonexistent_article_failure", 404),
]


@pytest.mark.parametrize("url, form, failure_name, status", BAD_FORMS)
def test_a_bad_form_is_named_and_changes_nothing(
    admin, seeded, db_rows, url, form, failure_name, status
):
    before = db_rows()
    response = admin.post(url.format(**seeded), data=form)
    assert response.status_code == status, response.text
    assert failure_in(response) == failure_name
    assert db_rows() == before


def test_a_refused_editor_keeps_what_was_typed(admin):
    page = admin.post(
        "/console/articles/new",
        data={"title": "Kept", "content": "Typed words", "slug": "bad slug", "tags": "a, b"},
    )
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "slug" in page.text
    assert 'value="Kept"' in page.text and "Typed words</textarea>" in page.text
    assert 'value="a, b"' in page.text


def test_a_form_without_its_csrf_token_is_refused(admin, seeded, db_rows):
    before = db_rows()
    for url, form in [
        ("/console/articles/new", {"title": "t", "content": "c"}),
        (f"/console/articles/{seeded['hash']}/delete", {}),
        (f"/console/articles/{seeded['hash']}/publish", {}),
        ("/console/taxonomy/tags", {"name": "new"}),
        (f"/console/taxonomy/categories/{seeded['category']}/delete", {}),
    ]:
        response = admin.post(url, data=form, token=False)
        assert response.status_code == 400, url
        assert "csrf_failure" in response.text, url
        forged = admin.post(url, data={**form, "csrf_token": "forged"}, token=False)
        assert forged.status_code == 400, url
    assert db_rows() == before


def test_tags_are_listed_a_hundred_a_page(app, admin):
    with app.app_context():
        for number in range(101):
            taxonomy.create_tag(f"tag-{number:03}")
        db.session.commit()
    first = admin.get("/console/taxonomy").text
    assert "tag-099" in first and "tag-100" not in first and "101 tags" in first
    second = admin.get("/console/taxonomy?page=2").text
    assert "tag-100" in second and "tag-099" not in second and 'rel="prev"' in second
