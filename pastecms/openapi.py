"""The API's OpenAPI 3 description, generated, never written by hand.

It walks `app.url_map`, reads what `@endpoint` recorded on each `/api` view (envelope,
In and Out schemas, caller, failures, success status), converts the schemas with
apispec's marshmallow plugin, and gives every route one failure body per status whose
`failure_name` is an enum of exactly the names that route can answer with there. The
document is built once per app, on first use, and cached in `app.extensions`.

A face describes itself here (`FACES`): how its envelope wraps a success and writes a
failure.
"""

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app
from flask_limiter.util import get_qualified_name
from marshmallow import Schema, fields, validate

from pastecms.api import REQUIRED
from pastecms.errors import (
    AuthFailure,
    Failure,
    IncompleteParamsFailure,
    InvalidParamsFailure,
    MethodNotAllowedFailure,
    PayloadTooLargeFailure,
    RateLimitFailure,
)
from pastecms.extensions import limiter
from pastecms.schemas.fields import (
    INT64_MAX,
    MAX_UNIX_TIME,
    Base64Bytes,
    Integer,
    PasteId,
    Text,
    UnixTime,
)
from pastecms.views.envelopes import ModernPaste

OPENAPI_VERSION = "3.0.3"
PREFIX = "/api"
JSON = "application/json"

#: Failures any endpoint can answer, whatever it declares: a body that is missing fields,
#: malformed or too large, an `api_key` that is not valid, a wrong verb on its path, and
#: the unexpected. A view's own `failures` and its rate limit are added to these.
GENERIC_FAILURES: tuple[type[Failure], ...] = (
    IncompleteParamsFailure,
    InvalidParamsFailure,
    AuthFailure,
    MethodNotAllowedFailure,
    PayloadTooLargeFailure,
    Failure,
)

SECURITY_SCHEMES = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "An API key, sent as `Authorization: Bearer <key>`, or as `api_key` in the JSON "
            "body (the paste face's own way). A key that is given but not valid is an "
            "`auth_failure`, never a silent fall back to anonymous."
        ),
    },
}

_EXTENSION_KEY = "pastecms.openapi"


# -- faces ------------------------------------------------------------------------------


class PasteFace:
    """Seed 003's envelope: flat successes, failures named as `failure_name` and `failure`."""

    def success(self, out: dict) -> dict:
        properties = {
            "success": {"type": "boolean", "enum": [True]},
            "message": {"type": "string", "nullable": True, "description": "Always null."},
            **out.get("properties", {}),
        }
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }

    def failure(self, names: list[str]) -> dict:
        name = {"type": "string", "enum": names}
        return {
            "type": "object",
            "properties": {
                "success": {"type": "boolean", "enum": [False]},
                "message": {"type": "string", "description": "Safe to show to a person."},
                "failure_name": {**name, "description": "What went wrong; stable."},
                "failure": {**name, "description": "The same name again (Modern Paste's key)."},
                "details": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "For a parameter failure: what is wrong, per field.",
                },
            },
            "required": ["success", "message", "failure_name", "failure"],
            "additionalProperties": False,
        }


#: Envelope class -> its description. A new face adds its entry here.
FACES = {ModernPaste: PasteFace()}


# -- the app's description --------------------------------------------------------------


def description(app: Flask | None = None) -> dict:
    """The app's OpenAPI document (a dict), built on first use and cached per app."""
    app = app or current_app._get_current_object()
    cached = app.extensions.get(_EXTENSION_KEY)
    if cached is None:
        with app.app_context():
            cached = app.extensions[_EXTENSION_KEY] = build(app)
    return cached


def api_rules(app: Flask) -> Iterator:
    """Every URL rule under /api, in a stable order."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint)):
        if rule.rule == PREFIX or rule.rule.startswith(PREFIX + "/"):
            yield rule


def methods(rule) -> list[str]:
    """The verbs a rule documents: Flask's automatic HEAD and OPTIONS are left out."""
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def failures_of(app: Flask, rule, view) -> list[type[Failure]]:
    """Every failure one @endpoint view can answer with: generic ones, its own, 429."""
    found = [*GENERIC_FAILURES, *view.failures]
    if _rate_limited(app, rule, view):
        found.append(RateLimitFailure)
    unique = {}
    for failure in found:
        unique.setdefault(failure.failure_name, failure)
    return list(unique.values())


def new_spec(app: Flask) -> tuple[APISpec, MarshmallowPlugin]:
    """An empty description with the marshmallow plugin taught pastecms's field types."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="pastecms API",
        version=app.config.get("API_VERSION", "1"),
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={
            "description": (
                "Generated from the marshmallow schemas that validate each request and "
                "shape each response. Every request is a JSON object (an empty body counts "
                "as `{}`); unknown keys are ignored. Every failure is JSON with a "
                "`failure_name` from one catalogue."
            )
        },
    )
    _register_field_types(plugin)
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    spec.components.security_scheme(
        "session",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": app.config["SESSION_COOKIE_NAME"],
            "description": "The cookie /api/authentication/login sets (and the web form's).",
        },
    )
    return spec, plugin


def build(app: Flask) -> dict:
    spec, plugin = new_spec(app)
    out_schemas: set[type[Schema]] = set()
    in_schemas: set[type[Schema]] = set()
    paths: dict[str, dict] = defaultdict(dict)
    for rule in api_rules(app):
        view = app.view_functions[rule.endpoint]
        path, parameters = _openapi_path(rule)
        for method in methods(rule):
            if hasattr(view, "envelope") and type(view.envelope) in FACES:
                operation = _endpoint_operation(app, plugin, rule, view)
                if view.load_schema is not None:
                    in_schemas.update(_reachable(view.load_schema))
                if view.dump_schema is not None:
                    out_schemas.update(_reachable(view.dump_schema))
            elif hasattr(view, "openapi"):
                operation = _plain_operation(rule, view)
            else:
                # Undescribed: tests/test_openapi.py fails on the missing route.
                continue
            if parameters:
                operation["parameters"] = parameters
            paths[path][method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)

    document = spec.to_dict()
    # An Out schema always dumps every field it declares: say so, so that a client (and
    # schemathesis) may rely on each one being present.
    components = document.get("components", {}).get("schemas", {})
    for schema in out_schemas - in_schemas:
        component = components.get(_schema_name(schema))
        if component is not None:
            component["required"] = list(component.get("properties", {}))
    return document


def _endpoint_operation(app: Flask, plugin: MarshmallowPlugin, rule, view) -> dict:
    face = FACES[type(view.envelope)]
    summary, _, details = (view.__doc__ or "").strip().partition("\n")
    out = plugin.converter.schema2jsonschema(view.dump_schema) if view.dump_schema else {}
    responses = {
        str(view.status): {
            "description": "Success.",
            "content": {JSON: {"schema": face.success(out)}},
        }
    }
    by_status = defaultdict(list)
    for failure in failures_of(app, rule, view):
        by_status[failure.status].append(failure)
    for status in sorted(by_status):
        group = by_status[status]
        responses[str(status)] = {
            "description": " ".join(f"`{f.failure_name}`: {f.message}" for f in group),
            "content": {JSON: {"schema": face.failure([f.failure_name for f in group])}},
        }
        if status == 429:
            responses[str(status)]["headers"] = {
                "Retry-After": {
                    "description": "Seconds until the limit resets.",
                    "schema": {"type": "integer"},
                }
            }
    security = [{"apiKey": []}, {"session": []}]
    if view.caller != REQUIRED:
        security.insert(0, {})
    operation = {
        "operationId": rule.endpoint,
        "summary": summary.strip(),
        "description": " ".join(details.split()),
        "tags": [_tag(rule.rule)],
        "security": security,
        "x-caller": view.caller,
        "responses": responses,
    }
    if view.load_schema is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {JSON: {"schema": view.load_schema}},
        }
    return operation


def _plain_operation(rule, view) -> dict:
    """A view that is not an @endpoint but says what it answers (`document` below)."""
    summary, _, details = (view.__doc__ or "").strip().partition("\n")
    content_type, schema = view.openapi
    return {
        "operationId": rule.endpoint,
        "summary": summary.strip(),
        "description": " ".join(details.split()),
        "tags": [_tag(rule.rule)],
        "security": [{}],
        "responses": {
            "200": {"description": "Success.", "content": {content_type: {"schema": schema}}}
        },
    }


def document(content_type: str, schema: dict) -> Callable:
    """Describe an /api view that is not an @endpoint by what its success returns."""

    def decorate(view):
        view.openapi = (content_type, schema)
        return view

    return decorate


def _tag(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 2 else "reference"


_CONVERTER_TYPES = {"int": "integer", "float": "number"}
_RULE_PART = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _openapi_path(rule) -> tuple[str, list[dict]]:
    """`/x/<int:id>` as `/x/{id}`, with its path parameters."""
    parameters = []
    for match in _RULE_PART.finditer(rule.rule):
        kind = _CONVERTER_TYPES.get(match["converter"] or "", "string")
        parameters.append(
            {"name": match["name"], "in": "path", "required": True, "schema": {"type": kind}}
        )
    return _RULE_PART.sub(lambda match: "{" + match["name"] + "}", rule.rule), parameters


def _rate_limited(app: Flask, rule, view) -> bool:
    """Whether any Flask-Limiter limit can apply to this view."""
    manager = limiter.limit_manager
    blueprint = rule.endpoint.rpartition(".")[0]
    return bool(
        manager.decorated_limits(get_qualified_name(view))
        or manager.application_limits
        or manager.default_limits
        or (blueprint and manager.blueprint_limits(app, blueprint))
    )


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__


def _reachable(schema) -> set[type[Schema]]:
    """A schema class and every schema class nested in it, at any depth."""
    cls = schema if isinstance(schema, type) else type(schema)
    found = {cls}
    for field in cls._declared_fields.values():
        while isinstance(field, fields.List):
            field = field.inner
        if isinstance(field, fields.Nested):
            found |= _reachable(type(field.schema))
    return found


# -- pastecms field types ---------------------------------------------------------------


def _register_field_types(plugin: MarshmallowPlugin) -> None:
    converter = plugin.converter
    # map_to_openapi_type writes into apispec's shared default mapping: give this
    # converter its own copy first.
    converter.field_mapping = dict(converter.field_mapping)
    plugin.map_to_openapi_type(UnixTime, "integer", None)
    plugin.map_to_openapi_type(Base64Bytes, "string", "byte")
    plugin.map_to_openapi_type(PasteId, None, None)
    converter.add_attribute_function(pastecms_field_properties)


def pastecms_field_properties(self, field, ret: dict, **kwargs) -> dict:
    """What the shared field types accept, beyond their OpenAPI type (an apispec hook)."""
    extra: dict = {}
    patterns = [v.regex.pattern for v in field.validators if isinstance(v, validate.Regexp)]
    if patterns:
        extra["pattern"] = ecma_pattern(patterns[0])
    if isinstance(field, Text) and not field.blank:
        # Required text: blank or whitespace-only is `incomplete_params_failure`.
        extra["minLength"] = max(ret.get("minLength", 0), 1)
        if not patterns:
            extra["pattern"] = r"\S"
    elif isinstance(field, Integer):
        extra["description"] = _join(ret.get("description"), "A numeric string is accepted too.")
    elif isinstance(field, UnixTime):
        extra["minimum"] = max(ret.get("minimum", 0), 0)
        extra["maximum"] = min(ret.get("maximum", MAX_UNIX_TIME), MAX_UNIX_TIME)
        extra["description"] = _join(ret.get("description"), "Unix seconds (UTC).")
    elif isinstance(field, PasteId):
        extra["oneOf"] = [
            {"type": "string", "minLength": 1, "maxLength": 64},
            {"type": "integer", "minimum": -INT64_MAX - 1, "maximum": INT64_MAX},
        ]
        extra["description"] = _join(
            ret.get("description"), "The public paste id (`paste_id_repr`)."
        )
    return extra


def ecma_pattern(pattern: str) -> str:
    """A marshmallow `Regexp` (Python `re.match`: anchored at the start; `\\Z` for the end)
    as an OpenAPI pattern (ECMA-262, unanchored)."""
    pattern = pattern.replace(r"\Z", "$")
    return pattern if pattern.startswith("^") else "^" + pattern


def _join(*texts) -> str:
    return " ".join(text for text in texts if text)


# -- the reference page -----------------------------------------------------------------


def reference(document: dict) -> list[dict]:
    """The description flattened for the HTML reference: per operation its parameters,
    success fields and failures, with every `$ref` resolved."""
    components = document.get("components", {}).get("schemas", {})
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get(JSON, {})
            responses = operation["responses"]
            success_status = min(responses, key=int)
            success = responses[success_status]
            success_content = next(iter(success["content"].items()))
            failures = [
                {
                    "status": status,
                    "names": response["content"][JSON]["schema"]["properties"]["failure_name"][
                        "enum"
                    ],
                    "description": response["description"],
                }
                for status, response in responses.items()
                if int(status) >= 400
            ]
            operations.append(
                {
                    "id": operation["operationId"].replace(".", "-"),
                    "method": method.upper(),
                    "path": path,
                    "tag": operation["tags"][0],
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "auth": _auth_text(operation),
                    "path_parameters": [
                        {"name": p["name"], "type": p["schema"]["type"], "required": True}
                        for p in operation.get("parameters", [])
                    ],
                    "parameters": list(_rows(body.get("schema"), components)) if body else [],
                    "success_status": success_status,
                    "success_type": success_content[0],
                    "success_fields": list(_rows(success_content[1]["schema"], components)),
                    "failures": failures,
                }
            )
    return operations


def _auth_text(operation: dict) -> str:
    security = operation.get("security", [])
    if not any(security):
        return "none"
    if {} in security:
        return "optional (an API key attributes the request to its user)"
    return "required: an API key or a signed-in session"


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _rows(schema: dict | None, components: dict, prefix: str = "") -> Iterator[dict]:
    if not schema:
        return
    schema = _resolve(schema, components)
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(prop, components) if set(prop) == {"$ref"} else prop
        yield {
            "name": prefix + name,
            "type": _type_text(prop, components),
            "required": name in required,
            "constraints": _constraints(prop),
            "description": prop.get("description", ""),
            "default": json.dumps(prop["default"]) if "default" in prop else "",
        }
        inner = prop.get("items", prop) if prop.get("type") == "array" else prop
        inner = _resolve(inner, components) if "$ref" in inner else inner
        if inner.get("properties") and inner is not schema:
            suffix = "[]." if prop.get("type") == "array" else "."
            yield from _rows(inner, components, prefix + name + suffix)


def _type_text(prop: dict, components: dict) -> str:
    if "anyOf" in prop or "oneOf" in prop:
        text = " | ".join(
            _type_text(_resolve(p, components), components)
            for p in prop.get("anyOf", prop.get("oneOf"))
        )
    elif prop.get("type") == "array":
        text = "array of " + _type_text(_resolve(prop.get("items", {}), components), components)
    else:
        text = prop.get("type", "any")
        if prop.get("format"):
            text += f" ({prop['format']})"
    if prop.get("nullable"):
        text += " | null"
    return text


def _constraints(prop: dict) -> str:
    parts = []
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "min"),
        ("maximum", "max"),
        ("pattern", "pattern"),
    ):
        if key in prop:
            parts.append(f"{label} {prop[key]}")
    if "enum" in prop:
        parts.append("one of " + ", ".join(json.dumps(value) for value in prop["enum"]))
    return "; ".join(parts)
