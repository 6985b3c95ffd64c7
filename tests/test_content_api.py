"""The content read API (seed 004): /api/content/get/<id> and /api/content/list/article,
behind an access token, over the site's articles. The clock is moved, never waited for."""

from datetime import UTC, datetime, timedelta

import pytest

from pastecms.extensions import db
from pastecms.services.content import article as article_service
from pastecms.services.identity import user as user_service
from tests.conftest import statements

LOGIN = "/api/auth/auth"
RENEW = "/api/auth/token/access/renew"
GET = "/api/content/get/"
LIST = "/api/content/list/article"
PASSWORD = "correct horse"
DAY = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def people(app, make_user):
    """Ids and API keys of an admin (the site's editor), alice and bob."""
    found = {}
    for name, admin in (("editor", True), ("alice", False), ("bob", False)):
        _, key = make_user(name, PASSWORD, is_admin=admin)
        with app.app_context():
            found[name] = (user_service.by_username(name).id, key)
    return found


@pytest.fixture
def write(app):
    """Store an article directly through the service; returns its id, hash and title."""

    def make(title="Hello", *, author=None, status="published", day=0, **fields):
        stamp = DAY + timedelta(days=day)
        with app.app_context():
            article = article_service.create(
                title,
                fields.pop("content", f"Body of {title}"),
                author_id=author,
                status=status,
                published_at=stamp if status == "published" else None,
                created_at=stamp,
                updated_at=fields.pop("updated_at", stamp),
                **fields,
            )
            db.session.commit()
            return {"id": article.id, "hash": article.hash, "title": article.title}

    return make


def token_of(client, username) -> str:
    response = client.post(LOGIN, json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json["data"]["access_token"]


class Reader:
    """Calls the content API as a logged-in user, with the Bearer access token."""

    def __init__(self, client, username):
        self.client = client
        self.token = token_of(client, username)

    def get(self, path, **query):
        return self.client.get(
            path, query_string=query, headers={"Authorization": f"Bearer {self.token}"}
        )

    def titles(self, **query) -> list[str]:
        response = self.get(LIST, **query)
        assert response.status_code == 200, response.json
        return [item["title"] for item in response.json["data"]["list"]]


@pytest.fixture
def alice(client, people):
    return Reader(client, "alice")


@pytest.fixture
def editor(client, people):
    return Reader(client, "editor")


def assert_failure(response, failure_name, status, code="10001"):
    assert response.status_code == status, response.json
    body = response.json
    assert body["error"] is True and body["failure_name"] == failure_name
    assert body["data"]["code"] == code and body["data"]["message"]
    return body["data"]


# -- one article ------------------------------------------------------------------------


def test_get_answers_the_article_as_content(app, alice, people, write):
    editor_id = people["editor"][0]
    made = write(
        "Hello",
        author=editor_id,
        description="A summary",
        content="# Hi",
        slug="hello",
        tags=["a", "b"],
        updated_at=DAY + timedelta(hours=1, milliseconds=500),
    )

    response = alice.get(GET + made["id"])

    assert response.status_code == 200, response.json
    assert response.json == {
        "error": False,
        "data": {
            "metadata": {
                "contenttype": "article",
                "name": "Hello",
                "version": 0,
                "published": "2024-03-01T12:00:00Z",
                "modified": "2024-03-01T13:00:00.5Z",
                "cuid": made["hash"],
                "author": editor_id,
                "author_name": "editor",
                "status": "published",
            },
            "id": made["id"],
            "title": "Hello",
            "summary": "A summary",
            "body": "# Hi",
            "tags": ["a", "b"],
            "location": {
                "id": made["id"],
                "parent_id": None,
                "main_id": made["id"],
                "identifier_path": "content/hello",
            },
        },
    }


def test_get_takes_the_hash_in_any_case_as_well_as_the_id(alice, write):
    made = write()
    for reference in (made["hash"], made["hash"].upper()):
        response = alice.get(GET + reference)
        assert response.status_code == 200, response.json
        assert response.json["data"]["id"] == made["id"]


@pytest.mark.parametrize(
    "reference",
    [
        "0123456789abcdef",  # well formed, names nothing
        "01hq3vq6m8x7k2c9g4n5p8r2sz",  # a ULID that names nothing
        "3",  # the original's numeric ids
        "464",
        "garbage",
        "0123456789ABCDEF",  # ids are lowercase
        "x" * 500,
        "%00",
    ],
)
def test_an_unknown_or_garbage_id_is_404_in_the_envelope(alice, write, reference):
    write()
    assert_failure(alice.get(GET + reference), "nonexistent_article_failure", 404)


def test_a_draft_is_read_by_its_author_and_admins_only(alice, editor, client, people, write):
    mine = write("Mine", author=people["alice"][0], status="draft")
    theirs = write("Theirs", author=people["bob"][0], status="draft")

    assert alice.get(GET + mine["id"]).status_code == 200
    assert_failure(alice.get(GET + theirs["id"]), "nonexistent_article_failure", 404)
    assert editor.get(GET + theirs["id"]).status_code == 200
    assert alice.get(GET + mine["id"]).json["data"]["metadata"]["published"] is None


# -- credentials --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [GET + "0123456789abcdef", LIST])
def test_without_a_token_it_is_401(client, people, path):
    assert_failure(client.get(path), "auth_failure", 401)


@pytest.mark.parametrize("path", [GET + "0123456789abcdef", LIST])
def test_a_token_that_does_not_verify_is_401(client, people, path):
    headers = {"Authorization": "Bearer a.b.c"}
    assert_failure(client.get(path, headers=headers), "auth_failure", 401)


@pytest.mark.parametrize("suffix", ["get/{id}", "list/article"])
def test_an_expired_token_is_440_and_a_renewed_one_works(
    app, client, people, write, token_clock, suffix
):
    made = write()
    login = client.post(LOGIN, json={"username": "alice", "password": PASSWORD}).json["data"]
    token_clock.advance(app.config["JWT_ACCESS_EXPIRES"] + 1)
    path = "/api/content/" + suffix.format(id=made["id"])

    expired = client.get(path, headers={"Authorization": f"Bearer {login['access_token']}"})
    assert_failure(expired, "token_expired_failure", 440)

    fresh = client.get(RENEW, query_string={"token": login["refresh_token"]}).json["data"]
    retried = client.get(path, headers={"Authorization": f"Bearer {fresh}"})
    assert retried.status_code == 200, retried.json


def test_an_api_key_is_accepted_as_well(client, people, write):
    made = write()
    headers = {"Authorization": f"Bearer {people['alice'][1]}"}
    assert client.get(GET + made["id"], headers=headers).status_code == 200


# -- the list -----------------------------------------------------------------------------


def test_the_list_pages_with_limit_and_offset_and_counts_every_match(alice, write):
    for n in range(12):
        write(f"A{n:02}", day=n)

    first = alice.get(LIST)
    assert first.status_code == 200
    data = first.json["data"]
    assert data["count"] == 12
    # Ten by default, newest publication first.
    assert [item["title"] for item in data["list"]] == [f"A{n:02}" for n in range(11, 1, -1)]
    assert alice.titles(limit=5, offset=10) == ["A01", "A00"]
    assert alice.titles(limit=3, offset=3) == ["A08", "A07", "A06"]
    assert alice.titles(offset=12) == []
    assert alice.get(LIST, offset=12).json["data"]["count"] == 12


def test_limit_is_capped_at_max_page_size(make_app, people, write):
    app = make_app(MAX_PAGE_SIZE=3)
    for n in range(5):
        write(f"A{n}", day=n)
    reader = Reader(app.test_client(), "alice")
    assert reader.titles(limit=1000) == ["A4", "A3", "A2"]


@pytest.mark.parametrize(
    ("sortby", "expected"),
    [
        ("published desc", ["C", "B", "A"]),
        ("published asc", ["A", "B", "C"]),
        ("published", ["A", "B", "C"]),
        ("title desc", ["C", "B", "A"]),
        ("name asc", ["A", "B", "C"]),
        ("modified desc;title asc", ["B", "A", "C"]),
        (" modified  DESC ; title desc ;", ["B", "A", "C"]),
        ("created desc", ["C", "B", "A"]),
    ],
)
def test_sortby_orders_the_list(alice, write, sortby, expected):
    late = DAY + timedelta(days=30)
    write("A", day=0, updated_at=late)
    write("B", day=1, updated_at=late + timedelta(seconds=1))
    write("C", day=2)
    assert alice.titles(sortby=sortby) == expected


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"sortby": "priority desc"}, "20001", "sortby"),
        ({"sortby": "title sideways"}, "20001", "sortby"),
        ({"sortby": "title desc extra"}, "20001", "sortby"),
        ({"sortby": "title; drop table articles"}, "20001", "sortby"),
        ({"sortby": "body"}, "20001", "sortby"),
        ({"sortby": ";"}, "20001", "sortby"),
        ({"sortby": "x" * 300}, "20001", "sortby"),
        ({"sortby": "published;modified;created;name;title;id"}, "20001", "sortby"),
        ({"limit": "0"}, "20001", "limit"),
        ({"limit": "ten"}, "20001", "limit"),
        ({"offset": "-1"}, "20001", "offset"),
        ({"offset": str(10**9)}, "20001", "offset"),
        ({"author": "bob"}, "20001", "author"),
        ({"field.colour": "red"}, "20001", "field.colour"),
        ({"field.title": ""}, "20001", "field.title"),
        ({"field.title": "contain:"}, "20001", "field.title"),
    ],
)
def test_a_bad_list_parameter_is_a_validation_error_naming_it(alice, query, code, field):
    response = alice.get(LIST, **query)
    # A value with nothing in it is missing, as everywhere: "incomplete".
    blank = {"", ";", "contain:"} & set(query.values())
    name = "incomplete_params_failure" if blank else "invalid_params_failure"
    detail = assert_failure(response, name, 400, code=code)["detail"]
    assert field in detail["fields"], detail
    assert detail["message"]


def test_field_filters_match_exactly_or_contain_in_any_case(alice, write):
    write("Hello World", description="first", content="alpha 100% beta")
    write("hello there", description="second", content="gamma_delta")
    write("Goodbye", description="first", content="alpha")

    assert alice.titles(**{"field.title": "Goodbye"}) == ["Goodbye"]
    assert alice.titles(**{"field.title": "hello"}) == []
    assert sorted(alice.titles(**{"field.title": "contain:HELLO"})) == [
        "Hello World",
        "hello there",
    ]
    assert sorted(alice.titles(**{"field.summary": "first"})) == ["Goodbye", "Hello World"]
    assert alice.titles(**{"field.body": "contain:100%"}) == ["Hello World"]
    # % and _ are literal characters, not wildcards.
    assert alice.titles(**{"field.body": "contain:a%b"}) == []
    assert alice.titles(**{"field.body": "contain:a_d"}) == ["hello there"]
    both = alice.get(LIST, **{"field.summary": "first", "field.body": "contain:ALPHA 1"})
    assert both.json["data"]["count"] == 1
    assert [item["title"] for item in both.json["data"]["list"]] == ["Hello World"]


def test_author_self_lists_the_callers_own_articles_drafts_included(alice, people, write):
    write("Mine", author=people["alice"][0], day=1)
    write("My draft", author=people["alice"][0], status="draft")
    write("Bob's", author=people["bob"][0], day=2)
    write("Bob's draft", author=people["bob"][0], status="draft")

    assert alice.titles(author="self") == ["Mine", "My draft"]
    assert alice.get(LIST, author="self").json["data"]["count"] == 2
    # Without the filter: everything published, and her own draft; never Bob's draft.
    everything = alice.get(LIST).json["data"]
    assert [item["title"] for item in everything["list"]] == ["Bob's", "Mine", "My draft"]
    assert everything["count"] == 3


def test_an_admin_lists_every_article(editor, people, write):
    write("Published", day=1)
    write("Bob's draft", author=people["bob"][0], status="draft")
    assert editor.titles() == ["Published", "Bob's draft"]
    assert editor.get(LIST).json["data"]["count"] == 2


@pytest.mark.parametrize("kind", ["page", "foo", "folder", "article/extra"])
def test_an_unknown_content_type_is_404_in_the_envelope(alice, kind):
    assert_failure(alice.get("/api/content/list/" + kind), "not_found_failure", 404)


def test_the_list_costs_the_same_queries_for_many_articles(app, alice, people, write):
    def list_statements() -> int:
        with statements(app) as seen:
            response = alice.get(LIST, limit=50, **{"field.title": "contain:a"})
        assert response.status_code == 200
        return len(seen)

    for n in range(3):
        write(f"a{n}", author=people["bob"][0], day=n, tags=["t"])
    few = list_statements()
    for n in range(3, 30):
        write(f"a{n}", author=people["alice"][0], day=n, tags=["t"])
    assert list_statements() == few


@pytest.mark.parametrize("reference", ["nope", "0123456789abcdef", "01hzzzzzzzzzzzzzzzzzzzzzzz"])
def test_without_credentials_a_read_by_id_is_401_whatever_the_id(client, reference):
    """As the README says: no credential is 401, before the id is looked at (a malformed
    id was a 404 first)."""
    response = client.get(f"/api/content/get/{reference}")
    assert response.status_code == 401
    assert response.json["failure_name"] == "auth_failure"
