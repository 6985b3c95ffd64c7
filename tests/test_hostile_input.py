"""Hostile input on every API route of every face: a named failure in that face's
envelope, and the database exactly as it was.

The table is routes x cases. The routes are every @endpoint of an API face, from the URL
map; each case is sent where that route reads its input (a JSON body, a query string,
a form), so a new face or route is covered the day it is registered. Every malformed
body, every field null / of the wrong type / empty / huge / unstorable, a body over the
size limit, a wrong Content-Type and every wrong verb. Requests are anonymous, so
nothing may pass on the strength of a credential; the database is seeded first
(`SEEDERS`), so "nothing changed" is a real comparison (views included).

A face that answers failures with HTTP 200 (Qexo's widgets read only the body) is held
to its own status: the one its envelope gives the failure.
"""

import io
import json
import re
import urllib.parse

import pytest
from marshmallow import fields
from werkzeug.exceptions import HTTPException

from config import TestConfig
from pastecms import config, create_app, ratelimit
from pastecms.api import OPTIONAL, envelope_for
from pastecms.errors import CATALOGUE
from pastecms.extensions import db
from pastecms.queries import answers
from pastecms.schemas.fields import Integer, PasteId, Text, UnixTime
from pastecms.services.content import webhook

# -- the routes, from the URL map of an app built for collection only -------------------

WRITE_VERBS = {"POST", "PUT", "PATCH", "DELETE"}
ALL_VERBS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_PATH_ARG = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def _routes():
    app = create_app(
        TestConfig, {"DATABASE_URI": "sqlite://", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint)):
        view = app.view_functions[rule.endpoint]
        envelope = getattr(view, "envelope", None)
        if envelope is None or not envelope.in_openapi:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            location = view.location or envelope.input_location(method)
            if method in ("GET", "DELETE") and location in ("json", "params", "params_any_json"):
                location = "query"  # no client sends a body with these
            found.append((rule.rule, rule.endpoint, method, location))
    needs_caller = {
        endpoint for _, endpoint, _, _ in found if app.view_functions[endpoint].caller != OPTIONAL
    }
    return found, app.url_map.bind("localhost"), needs_caller, _parser_sample(app, found)


#: How many routes of each face get the parser's cases besides one per input path.
PARSER_SAMPLE_PER_FACE = 3


def _parser_sample(app, routes) -> set:
    """The (endpoint, method) pairs that the parser's cases are sent to.

    Those cases (a body that is not one JSON object, a wrong Content-Type, a body nested
    too deep) are refused by the shared input parser before any field is read, the same
    way on every route that reads input the same way. So they go to one route per input
    path (face, input location, verb, whether the route reads a schema), and to a few
    routes of each face spread over its sorted list, in case a face bends the rule."""
    first_by_input_path, by_face = {}, {}
    for _, endpoint, method, location in routes:
        view = app.view_functions[endpoint]
        input_path = (view.envelope.name, location, method, view.load_schema is not None)
        first_by_input_path.setdefault(input_path, (endpoint, method))
        by_face.setdefault(view.envelope.name, []).append((endpoint, method))
    sample = set(first_by_input_path.values())
    for face_routes in by_face.values():
        step = max(1, len(face_routes) // PARSER_SAMPLE_PER_FACE)
        sample.update(face_routes[::step][:PARSER_SAMPLE_PER_FACE])
    return sample


ROUTES, _URLS, NEEDS_CALLER, PARSER_SAMPLE = _routes()
#: Every path an API face serves, with all its verbs.
VERBS_BY_PATH = {}
for _path, _endpoint, _method, _location in ROUTES:
    VERBS_BY_PATH.setdefault(_path, set()).add(_method)


def url_of(path: str) -> str:
    """A concrete URL for a rule: every path argument a value that names nothing."""
    return _PATH_ARG.sub("nothing", path)


# -- the cases --------------------------------------------------------------------------

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
DEPTH = 100_000
LONG = 1_100_000  # over MAX_PASTE_SIZE and every field's max length but contents'


def raw(body: bytes, content_type: str | None = JSON):
    """A case that sends the same bytes as the body of every route that reads one: the
    input parser's to refuse (see `_parser_sample`)."""
    return {"body": lambda wire_fields: (body, content_type), "parser": True}


def every_field(value, *, in_query=None):
    """A case that sets every field the route reads to `value` (in a body), or to
    `in_query` (a string, in a query string or form)."""
    case = {
        "body": lambda wire_fields: (
            json.dumps({name: value(field) for name, field in wire_fields.items()}).encode(),
            JSON,
        )
    }
    if in_query is not None:
        case["query"] = lambda wire_fields: [(name, in_query) for name in wire_fields]
    return case


def wrong_scalar(field):
    if isinstance(field, Text | fields.String):
        return 12345
    if isinstance(field, Integer | UnixTime):
        return "twelve"
    if isinstance(field, fields.Boolean):
        return "maybe"
    if isinstance(field, PasteId):
        return True
    return "not a list"


def huge_literal(wire_fields) -> tuple[bytes, str]:
    """Integers far beyond 64 bits, written as JSON literals (301 digits)."""
    body = ", ".join(f'"{name}": {"9" * 301}' for name in wire_fields)
    return ("{" + body + "}").encode(), JSON


def deep_in_field(wire_fields) -> tuple[bytes, str]:
    name = next(iter(wire_fields), "x")
    return f'{{"{name}": {"[" * DEPTH}{"]" * DEPTH}}}'.encode(), JSON


def repeated_keys(wire_fields):
    return [(name, value) for name in wire_fields for value in ("1", "two", "")]


CASES = {
    # Bodies that are not one JSON object.
    "not_json": raw(b"contents=hello&title=x"),
    "truncated_json": raw(b'{"contents": "hel'),
    "top_level_array": raw(b'[{"contents": "hello"}]'),
    "top_level_string": raw(b'"hello"'),
    "top_level_number": raw(b"42"),
    "top_level_null": raw(b"null"),
    "top_level_true": raw(b"true"),
    "nan_and_infinity": raw(b'{"page_num": NaN, "expiry_time": Infinity}'),
    "deeply_nested_array": raw(b"[" * DEPTH + b"]" * DEPTH),
    "deeply_nested_object": raw(b'{"a":' * DEPTH + b"1" + b"}" * DEPTH),
    "deeply_nested_field": {"body": deep_in_field, "parser": True},
    "invalid_utf8": raw(b'{"contents": "\xff\xfe\xfd", "username": "\xc3\x28"}'),
    "invalid_utf8_key": raw(b'{"\xff": 1}'),
    # A wrong or missing Content-Type on a JSON-looking body.
    "content_type_text": raw(b'{"contents": "hello"}', "text/plain"),
    "content_type_form": raw(b"contents=hello", FORM),
    "content_type_multipart": raw(
        b'--b\r\nContent-Disposition: form-data; name="contents"\r\n\r\nhello\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
    "content_type_missing": raw(b'{"contents": "hello"}', None),
    # Every field at once.
    "every_field_null": every_field(lambda field: None),
    "every_field_wrong_scalar": every_field(wrong_scalar, in_query="twelve"),
    "every_field_an_object": every_field(lambda field: {"$gt": ""}, in_query="[object]"),
    "every_field_a_junk_list": every_field(lambda field: [None, {"name": None}, "\u0000", 1.5]),
    "every_field_a_huge_list": every_field(lambda field: [1] * 200_000),
    "every_field_a_boolean": every_field(lambda field: True, in_query="true"),
    "every_field_empty": every_field(lambda field: "", in_query=""),
    "every_field_whitespace": every_field(lambda field: " \t\n", in_query=" \t\n"),
    "every_field_very_long": every_field(lambda field: "x" * LONG, in_query="x" * 100_000),
    "every_field_2_to_the_64": every_field(lambda field: 2**64, in_query=str(2**64)),
    "every_field_minus_2_to_the_64": every_field(lambda field: -(2**64), in_query=str(-(2**64))),
    "every_field_huge_literal": {"body": huge_literal},
    "every_field_a_fraction": every_field(lambda field: 0.5, in_query="0.5"),
    "every_field_1e308": every_field(lambda field: 1e308, in_query="1e308"),
    "every_field_nul": every_field(lambda field: "abc\u0000def", in_query="abc\u0000def"),
    "every_field_lone_surrogate": every_field(lambda field: "abc\ud800def"),
    "every_field_repeated": {"query": repeated_keys},
    # At and past a 32-bit INTEGER column's edge (PostgreSQL's), and past a BIGINT's.
    "every_field_int32_max": every_field(lambda field: 2**31 - 1, in_query=str(2**31 - 1)),
    "every_field_int32_overflow": every_field(lambda field: 2**31, in_query=str(2**31)),
    "every_field_int64_overflow": every_field(lambda field: 2**63, in_query=str(2**63)),
    # A url-encoded form of more fields than MAX_FORM_PARTS: refused before it is parsed.
    "form_of_too_many_fields": raw(b"&".join([b"a=1"] * 1_500), FORM),
}


# -- fixtures ---------------------------------------------------------------------------


def _seed_pastes(client):
    """A user with a key and three pastes (anonymous, protected, owned)."""
    created = client.post(
        "/api/user/create", json={"username": "victim", "password": "correct horse"}
    ).json
    key = created["api_key"]
    client.delete_cookie("session")
    client.post("/api/paste/submit", json={"contents": "anonymous"})
    client.post("/api/paste/submit", json={"contents": "secret", "password": "seeded-pw"})
    client.post("/api/paste/submit", json={"contents": "owned", "api_key": key})


def _seed_refresh_tokens(client):
    """A user logged in twice with JWTs: two stored refresh tokens."""
    client.post("/api/user/create", json={"username": "holder", "password": "correct horse"})
    client.delete_cookie("session")
    for _ in range(2):
        response = client.post(
            "/api/auth/auth", json={"username": "holder", "password": "correct horse"}
        )
        assert response.status_code == 200, response.json


def _seed_site(client):
    """Qexo's site content through /pub: an admin's links and talks, a like, an
    application, a notification, a custom field and a counted visit."""
    from pastecms.services.identity import user as user_service
    from tests.qexo import Pub

    app = client.application
    with app.app_context():
        token = user_service.create("site-admin", "correct horse", is_admin=True).api_key
        db.session.commit()
    admin = Pub(client, token)
    admin.ok(
        admin.post("add_friend", {"name": "shown", "url": "https://a.example", "status": "显示"})
    )
    admin.ok(admin.post("add_friend", {"name": "hidden", "url": "https://b.example"}))
    talk = admin.ok(admin.post("save_talk", {"content": "hello", "tags": '["t"]'}))["id"]
    visitor = Pub(client)
    visitor.ok(visitor.post("like_talk", {"id": talk}))
    admin.ok(admin.post("notifications", {"title": "note", "content": "body"}))
    admin.ok(admin.post("set_custom", {"name": "field", "content": "print(1)"}))
    settings = {"FRIEND_APPLICATIONS": True, "STATISTIC_DOMAINS": ["blog.example"]}
    saved = {name: app.config[name] for name in settings}
    # Services read the settings frozen when the app was built: freeze them again.
    app.config.update(settings)
    config.freeze(app)
    try:
        application = {
            "name": "applicant",
            "url": "https://c.example",
            "image": "https://c.example/i",
        }
        visitor.ok(visitor.post("ask_friend", application))
        visitor.ok(visitor.get("statistic", headers={"Referer": "https://blog.example/post/"}))
    finally:
        app.config.update(saved)
        config.freeze(app)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _seed_content(client):
    """An admin's site content: a category, tagged articles (a draft, one published, one
    with a header image), an image, settings."""
    from pastecms.services.identity import user as user_service

    with client.application.app_context():
        admin = user_service.create("editor", "correct horse", is_admin=True)
        db.session.commit()
        headers = {"Authorization": f"Bearer {admin.api_key}"}
    category = client.post(
        "/v1/categories", json={"name": "Tech", "slug": "tech"}, headers=headers
    ).json
    image = client.post(
        "/v1/images", data={"file": (io.BytesIO(PNG), "header.png")}, headers=headers
    ).json
    for n, extra in enumerate(
        [
            {"status": "draft"},
            {"status": "published", "categoryId": category["id"]},
            {"headerImageId": image["id"], "slideMode": True, "slideDuration": 60},
        ]
    ):
        created = client.post(
            "/v1/articles",
            json={"title": f"Article {n}", "content": "# Hello", "tags": ["a", f"t{n}"], **extra},
            headers=headers,
        )
        assert created.status_code == 201, created.json
    client.put("/v1/settings", json={"site_name": "Seeded"}, headers=headers)


def _seed_site_files(client):
    """Qexo's content API: a post and a page saved as Hexo files, a stored config file and
    a webhook (to a loopback port nothing listens on, which the app allows: its calls
    fail, logged)."""
    from pastecms.services.identity import user as user_service
    from tests.qexo import Pub

    with client.application.app_context():
        token = user_service.create("file-admin", "correct horse", is_admin=True).api_key
        db.session.commit()
    admin = Pub(client, token)
    admin.ok(admin.post("create_webhook", {"uri": "http://127.0.0.1:9/hook"}))
    post = "---\ntitle: Seeded post\ntags: [a]\ncategories: [Notes]\n---\nBody"
    admin.ok(admin.post("save", {"file": "source/_posts/seeded.md", "content": post}))
    admin.ok(admin.post("save", {"file": "source/about/index.md", "content": "About"}))
    admin.ok(admin.post("save", {"file": "_config.yml", "content": "title: Seeded"}))


def _seed_paste_pages(client):
    """A paste with its highlighted HTML kept, and one submitted with an Idempotency-Key."""
    paste = client.post("/api/paste/submit", json={"contents": "x = 1", "language": "python"})
    assert client.get(f"/paste/{paste.json['paste_id_repr']}").status_code == 200
    client.post(
        "/api/paste/submit", json={"contents": "retried"}, headers={"Idempotency-Key": "seeded"}
    )


#: Each face seeds rows of its own here, so that a hostile request that changed one
#: would show.
SEEDERS = [
    _seed_pastes,
    _seed_paste_pages,
    _seed_refresh_tokens,
    _seed_site,
    _seed_content,
    _seed_site_files,
]


class Seeded:
    """The app every hostile request goes to, its rows as seeded, and an admin's access
    token (taken while seeding, so that signing in changes no row during a test).

    Seeding runs the seeders once per module; between tests the rows are put back as they
    were (a test that succeeded changed some) straight from the snapshot, without running
    the seeders again. A test that ends by finding the rows as seeded vouches for the
    next one (`unchanged`), which then skips its own look: so every test of this module
    that touches the database does it through `seeded`, never through an app of its own,
    whose teardown would empty the tables behind the voucher's back."""

    def __init__(self, app):
        self.app = app
        client = self.app.test_client()
        for seed in SEEDERS:
            seed(client)
        login = client.post(
            "/api/auth/auth", json={"username": "editor", "password": "correct horse"}
        )
        self.admin_token = login.json["data"]["access_token"]
        self.rows = snapshot(self.app)
        self.documented = documented_failures(client.get("/api/openapi.json").get_json())
        self.vouched = True

    def restore(self) -> None:
        """As seeded again, unless the last test vouched that it left the rows so."""
        if not self.vouched and snapshot(self.app) != self.rows:
            put_back(self.app, self.rows)
            # Kept answers made from rows that are gone could be served again once the
            # content version comes back to the number they were kept under.
            answers.init_app(self.app)
        self.vouched = False

    def unchanged(self) -> bool:
        """Whether the rows are as seeded; if so, the next test need not look again."""
        self.vouched = snapshot(self.app) == self.rows
        return self.vouched


@pytest.fixture(scope="module")
def seeded_once(make_module_app):
    # Seeding takes longer than most hostile requests: once for the module, restored
    # only when a test changed a row. Own in-memory limits: the PostgreSQL run shares
    # Redis with other suites. Webhooks may call loopback, where the seeded one points.
    return Seeded(
        make_module_app(RATELIMIT_STORAGE_URI="memory://", WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8")
    )


@pytest.fixture
def seeded(seeded_once):
    """The seeded app, as seeded, with no limit or failed attempt counted yet."""
    seeded_once.restore()
    ratelimit.limiter(seeded_once.app).reset()
    return seeded_once.app


def snapshot(app) -> dict:
    """Every row of every table, by table, once the webhook deliveries under way (which
    add rows of their own) are recorded."""
    webhook.wait_for_deliveries(timeout=10)
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables
        }


def put_back(app, rows: dict) -> None:
    """Make every table hold exactly `rows` (a snapshot) again. Triggers write rows too
    (the content version moves with every article written): a table that a later table's
    rows moved is written again at the end."""

    def rows_of(connection, table) -> list:
        return sorted(map(tuple, connection.execute(table.select())), key=repr)

    def write(connection, table) -> None:
        connection.execute(table.delete())
        if rows[table.name]:
            names = [column.name for column in table.columns]
            values = [dict(zip(names, row, strict=True)) for row in rows[table.name]]
            connection.execute(table.insert(), values)

    with app.app_context():
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            for table in db.metadata.sorted_tables:
                write(connection, table)
            for table in db.metadata.sorted_tables:
                if rows_of(connection, table) != rows[table.name]:
                    write(connection, table)
        db.session.remove()


def loaded_fields(app, endpoint) -> dict:
    """The fields a route reads from its body or query, by their wire name (the face's
    credential parameter included)."""
    view = app.view_functions[endpoint]
    if view.load_schema is None:
        return {}
    schema = view.load_schema()
    return {field.data_key or name: field for name, field in schema.fields.items()}


def failure_name_of(response, envelope) -> str:
    """The name of the failure a response carries, checked against the face's rules:
    JSON, a name from the catalogue, answered with the status the face gives it."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.content_type.startswith(JSON), response.content_type
    body = json.loads(response.get_data())
    assert isinstance(body, dict), body
    name = body.get("failure_name")
    assert name in CATALOGUE, body
    assert envelope.status_of(CATALOGUE[name]) == response.status_code, (name, response.status)
    assert "Traceback" not in response.get_data(as_text=True)
    return name


def documented_failures(description: dict) -> dict:
    """(path, method) -> status -> the failure names the description gives the route for
    it; read once per module from the served description."""
    found = {}
    for path, _, method, _ in ROUTES:
        operation = description["paths"][_PATH_ARG.sub(r"{\1}", path)][method.lower()]
        by_status = found[path, method] = {}
        for status, response in operation["responses"].items():
            schema = next(iter(response["content"].values()))["schema"]
            for body in schema.get("oneOf", [schema]):
                names = body.get("properties", {}).get("failure_name", {}).get("enum")
                if names:
                    by_status[int(status)] = names
    return found


def sent_as(location: str, case: str) -> str | None:
    """How a case reaches a route that reads `location`: "query", "form" or "body";
    None when the case means nothing there. A route that reads `params` takes a form as
    readily as JSON: the cases that only change the Content-Type are no hostile input."""
    has_body, has_query = "body" in CASES[case], "query" in CASES[case]
    if location == "query":
        return "query" if has_query else None
    if location in ("form", "form_and_files"):
        return "form" if has_query else None
    if location in ("params", "params_any_json"):
        if case.startswith("content_type_"):
            return None
        return "body" if has_body else "form"
    return "body" if has_body else None


def in_table(route, case: str) -> bool:
    """Whether a case is sent to a route: every case that can reach it, but the parser's
    cases only to the parser's sample."""
    _, endpoint, method, location = route
    if sent_as(location, case) is None:
        return False
    return not CASES[case].get("parser") or (endpoint, method) in PARSER_SAMPLE


TABLE = [(*route, case) for route in ROUTES for case in CASES if in_table(route, case)]


def send(client, path, method, location, case, wire_fields):
    """Send a case the way the route reads input."""
    url = url_of(path)
    how = sent_as(location, case)
    if how == "query":
        query = urllib.parse.urlencode(CASES[case]["query"](wire_fields))
        return client.open(url + "?" + query, method=method)
    if how == "form":
        form = urllib.parse.urlencode(CASES[case]["query"](wire_fields))
        return client.open(url, method=method, data=form, content_type=FORM)
    body, content_type = CASES[case]["body"](wire_fields)
    headers = {"Content-Type": content_type} if content_type else {}
    return client.open(url, method=method, data=body, headers=headers)


# -- the table --------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "endpoint", "method", "location", "case"), TABLE)
def test_hostile_input_is_a_named_failure_and_changes_nothing(
    seeded, seeded_once, path, endpoint, method, location, case
):
    client = seeded.test_client()
    view = seeded.view_functions[endpoint]
    wire_fields = loaded_fields(seeded, endpoint)

    response = send(client, path, method, location, case, wire_fields)

    body = response.get_json(silent=True) or {}
    if "failure_name" not in body:
        # A success, only on a route open to anonymous callers: one that reads nothing,
        # a query string (a search for "twelve" is no error), or when every field may be
        # null.
        assert view.caller == OPTIONAL, (response.status, body)
        assert (
            not wire_fields
            or location == "query"
            or (case == "every_field_null" and all(f.allow_none for f in wire_fields.values()))
        ), (case, response.status, body)
        assert response.status_code < 300
    else:
        name = failure_name_of(response, view.envelope)
        documented = seeded_once.documented[path, method]
        assert name in documented.get(response.status_code, []), (name, response.status)
    assert seeded_once.unchanged()


#: Routes whose input is read only once a caller is known to be allowed: the table's
#: anonymous requests are refused (401) before their values reach the service, so the
#: cases that put hostile values in the fields are sent again by an admin (allowed
#: everywhere) with a JWT access token, which every face takes as `Authorization:
#: Bearer`. (A body that does not parse fails alike with or without a caller.)
SIGNED_IN_CASES = {name for name in CASES if name.startswith("every_field")}
SIGNED_IN_CASES.add("deeply_nested_field")
SIGNED_IN_TABLE = [row for row in TABLE if row[1] in NEEDS_CALLER and row[4] in SIGNED_IN_CASES]


#: Values sent one field at a time (in a query string, or as a path parameter).
ONE_FIELD_VALUES = [
    "twelve",
    "",
    " \t\n",
    "x" * 10_000,
    str(2**64),
    str(-(2**64)),
    "0.5",
    "1e308",
    "abc\u0000def",
    b"abc\xff\xfedef",  # not UTF-8
    "%",
    "_",
    "\\",
    "contain:%_\\",
    "contain:" + "x" * 300,
    "'; drop table articles; --",
    "published desc;" * 20,
    "0123456789ABCDEF",
]


def _signed_in(seeded_once):
    """A client of the seeded app with an admin's access token on every request."""
    client = seeded_once.app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {seeded_once.admin_token}"
    return client


def _fields_besides_credentials(seeded, endpoint) -> dict:
    """The route's fields but the face's credential parameter, which would stand in for
    the token (and be refused, as it should)."""
    credential = seeded.view_functions[endpoint].envelope.credential_param
    return {
        name: field for name, field in loaded_fields(seeded, endpoint).items() if name != credential
    }


def _check_signed_in(seeded_once, path, endpoint, method, response, routed=True) -> bool:
    """A success, or a named failure the route documents that is no refused login (or,
    for a URL that no longer matches the route, `not_found_failure`). Whether it was a
    failure (which must have changed nothing)."""
    view = seeded_once.app.view_functions[endpoint]
    body = response.get_json(silent=True) or {}
    if "failure_name" in body:
        name = failure_name_of(response, view.envelope)
        assert name != "auth_failure", body
        if not routed and name == "not_found_failure":
            return True
        documented = seeded_once.documented[path, method]
        assert name in documented.get(response.status_code, []), (name, response.status)
        return True
    assert response.status_code < 300, (response.status, body)
    return False


@pytest.mark.parametrize(("path", "endpoint", "method", "location", "case"), SIGNED_IN_TABLE)
def test_hostile_input_with_a_valid_token_is_a_named_failure_and_changes_nothing(
    seeded, seeded_once, path, endpoint, method, location, case
):
    client = _signed_in(seeded_once)
    response = send(
        client, path, method, location, case, _fields_besides_credentials(seeded, endpoint)
    )
    if _check_signed_in(seeded_once, path, endpoint, method, response):
        assert seeded_once.unchanged()


@pytest.mark.parametrize(
    ("path", "endpoint", "method", "location"),
    [route for route in ROUTES if route[1] in NEEDS_CALLER and route[2] == "GET"],
)
def test_each_field_alone_with_a_valid_token_is_never_a_crash(
    seeded, seeded_once, path, endpoint, method, location
):
    """Every hostile value in each field by itself (the others valid or absent), so that
    it reaches the service rather than stopping at the first bad field."""
    client = _signed_in(seeded_once)
    names = [*_PATH_ARG.findall(path), *_fields_besides_credentials(seeded, endpoint)]
    names.append("field.unknown")
    for name in names:
        for value in ONE_FIELD_VALUES:
            quoted = urllib.parse.quote(value, safe="")
            in_path = name in _PATH_ARG.findall(path)
            if in_path:
                url = _PATH_ARG.sub(
                    lambda found, q=quoted, n=name: q if found[1] == n else "x", path
                )
            else:
                url = url_of(path) + "?" + urllib.parse.urlencode({name: value})
            response = client.open(url, method=method)
            _check_signed_in(seeded_once, path, endpoint, method, response, routed=not in_path)
    assert seeded_once.unchanged()


BODY_ROUTES = [route for route in ROUTES if route[2] in WRITE_VERBS and route[3] != "query"]


@pytest.mark.parametrize(("path", "endpoint", "method", "location"), BODY_ROUTES)
def test_body_over_the_size_limit_is_413_and_changes_nothing(
    seeded, seeded_once, path, endpoint, method, location
):
    """Anonymous, where a credential may come in the body; where credentials come only
    in headers and the route needs a caller, a stranger is refused before the body is
    read (401, also checked), so the body is sent again by an admin to reach the 413."""
    envelope = seeded.view_functions[endpoint].envelope
    client = seeded.test_client()
    limit = seeded.config["MAX_CONTENT_LENGTH"]
    body = b'{"contents": "' + b"x" * limit + b'"}'

    response = client.open(url_of(path), method=method, data=body, content_type=JSON)

    if endpoint in NEEDS_CALLER and envelope.credential_param is None:
        assert failure_name_of(response, envelope) == "auth_failure"
        client = _signed_in(seeded_once)
        response = client.open(url_of(path), method=method, data=body, content_type=JSON)
    assert failure_name_of(response, envelope) == "payload_too_large_failure"
    assert seeded_once.unchanged()


@pytest.mark.parametrize(("path", "endpoint", "method", "location"), ROUTES)
def test_unknown_fields_are_ignored(seeded, seeded_once, path, endpoint, method, location):
    """Clients send extra keys: the answer is the one without them."""
    client = seeded.test_client()
    extra = {
        "unknown": "1",
        "__proto__": "admin",
        "is_admin": "true",
        "user_id": "1",
        "views": "1000000",
    }
    if location == "query":
        plain = client.open(url_of(path), method=method)
        with_extra = client.open(url_of(path) + "?" + urllib.parse.urlencode(extra), method=method)
    else:
        plain = client.open(url_of(path), method=method, json={})
        with_extra = client.open(url_of(path), method=method, json={**extra, "\u0000": None})
    assert with_extra.status_code == plain.status_code
    plain_body, extra_body = plain.get_json(silent=True), with_extra.get_json(silent=True)
    assert (extra_body or {}).get("failure_name") == (plain_body or {}).get("failure_name")
    assert seeded_once.unchanged()


def test_unknown_fields_on_a_valid_submit_are_a_success(seeded):
    client = seeded.test_client()
    response = client.post(
        "/api/paste/submit", json={"contents": "hello", "colour": "blue", "views": 99}
    )
    assert response.status_code == 200
    assert response.json["views"] == 0


def routed_elsewhere(path: str, method: str) -> bool:
    """Whether another route takes this URL with this verb (GET /v1/categories/reorder
    asks for the category "reorder"): then the verb is not a wrong one."""
    try:
        _URLS.match(url_of(path), method)
    except HTTPException:
        return False
    return True


@pytest.mark.parametrize(
    ("path", "method"),
    [
        (path, verb)
        for path, verbs in sorted(VERBS_BY_PATH.items())
        for verb in ALL_VERBS
        if verb not in verbs and not routed_elsewhere(path, verb)
    ],
)
def test_wrong_verb_is_405_and_changes_nothing(seeded, seeded_once, path, method):
    client = seeded.test_client()

    response = client.open(url_of(path), method=method, json={"contents": "hello"})

    with seeded.test_request_context(url_of(path)):
        envelope = envelope_for(url_of(path))
    assert failure_name_of(response, envelope) == "method_not_allowed_failure"
    allowed = set(response.headers["Allow"].replace(" ", "").split(","))
    assert allowed >= VERBS_BY_PATH[path]
    assert seeded_once.unchanged()


def test_the_table_covers_every_api_route(seeded_once):
    app = seeded_once.app
    registered = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "envelope", None) is not None
        and app.view_functions[rule.endpoint].envelope.in_openapi
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert registered == {(path, method) for path, _, method, _ in ROUTES}
    # Every route that takes a body is an @endpoint that reads a schema.
    for path, endpoint, method, location in BODY_ROUTES:
        if location != "query" and method in ("POST", "PUT", "PATCH"):
            view = app.view_functions[endpoint]
            assert view.load_schema is not None or view.path_schema is not None, path


ATTACHMENT = {"name": "a.txt", "mime_type": "text/plain", "data": "aGVsbG8="}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"contents": "a\u0000b"}, "contents"),
        ({"contents": "x", "title": "\u0000"}, "title"),
        ({"contents": "x", "language": "py\u0000"}, "language"),
        ({"contents": "x", "password": "pw\u0000"}, "password"),
        ({"contents": "x", "attachments": [{**ATTACHMENT, "name": "a\u0000.txt"}]}, "attachments"),
        (
            {"contents": "x", "attachments": [{**ATTACHMENT, "mime_type": "text/\u0000"}]},
            "attachments",
        ),
        ({"contents": "x", "api_key": "\u0000"}, "api_key"),
    ],
)
def test_nul_never_reaches_the_database(seeded, seeded_once, payload, field):
    """PostgreSQL refuses NUL in text with an error; the field types refuse it first."""
    client = seeded.test_client()
    response = client.post("/api/paste/submit", json=payload)
    assert response.status_code == 400
    assert response.json["failure_name"] == "invalid_params_failure"
    assert any(key.startswith(field) for key in response.json["details"]), response.json
    assert seeded_once.unchanged()
