"""Hostile input on every /api route: a named 4xx in the paste face's envelope, and the
database exactly as it was.

The table is routes x cases: every route registered under /api (from the URL map) meets
every malformed body, every field null / of the wrong type / empty / huge / unstorable,
a body over the size limit, a wrong Content-Type and every wrong verb. Requests are
anonymous, so nothing may pass on the strength of a key; the database holds a user and
pastes first, so "nothing changed" is a real comparison (views included).
"""

import json

import pytest
from marshmallow import fields

from config import TestConfig
from pastecms import create_app
from pastecms.api import REQUIRED
from pastecms.errors import CATALOGUE
from pastecms.extensions import db
from pastecms.schemas.fields import Integer, PasteId, Text, UnixTime

# -- the routes, from the URL map of an app built for collection only -------------------


def _routes():
    app = create_app(
        TestConfig, {"DATABASE_URI": "sqlite://", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.rule.startswith("/api/"):
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            found.append((rule.rule, rule.endpoint, methods))
    return found


ROUTES = _routes()
ENDPOINTS = [(path, endpoint, methods) for path, endpoint, methods in ROUTES if methods == ["POST"]]
WRONG_VERBS = ["GET", "PUT", "PATCH", "DELETE", "POST"]

# -- the cases --------------------------------------------------------------------------

JSON = "application/json"
DEPTH = 100_000
LONG = 1_100_000  # over MAX_PASTE_SIZE and every field's max length but contents'


def raw(body: bytes, content_type: str | None = JSON):
    """A case that sends the same bytes to every route."""
    return lambda wire_fields: (body, content_type)


def every_field(value):
    """A case that sets every field the route reads (and `api_key`) to `value`."""
    return lambda wire_fields: (
        json.dumps({name: value(field) for name, field in wire_fields.items()}).encode(),
        JSON,
    )


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
    name = next(iter(wire_fields))
    return f'{{"{name}": {"[" * DEPTH}{"]" * DEPTH}}}'.encode(), JSON


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
    "deeply_nested_field": deep_in_field,
    "invalid_utf8": raw(b'{"contents": "\xff\xfe\xfd", "username": "\xc3\x28"}'),
    "invalid_utf8_key": raw(b'{"\xff": 1}'),
    # A wrong or missing Content-Type on a JSON-looking body.
    "content_type_text": raw(b'{"contents": "hello"}', "text/plain"),
    "content_type_form": raw(b"contents=hello", "application/x-www-form-urlencoded"),
    "content_type_multipart": raw(
        b'--b\r\nContent-Disposition: form-data; name="contents"\r\n\r\nhello\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
    "content_type_missing": raw(b'{"contents": "hello"}', None),
    # Every field at once.
    "every_field_null": every_field(lambda field: None),
    "every_field_wrong_scalar": every_field(wrong_scalar),
    "every_field_an_object": every_field(lambda field: {"$gt": ""}),
    "every_field_a_junk_list": every_field(lambda field: [None, {"name": None}, "\u0000", 1.5]),
    "every_field_a_huge_list": every_field(lambda field: [1] * 200_000),
    "every_field_a_boolean": every_field(lambda field: True),
    "every_field_empty": every_field(lambda field: ""),
    "every_field_whitespace": every_field(lambda field: " \t\n"),
    "every_field_very_long": every_field(lambda field: "x" * LONG),
    "every_field_2_to_the_64": every_field(lambda field: 2**64),
    "every_field_minus_2_to_the_64": every_field(lambda field: -(2**64)),
    "every_field_huge_literal": huge_literal,
    "every_field_a_fraction": every_field(lambda field: 0.5),
    "every_field_1e308": every_field(lambda field: 1e308),
    "every_field_nul": every_field(lambda field: "abc\u0000def"),
    "every_field_lone_surrogate": every_field(lambda field: "abc\ud800def"),
}


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def hostile_app(make_app):
    # Own in-memory limits: the PostgreSQL run shares Redis with other suites.
    return make_app(RATELIMIT_STORAGE_URI="memory://")


@pytest.fixture
def seeded(hostile_app):
    """A user with a key and three pastes (anonymous, protected, owned)."""
    client = hostile_app.test_client()
    created = client.post(
        "/api/user/create", json={"username": "victim", "password": "correct horse"}
    ).json
    key = created["api_key"]
    client.delete_cookie("session")
    client.post("/api/paste/submit", json={"contents": "anonymous"})
    client.post("/api/paste/submit", json={"contents": "secret", "password": "pw"})
    client.post("/api/paste/submit", json={"contents": "owned", "api_key": key})
    return hostile_app


def snapshot(app) -> dict:
    """Every row of every table, and how many there are."""
    with app.app_context():
        rows = {
            table.name: sorted((tuple(row) for row in db.session.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return {"counts": {name: len(found) for name, found in rows.items()}, "rows": rows}


def loaded_fields(app, endpoint) -> dict:
    """The fields a route reads, by their wire name (`api_key` included)."""
    view = app.view_functions[endpoint]
    schema = view.load_schema()
    return {field.data_key or name: field for name, field in schema.fields.items()}


def assert_named_failure(response, documented=None):
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert 400 <= response.status_code < 500, response.status_code
    assert response.content_type == JSON, response.content_type
    body = json.loads(response.get_data())
    assert body["success"] is False
    name = body["failure_name"]
    assert name in CATALOGUE, name
    assert body["failure"] == name
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in body["message"]
    assert CATALOGUE[name].status == response.status_code, (name, response.status_code)
    if documented is not None:
        assert name in documented.get(response.status_code, []), (name, response.status_code)
    return name


def documented_failures(client, path, method) -> dict:
    operation = client.get("/api/openapi.json").json["paths"][path][method.lower()]
    found = {}
    for status, response in operation["responses"].items():
        if int(status) >= 400:
            schema = response["content"][JSON]["schema"]
            found[int(status)] = schema["properties"]["failure_name"]["enum"]
    return found


# -- the table --------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(("path", "endpoint"), [route[:2] for route in ENDPOINTS])
def test_hostile_body_is_a_named_4xx_and_changes_nothing(seeded, path, endpoint, case):
    client = seeded.test_client()
    documented = documented_failures(client, path, "POST")
    wire_fields = loaded_fields(seeded, endpoint)
    body, content_type = CASES[case](wire_fields)
    headers = {"Content-Type": content_type} if content_type else {}
    before = snapshot(seeded)

    response = client.post(path, data=body, headers=headers)

    view = seeded.view_functions[endpoint]
    valid_when_null = all(field.allow_none for field in wire_fields.values())
    if case == "every_field_null" and valid_when_null and view.caller != REQUIRED:
        # Null is a valid value for every field this route reads: a plain success.
        assert response.status_code == 200, response.json
        assert response.json["success"] is True
    else:
        assert_named_failure(response, documented)
    assert snapshot(seeded) == before


@pytest.mark.parametrize(("path", "endpoint"), [route[:2] for route in ENDPOINTS])
def test_body_over_the_size_limit_is_413_and_changes_nothing(seeded, path, endpoint):
    client = seeded.test_client()
    limit = seeded.config["MAX_CONTENT_LENGTH"]
    body = b'{"contents": "' + b"x" * limit + b'"}'
    before = snapshot(seeded)

    response = client.post(path, data=body, content_type=JSON)

    assert response.status_code == 413
    assert assert_named_failure(response, documented_failures(client, path, "POST")) == (
        "payload_too_large_failure"
    )
    assert snapshot(seeded) == before


@pytest.mark.parametrize(("path", "endpoint"), [route[:2] for route in ENDPOINTS])
def test_unknown_fields_are_ignored(seeded, path, endpoint):
    """The paste face's clients send extra keys: the answer is the one without them."""
    client = seeded.test_client()
    before = snapshot(seeded)
    plain = client.post(path, json={})
    extra = client.post(
        path,
        json={
            "unknown": 1,
            "__proto__": {"admin": True},
            "is_admin": True,
            "user_id": 1,
            "views": 10**6,
            "\u0000": None,
        },
    )
    assert extra.status_code == plain.status_code
    assert extra.json.get("failure_name") == plain.json.get("failure_name")
    assert snapshot(seeded) == before


def test_unknown_fields_on_a_valid_submit_are_a_success(seeded):
    client = seeded.test_client()
    response = client.post(
        "/api/paste/submit", json={"contents": "hello", "colour": "blue", "views": 99}
    )
    assert response.status_code == 200
    assert response.json["views"] == 0


@pytest.mark.parametrize(
    ("path", "methods", "method"),
    [
        (path, methods, verb)
        for path, _, methods in ROUTES
        for verb in WRONG_VERBS
        if verb not in methods
    ],
)
def test_wrong_verb_is_405_and_changes_nothing(seeded, path, methods, method):
    client = seeded.test_client()
    before = snapshot(seeded)

    response = client.open(path, method=method, json={"contents": "hello"})

    assert response.status_code == 405
    assert assert_named_failure(response) == "method_not_allowed_failure"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= set(methods)
    assert snapshot(seeded) == before


def test_the_table_covers_every_api_route(app):
    registered = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert registered == {path for path, _, _ in ROUTES}
    # Every route that takes a body is an @endpoint that reads a schema.
    for path, endpoint, _ in ENDPOINTS:
        assert app.view_functions[endpoint].load_schema is not None, path


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
def test_nul_never_reaches_the_database(seeded, payload, field):
    """PostgreSQL refuses NUL in text with an error; the field types refuse it first."""
    client = seeded.test_client()
    before = snapshot(seeded)
    response = client.post("/api/paste/submit", json=payload)
    assert assert_named_failure(response) == "invalid_params_failure"
    assert any(key.startswith(field) for key in response.json["details"]), response.json
    assert snapshot(seeded) == before
