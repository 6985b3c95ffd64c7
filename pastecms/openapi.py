"""The API's OpenAPI 3 description, generated, never written by hand.

It walks `app.url_map`, reads what `@endpoint` recorded on each view (envelope, In and
Out schemas and where the input is read from, caller, failures, rate limits, success
status), converts the schemas with apispec's marshmallow plugin, and asks each view's
envelope how its face wraps a success and writes a failure, and with which HTTP status.
Every route gets one response per status; a failure's `failure_name` is an enum of
exactly the names that route can answer with there. Faces are found through the
envelopes the app registered; this module names none. The document is built once per
app, on first use, and cached in `app.extensions`.
"""

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app
from marshmallow import Schema, fields, validate

from pastecms.api import OPTIONAL, envelopes
from pastecms.app_cache import app_cache
from pastecms.errors import (
    AuthFailure,
    Failure,
    IncompleteParamsFailure,
    InvalidParamsFailure,
    MethodNotAllowedFailure,
    PayloadTooLargeFailure,
    RateLimitFailure,
    ServiceUnavailableFailure,
    TokenExpiredFailure,
    UndefinedFailure,
)
from pastecms.schemas.fields import (
    INT64_MAX,
    MAX_UNIX_TIME,
    Base64Bytes,
    Integer,
    PasteId,
    Text,
    UnixTime,
)

OPENAPI_VERSION = "3.0.3"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

#: Failures any endpoint can answer, whatever it declares: input that is missing,
#: malformed or too large, a credential that is not valid or has expired, a wrong verb
#: on its path, and the unexpected. A view's own `failures` and its rate limit are added.
GENERIC_FAILURES: tuple[type[Failure], ...] = (
    IncompleteParamsFailure,
    InvalidParamsFailure,
    AuthFailure,
    TokenExpiredFailure,
    MethodNotAllowedFailure,
    PayloadTooLargeFailure,
    UndefinedFailure,
)

#: The credentials every face accepts; a face adds its own (`Envelope.security_schemes`).
SECURITY_SCHEMES = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "An API key or a JWT access token from `POST /api/auth/auth`, sent as "
            "`Authorization: Bearer <key>`. The paste face also takes the key as `api_key` "
            "in the JSON body. A credential that is given but not valid is an "
            "`auth_failure`, never a silent fall back to anonymous; an expired access "
            "token is a `token_expired_failure` (HTTP 440): renew it and retry."
        ),
    },
}


# -- the app's description --------------------------------------------------------------


def description(app: Flask | None = None) -> dict:
    """The app's OpenAPI document (a dict), built on first use and cached per app."""
    app = app or current_app._get_current_object()

    def built() -> dict:
        with app.app_context():
            return build(app)

    return app_cache("openapi", built, app)


def described_rules(app: Flask) -> Iterator:
    """Every URL rule whose view is described, in a stable order: the API faces'
    endpoints and the views that say what they answer (`document`)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint)):
        view = app.view_functions[rule.endpoint]
        if hasattr(view, "openapi") or (hasattr(view, "envelope") and view.envelope.in_openapi):
            yield rule


def methods(rule) -> list[str]:
    """The verbs a rule documents: Flask's automatic HEAD and OPTIONS are left out."""
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def failures_of(app: Flask, view) -> list[type[Failure]]:
    """Every failure one @endpoint view can answer with: generic ones, its own, 429."""
    found = [*GENERIC_FAILURES, *view.failures]
    if view.path_schema is not None:
        found.append(view.path_failure)
    if view.limits:
        found.append(RateLimitFailure)
        if app.config.get("RATELIMIT_FAIL_CLOSED"):
            found.append(ServiceUnavailableFailure)
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
                "shape each response. Each face speaks its own wire dialect (its success "
                "and failure bodies are described per route); every failure carries a "
                "`failure_name` from one catalogue. Unknown keys are ignored."
            )
        },
    )
    _register_field_types(plugin)
    schemes = dict(SECURITY_SCHEMES)
    schemes["session"] = {
        "type": "apiKey",
        "in": "cookie",
        "name": app.config["SESSION_COOKIE_NAME"],
        "description": "The cookie /api/authentication/login sets (and the web form's).",
    }
    for envelope in envelopes(app):
        schemes.update(envelope.security_schemes)
        if envelope.in_openapi:
            spec.tag({"name": envelope.name, "description": envelope.title})
    for name, scheme in schemes.items():
        spec.components.security_scheme(name, scheme)
    return spec, plugin


def build(app: Flask) -> dict:
    spec, plugin = new_spec(app)
    out_schemas: set[type[Schema]] = set()
    in_schemas: set[type[Schema]] = set()
    paths: dict[str, dict] = defaultdict(dict)
    for rule in described_rules(app):
        view = app.view_functions[rule.endpoint]
        path = _openapi_path(rule)
        for method in methods(rule):
            if hasattr(view, "envelope"):
                operation = _endpoint_operation(app, plugin, rule, view, method)
                if view.load_schema is not None:
                    in_schemas.update(_reachable(view.load_schema))
                if view.dump_schema is not None:
                    out_schemas.update(_reachable(view.dump_schema))
            else:
                operation = _plain_operation(rule, view)
                operation["parameters"] = _path_parameters(rule)
            if not operation.get("parameters"):
                operation.pop("parameters", None)
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


def _endpoint_operation(app: Flask, plugin: MarshmallowPlugin, rule, view, method) -> dict:
    envelope = view.envelope
    summary, _, details = (view.__doc__ or "").strip().partition("\n")
    out = plugin.converter.schema2jsonschema(view.dump_schema) if view.dump_schema else {}
    success = envelope.describe_success(out)
    by_status = defaultdict(list)
    for failure in failures_of(app, view):
        by_status[envelope.status_of(failure)].append(failure)
    # A view that answers a file says so (`success_media`): its success is that type.
    media = getattr(view, "success_media", None)
    responses = {}
    for status in sorted({view.status, *by_status}):
        group = by_status.get(status, [])
        bodies = [envelope.describe_failure([f.failure_name for f in group])] if group else []
        texts = [f"`{f.failure_name}`: {f.message}" for f in group]
        content = {}
        if status == view.status:
            texts.insert(0, "Success.")
            if media is not None:
                content[media[0]] = {"schema": media[1]}
            else:
                bodies.insert(0, success)
        if bodies:
            content[JSON] = {"schema": bodies[0] if len(bodies) == 1 else {"oneOf": bodies}}
        responses[str(status)] = {"description": " ".join(texts), "content": content}
        if any(f is RateLimitFailure for f in group):
            responses[str(status)]["headers"] = {
                "Retry-After": {
                    "description": "Seconds until the limit resets.",
                    "schema": {"type": "integer"},
                }
            }
    security = [{"apiKey": []}, {"session": []}]
    security += [{name: []} for name in envelope.security_schemes]
    if view.caller == OPTIONAL:
        security.insert(0, {})
    operation = {
        "operationId": rule.endpoint if len(methods(rule)) == 1 else f"{rule.endpoint}.{method}",
        "summary": summary.strip(),
        "description": " ".join(details.split()),
        "tags": [envelope.name],
        "security": security,
        "x-caller": view.caller,
        "responses": responses,
        "parameters": _path_parameters(rule, plugin, view.path_schema),
    }
    if view.load_schema is not None:
        location = view.location or envelope.input_location(method)
        _describe_input(plugin, operation, view.load_schema, location, method)
    return operation


def _describe_input(plugin, operation: dict, schema, location: str, method: str) -> None:
    """Document a view's In schema where the request carries it."""
    if location == "params_any_json":
        location = "params"  # its JSON body under another Content-Type goes undescribed
    if location == "params":
        location = "query" if method in ("GET", "DELETE") else "params"
    if location in ("query", "headers"):
        where = "query" if location == "query" else "header"
        operation["parameters"] += plugin.converter.schema2parameters(schema, location=where)
        return
    content_types = {
        "json": [JSON],
        "form": [FORM],
        "form_and_files": [MULTIPART],
        "params": [FORM, JSON],
    }[location]
    operation["requestBody"] = {
        "required": False,
        "content": {content_type: {"schema": schema} for content_type in content_types},
    }


def _plain_operation(rule, view) -> dict:
    """A view that is not an @endpoint but says what it answers (`document` below)."""
    summary, _, details = (view.__doc__ or "").strip().partition("\n")
    content_type, schema = view.openapi
    return {
        "operationId": rule.endpoint,
        "summary": summary.strip(),
        "description": " ".join(details.split()),
        "tags": ["reference"],
        "security": [{}],
        "responses": {
            "200": {"description": "Success.", "content": {content_type: {"schema": schema}}}
        },
    }


def success_media(content_type: str, schema: dict) -> Callable:
    """Describe an @endpoint view whose success is not a JSON body (a file): placed
    between the route decorator and `@endpoint`."""

    def decorate(view):
        view.success_media = (content_type, schema)
        return view

    return decorate


def document(content_type: str, schema: dict) -> Callable:
    """Describe an /api view that is not an @endpoint by what its success returns."""

    def decorate(view):
        view.openapi = (content_type, schema)
        return view

    return decorate


_CONVERTER_TYPES = {"int": "integer", "float": "number"}
_RULE_PART = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _openapi_path(rule) -> str:
    """`/x/<int:id>` as `/x/{id}`."""
    return _RULE_PART.sub(lambda match: "{" + match["name"] + "}", rule.rule)


def _path_parameters(rule, plugin=None, schema=None) -> list[dict]:
    """The rule's path parameters: from the view's path schema when it has one."""
    if schema is not None:
        return plugin.converter.schema2parameters(schema, location="path")
    return [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": {"type": _CONVERTER_TYPES.get(match["converter"] or "", "string")},
        }
        for match in _RULE_PART.finditer(rule.rule)
    ]


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__


def _reachable(schema) -> set[type[Schema]]:
    """A schema class and every schema class nested in it, at any depth."""
    cls = schema if isinstance(schema, type) else type(schema)
    found = {cls}
    for field in cls().fields.values():
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
    faces = {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body_types = operation.get("requestBody", {}).get("content", {})
            body_type = next(iter(body_types), None)
            success, failures = _outcomes(operation["responses"], components)
            parameters = operation.get("parameters", [])
            operations.append(
                {
                    "id": operation["operationId"].replace(".", "-"),
                    "method": method.upper(),
                    "path": path,
                    "tag": operation["tags"][0],
                    "face": faces.get(operation["tags"][0], ""),
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "auth": _auth_text(operation),
                    "path_parameters": [
                        {"name": p["name"], "type": _type_text(p["schema"], components)}
                        for p in parameters
                        if p["in"] == "path"
                    ],
                    "query_parameters": [
                        {
                            "name": p["name"],
                            "type": _type_text(p["schema"], components),
                            "required": p.get("required", False),
                            "constraints": _constraints(p["schema"]),
                            "description": p.get("description", "")
                            or p["schema"].get("description", ""),
                            "default": json.dumps(p["schema"]["default"])
                            if "default" in p["schema"]
                            else "",
                        }
                        for p in parameters
                        if p["in"] == "query"
                    ],
                    "body_types": list(body_types),
                    "parameters": list(_rows(body_types[body_type]["schema"], components))
                    if body_type
                    else [],
                    **success,
                    "failures": failures,
                }
            )
    return operations


def _outcomes(responses: dict, components: dict) -> tuple[dict, list[dict]]:
    """An operation's success (status, content type, fields) and its failures per status.
    A face that answers failures with its success status lists both under one status."""
    success: dict = {}
    failures = []
    for status, response in responses.items():
        content_type, media = next(iter(response["content"].items()))
        schema = media["schema"]
        for body in schema.get("oneOf", [schema]):
            body = _resolve(body, components)
            names = body.get("properties", {}).get("failure_name", {}).get("enum")
            if names:
                description = response["description"].removeprefix("Success. ")
                failures.append({"status": status, "names": names, "description": description})
            elif not success:
                success = {
                    "success_status": status,
                    "success_type": content_type,
                    "success_fields": list(_rows(body, components)),
                }
    return success, failures


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
