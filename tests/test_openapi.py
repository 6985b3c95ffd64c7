"""GET /api/openapi.json describes every /api route, and agrees with the schemas it is
generated from; GET /api/docs renders it for people."""

import re

import pytest
import schemathesis
from marshmallow import fields, validate

from pastecms.errors import CATALOGUE, RateLimitFailure
from pastecms.openapi import GENERIC_FAILURES
from pastecms.schemas.fields import (
    MAX_UNIX_TIME,
    Base64Bytes,
    Integer,
    List,
    PasteId,
    Text,
    UnixTime,
)
from pastecms.schemas.paste import PasteFaceIn

JSON = "application/json"
AUTOMATIC = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.content_type == JSON
    return response.json


def api_routes(app):
    """(OpenAPI path, method, view) for every route of an API face (and every view that
    describes itself), from the URL map: everything but the web pages for people."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        envelope = getattr(view, "envelope", None)
        if hasattr(view, "openapi") or (envelope is not None and envelope.in_openapi):
            path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in sorted(rule.methods - AUTOMATIC):
                yield path, method.lower(), view


def endpoint_routes(app):
    return [route for route in api_routes(app) if hasattr(route[2], "envelope")]


def paste_face_routes(app):
    return [route for route in endpoint_routes(app) if route[2].envelope.name == "paste"]


def resolve(schema, document):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def operation(document, path, method):
    return document["paths"][path][method]


def wire_name(name, field):
    return field.data_key or name


def test_the_description_is_a_valid_openapi_3_document(document):
    assert document["openapi"].startswith("3.")
    # schemathesis ships the OpenAPI meta-schemas; it refuses an invalid document.
    schemathesis.openapi.from_dict(document).validate()


def test_every_api_route_is_described(app, document):
    routes = {(path, method) for path, method, _ in api_routes(app)}
    assert routes, "no /api routes registered"
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes - described == set(), "registered but not described"
    assert described - routes == set(), "described but not registered"


def test_the_description_is_built_once_per_app(app, client):
    from pastecms import openapi

    with app.app_context():
        assert openapi.description(app) is openapi.description(app)
    assert client.get("/api/openapi.json").json == client.get("/api/openapi.json").json


def test_request_bodies_match_the_in_schemas(app, document):
    for path, method, view in paste_face_routes(app):
        body = operation(document, path, method)["requestBody"]
        assert body["required"] is False, path  # an empty body is `{}`
        described = resolve(body["content"][JSON]["schema"], document)
        schema = (view.load_schema or PasteFaceIn)()
        loaded = {
            wire_name(name, field): field
            for name, field in schema.fields.items()
            if not field.dump_only
        }
        assert set(described["properties"]) == set(loaded), path
        assert set(described.get("required", [])) == {
            name for name, field in loaded.items() if field.required
        }, path
        # Unknown keys are ignored on the paste face: the description must not forbid them.
        assert described.get("additionalProperties", True) is not False, path
        for name, field in loaded.items():
            check_field(described["properties"][name], field, document, f"{path} {name}")


def check_field(prop, field, document, where):
    assert bool(prop.get("nullable")) == field.allow_none, where
    expected = expected_type(field)
    if expected is not None:
        assert prop.get("type") == expected, (where, prop)
    if isinstance(field, PasteId):
        assert {one["type"] for one in prop["oneOf"]} == {"string", "integer"}, where
    if isinstance(field, Base64Bytes):
        assert prop.get("format") == "byte", where
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        nested = resolve(prop["items"], document)
        inner = {
            wire_name(name, sub): sub
            for name, sub in field.inner.schema.fields.items()
            if not sub.dump_only
        }
        assert set(nested["properties"]) == set(inner), where
        for name, sub in inner.items():
            check_field(nested["properties"][name], sub, document, f"{where}[].{name}")


def expected_type(field):
    if isinstance(field, PasteId | fields.Method):
        return field.metadata.get("type")
    for classes, name in (
        ((UnixTime, fields.Integer), "integer"),
        ((Base64Bytes, fields.String), "string"),
        ((fields.Boolean,), "boolean"),
        ((fields.List,), "array"),
        ((fields.Dict,), "object"),
    ):
        if isinstance(field, classes):
            return name
    return None


def test_success_bodies_are_the_envelope_plus_the_out_schema(app, document):
    for path, method, view in paste_face_routes(app):
        responses = operation(document, path, method)["responses"]
        success = responses[str(view.status)]["content"][JSON]["schema"]
        assert success["properties"]["success"]["enum"] == [True], path
        assert success["properties"]["message"]["nullable"] is True, path
        dumped = {}
        if view.dump_schema is not None:
            dumped = {
                wire_name(name, field): field
                for name, field in view.dump_schema().fields.items()
                if not field.load_only
            }
        assert set(success["properties"]) == {"success", "message", *dumped}, path
        assert set(success["required"]) == set(success["properties"]), path
        assert success["additionalProperties"] is False, path
        for name, field in dumped.items():
            prop = success["properties"][name]
            expected = expected_type(field)
            if expected is not None:
                assert prop.get("type") == expected, (path, name, prop)
            if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
                nested = resolve(prop["items"], document)
                inner = field.inner.schema.fields
                assert set(nested["properties"]) == {wire_name(n, f) for n, f in inner.items()}, (
                    path,
                    name,
                )
                assert set(nested["required"]) == set(nested["properties"]), (path, name)


def failure_enums(responses):
    """status -> failure names documented for it (a face may answer failures with its
    success status: then the response is one of a success and a failure body)."""
    enums = {}
    for status, response in responses.items():
        if JSON not in response["content"]:
            continue  # a file (an image, a Markdown export): no failure shares its status
        schema = response["content"][JSON]["schema"]
        for body in schema.get("oneOf", [schema]):
            properties = body.get("properties", {})
            if "failure_name" not in properties:
                continue
            names = properties["failure_name"]["enum"]
            if "failure" in properties:  # the paste face names each failure twice
                assert properties["failure"]["enum"] == names
                assert properties["success"]["enum"] == [False]
            enums[int(status)] = names
    return enums


def test_every_declared_and_generic_failure_is_in_its_status_enum(app, document):
    for path, method, view in endpoint_routes(app):
        enums = failure_enums(operation(document, path, method)["responses"])
        for failure in (*GENERIC_FAILURES, *view.failures):
            status = view.envelope.status_of(failure)
            assert failure.failure_name in enums.get(status, []), (path, failure)
        allowed = {f.failure_name for f in (*GENERIC_FAILURES, *view.failures)}
        allowed.add("rate_limit_failure")
        if view.path_schema is not None:
            allowed.add(view.path_failure.failure_name)
        for names in enums.values():
            assert len(names) == len(set(names)), path
            assert set(names) <= allowed, path


def test_every_failure_name_is_in_the_catalogue_with_its_status(app, document):
    seen = set()
    for path, method, view in endpoint_routes(app):
        for status, names in failure_enums(operation(document, path, method)["responses"]).items():
            for name in names:
                assert name in CATALOGUE, name
                assert view.envelope.status_of(CATALOGUE[name]) == status, (path, name)
                seen.add(name)
    assert "undefined_failure" in seen


def test_rate_limited_routes_and_only_they_document_429(make_app):
    app = make_app(
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_SUBMIT="1 per day",
        RATELIMIT_ACCOUNT="1 per day",
        RATELIMIT_REPORT="1 per day",
        RATELIMIT_CMS_READ="1 per day",
        RATELIMIT_CMS_WRITE="1 per day",
    )
    client = app.test_client()
    document = client.get("/api/openapi.json").json
    for path, method, view in endpoint_routes(app):
        for _ in range(2):
            status = client.open(path, method=method, json={}).status_code
        documents_429 = "429" in operation(document, path, method)["responses"]
        # A route that checks a secret answers 429 only after wrong guesses at it, which an
        # empty body never makes (tests/test_guessing.py makes them).
        limits_guesses = RateLimitFailure in view.failures and not view.limits
        assert (status == 429 or limits_guesses) == documents_429, path


def test_custom_field_types_map_to_openapi_types(document):
    schemas = document["components"]["schemas"]
    submit = schemas["PasteSubmitIn"]["properties"]
    assert submit["contents"]["type"] == "string"
    assert submit["contents"]["minLength"] == 1
    assert submit["expiry_time"]["type"] == "integer"
    assert submit["expiry_time"]["nullable"] is True
    assert submit["api_key"] == {**submit["api_key"], "type": "string", "nullable": True}
    attachment = resolve(submit["attachments"]["items"], document)["properties"]
    assert attachment["data"] == {**attachment["data"], "type": "string", "format": "byte"}
    # Python's anchored patterns become ECMA ones.
    assert attachment["mime_type"]["pattern"].startswith("^")
    assert "\\Z" not in attachment["mime_type"]["pattern"]
    page = schemas["PageIn"]["properties"]
    assert page["page_num"]["type"] == "integer"
    assert page["page_num"]["minimum"] == 0
    details = schemas["PasteDetailsIn"]["properties"]
    assert "nullable" not in details["paste_id"]


def test_security_schemes_name_the_bearer_key(document):
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert "api_key" in scheme["description"]
    user = operation(document, "/api/paste/user", "post")
    assert {} not in user["security"]
    recent = operation(document, "/api/paste/recent", "post")
    assert {} in recent["security"]


def test_reference_page_lists_every_route_field_and_failure(app, client, document):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    assert "<script" not in page and "http://" not in page.replace("http://localhost", "")
    for path, method, view in api_routes(app):
        assert path in page
        if hasattr(view, "envelope"):
            responses = operation(document, path, method)["responses"]
            for names in failure_enums(responses).values():
                for name in names:
                    assert name in page
            if view.load_schema:
                for name, field in view.load_schema().fields.items():
                    assert wire_name(name, field) in page


def test_the_web_footer_links_the_reference(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/api/docs"' in page


def test_shared_field_types_map_to_openapi_types_without_metadata(app):
    from pastecms.openapi import new_spec

    with app.app_context():
        _, plugin = new_spec(app)
    prop = plugin.converter.field2property

    unix_time = prop(UnixTime())
    assert unix_time["type"] == "integer"
    assert (unix_time["minimum"], unix_time["maximum"]) == (0, MAX_UNIX_TIME)
    assert prop(UnixTime(allow_none=True))["nullable"] is True
    assert prop(Base64Bytes()) == {"type": "string", "format": "byte"}
    paste_id = prop(PasteId())
    assert "type" not in paste_id
    assert [one["type"] for one in paste_id["oneOf"]] == ["string", "integer"]
    text = prop(Text(max_length=5, required=True))
    assert (text["type"], text["minLength"], text["maxLength"]) == ("string", 1, 5)
    assert "minLength" not in prop(Text(max_length=5))
    assert prop(Text(max_length=5, allow_none=True))["nullable"] is True
    integer = prop(Integer(minimum=1, maximum=9))
    assert (integer["type"], integer["minimum"], integer["maximum"]) == ("integer", 1, 9)
    assert prop(List(Integer(), max_length=3)) == {
        "type": "array",
        "items": prop(Integer()),
        "maxItems": 3,
    }
    pattern = prop(Text(max_length=9, validate=validate.Regexp(r"[a-z]+\Z")))["pattern"]
    assert pattern == "^[a-z]+$"


def test_reference_page_renders_code_spans_instead_of_backticks(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert b"`" not in page.data
    assert b"<code>Authorization: Bearer &lt;key&gt;</code>" in page.data
