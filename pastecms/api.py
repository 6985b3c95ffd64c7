"""`@endpoint`: the one request path every API view goes through.

It reads the body through the face's envelope, validates it with the In schema, resolves
the caller, runs the view (one service call), dumps the result with the Out schema,
commits once, and wraps the body in the envelope. A `Failure` anywhere rolls back and is
rendered by the same envelope; a view never builds a response or catches an error itself.
"""

import functools
from collections.abc import Callable
from typing import Protocol

from flask import Request, Response, request, session
from marshmallow import Schema, ValidationError
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
    load_schema = load() if load else None
    dump_schema = dump() if dump else None

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(**url_args):
            try:
                data = _load(load_schema, envelope.read(request))
                who = auth.resolve(**_credentials(data))
                if caller == REQUIRED:
                    auth.require(who)
                result = view(data, who, **url_args)
                body = dump_schema.dump(result) if dump_schema else (result or {})
                db.session.commit()
            except Failure as failure:
                db.session.rollback()
                return envelope.failure(failure)
            except IntegrityError:
                # Two requests racing for one unique name: the loser learns it here.
                db.session.rollback()
                return envelope.failure(ConflictFailure())
            return envelope.success(body, status)

        wrapper.envelope = envelope
        wrapper.load_schema = load
        wrapper.dump_schema = dump
        wrapper.caller = caller
        wrapper.failures = tuple(failures)
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
    user_id = session.get("user_id") if request.cookies else None
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
