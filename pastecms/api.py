"""`@endpoint`: the one request path every API view goes through.

It reads the body through the face's envelope, validates it with the In schema, resolves
the caller, runs the view (one service call), dumps the result with the Out schema,
commits once, and wraps the body in the envelope. A `Failure` anywhere rolls back and is
rendered by the same envelope; a view never builds a response or catches an error itself.
"""

import functools
from collections.abc import Callable
from typing import Any, Protocol

from flask import Request, Response, request, session
from marshmallow import Schema, ValidationError, fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import get_value
from sqlalchemy.exc import IntegrityError

from pastecms.errors import (
    ConflictFailure,
    Failure,
    IncompleteParamsFailure,
    InvalidParamsFailure,
)
from pastecms.extensions import db
from pastecms.schemas.fields import INCOMPLETE_MESSAGES
from pastecms.services import auth

OPTIONAL = "optional"
REQUIRED = "required"


class Envelope(Protocol):
    """A face's wire dialect: how it reads input and wraps successes and failures."""

    def read(self, request: Request) -> dict: ...

    def success(self, body: dict, status: int) -> Response: ...

    def failure(self, failure: Failure) -> Response: ...


def endpoint(
    envelope: Envelope,
    *,
    load: type[Schema] | None = None,
    dump: type[Schema] | None = None,
    status: int = 200,
    caller: str = OPTIONAL,
    failures: tuple[type[Failure], ...] = (),
) -> Callable:
    """Decorate a view `view(data, caller, **url_args)`; see the module docstring.

    With `caller=REQUIRED` an anonymous request is an `auth_failure` before the view runs.
    `failures` lists the refusals particular to this view (the generic ones every endpoint
    can answer are added by the OpenAPI description). Schemas are instantiated once here,
    not per request.
    """
    # A view that reads no fields still reads its face's credentials (`api_key`), and
    # they are validated like any field: a hostile key is a params failure, never a 500.
    load = load or getattr(envelope, "base_schema", None)
    load_schema = load() if load else None
    dump_schema = dump() if dump else None
    dump_body = compile_dump(dump_schema) if dump_schema else None

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(**url_args):
            try:
                data = _load(load_schema, envelope.read(request))
                who = auth.resolve(**_credentials(data))
                if caller == REQUIRED:
                    auth.require(who)
                result = view(data, who, **url_args)
                # Commit before dumping: a write holds SQLite's one write lock until the
                # commit, and every other worker's write waits for it (sleeping 1 ms or
                # more in SQLite's busy handler), so nothing may run between the two that
                # need not. The session does not expire what it commits, so dumping reads
                # the committed values without another query.
                db.session.commit()
            except Failure as failure:
                db.session.rollback()
                return envelope.failure(failure)
            except IntegrityError:
                # Two requests racing for one unique name: the loser learns it here.
                db.session.rollback()
                return envelope.failure(ConflictFailure())
            body = dump_body(result) if dump_body else (result or {})
            return envelope.success(body, status)

        wrapper.envelope = envelope
        wrapper.load_schema = load
        wrapper.dump_schema = dump
        wrapper.caller = caller
        wrapper.failures = tuple(failures)
        wrapper.status = status
        return wrapper

    return decorate


def _load(schema: Schema | None, raw: dict) -> dict:
    if schema is None:
        return {key: raw[key] for key in ("api_key",) if key in raw}
    try:
        return schema.load(raw)
    except ValidationError as error:
        raise params_failure(error) from None


def _credentials(data: dict) -> dict:
    api_key = data.pop("api_key", None)
    if api_key is None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            api_key = value.strip()
    # An empty session (no cookie) is not read, so it is not marked as accessed either.
    user_id = session.get("user_id") if session else None
    return {
        "api_key": api_key,
        "session_user_id": user_id if isinstance(user_id, int) else None,
    }


def params_failure(error: ValidationError) -> Failure:
    """A schema's complaint as a named failure: missing or blank values are
    `incomplete_params_failure`, anything else `invalid_params_failure`."""
    problems = list(_flatten(error.messages))
    incomplete = all(message in INCOMPLETE_MESSAGES for _, message in problems)
    cls = IncompleteParamsFailure if incomplete else InvalidParamsFailure
    text = "; ".join(f"{field}: {message}" if field else message for field, message in problems)
    return cls(text[:500], details={field or "_": message for field, message in problems})


def _flatten(messages, field: str = ""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            yield from _flatten(value, f"{field}.{name}" if field and name else field or name)
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _flatten(item, field)
    else:
        yield field, str(messages)


def compile_dump(schema: Schema) -> Callable[[Any], Any]:
    """`schema.dump`, with marshmallow's per-object, per-field dispatch worked out once.

    marshmallow resolves accessors, defaults and nested schemas anew for every field of
    every object, which on a page of twenty pastes takes longer than reading them from the
    database. The function returned walks the same `dump_fields` in the same order and
    converts each value with the field's own `_serialize`, recursing into `Nested` and
    `List(Nested)`, so the output is the same; anything it does not model (dump hooks, a
    custom accessor or dict class, a field overriding `serialize` or `get_value`) falls
    back to marshmallow itself.
    """
    dump_one = _compile_schema(schema)
    if dump_one is None:
        return schema.dump
    if not schema.many:
        return dump_one
    return lambda objs: dump_one(objs) if objs is None else [dump_one(obj) for obj in objs]


def _compile_schema(schema: Schema) -> Callable[[Any], dict] | None:
    if (
        schema._hooks[PRE_DUMP]
        or schema._hooks[POST_DUMP]
        or type(schema).get_attribute is not Schema.get_attribute
        or schema.dict_class is not dict
    ):
        return None
    steps = [
        (name if field.data_key is None else field.data_key, _compile_field(schema, name, field))
        for name, field in schema.dump_fields.items()
    ]

    def dump_one(obj) -> dict:
        result = {}
        for key, serialize in steps:
            value = serialize(obj)
            if value is not missing:
                result[key] = value
        return result

    return dump_one


def _compile_field(schema: Schema, name: str, field: fields.Field) -> Callable[[Any], Any]:
    def generic(obj):
        return field.serialize(name, obj, accessor=schema.get_attribute)

    if type(field).serialize is not fields.Field.serialize or (
        type(field).get_value is not fields.Field.get_value
    ):
        return generic
    if type(field)._serialize is fields.Method._serialize and field._serialize_method:
        return field._serialize_method  # the schema's method, called with the object
    convert = _compile_value(field, name)
    if convert is None:
        return generic
    if not field._CHECK_ATTRIBUTE:  # Function: it reads the object itself
        return lambda obj: convert(None, obj)
    key = name if field.attribute is None else field.attribute
    default = field.dump_default
    dotted = "." in key
    same = _unchanged_type(field)

    def serialize(obj):
        # marshmallow's `utils.get_value`, minus its detour for plain objects.
        if dotted or _reads_by_key(type(obj)):
            value = get_value(obj, key, missing)
        else:
            value = getattr(obj, key, missing)
        if value is missing:
            value = default() if callable(default) else default
            if value is missing:
                return missing
        if same is not None and (value is None or type(value) is same):
            return value  # what `convert` would return, one call sooner
        return convert(value, obj)

    return serialize


@functools.cache
def _reads_by_key(cls: type) -> bool:
    """Whether marshmallow reads fields of `cls` objects by key rather than by attribute;
    asked of the class once, as `hasattr` on every object costs a raised AttributeError."""
    return hasattr(cls, "__getitem__")


def _compile_value(field: fields.Field, name: str) -> Callable[[Any, Any], Any] | None:
    """How `field._serialize` converts a value, with nested schemas compiled too."""
    if isinstance(field, fields.Nested) and type(field)._serialize is fields.Nested._serialize:
        nested = field.schema
        dump_one = _compile_schema(nested)
        if dump_one is None:
            return None
        if nested.many or field.many:
            return lambda value, obj: None if value is None else [dump_one(v) for v in value]
        return lambda value, obj: None if value is None else dump_one(value)
    if isinstance(field, fields.List) and type(field)._serialize is fields.List._serialize:
        inner = _compile_value(field.inner, name)
        if inner is None:
            return None
        return lambda value, obj: None if value is None else [inner(v, obj) for v in value]
    convert = field._serialize
    same = _unchanged_type(field)
    if same is not None:
        return lambda value, obj: (
            value if value is None or type(value) is same else convert(value, name, obj)
        )
    return lambda value, obj: convert(value, name, obj)


_UNCHANGED = {fields.String: str, fields.Integer: int, fields.Boolean: bool}


def _unchanged_type(field: fields.Field) -> type | None:
    """The type whose values (and None) `field` dumps as they are: a str for a String, an
    int for an Integer, a bool for a Boolean; None for any other field."""
    if getattr(field, "as_string", False):
        return None
    return _UNCHANGED.get(type(field))
