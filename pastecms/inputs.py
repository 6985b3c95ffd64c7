"""Reading a request's input: webargs, taught where each face's clients put their values.

A view's In schema is loaded from one location, named as webargs names them:

- `json`: the body as one JSON object. An empty body is `{}`; a body sent with another
  Content-Type is an `incomplete_params_failure`, and one that is not a single
  well-formed JSON object an `invalid_params_failure`.
- `query`, `form`, `view_args` (the URL's path parameters): as webargs reads them.
- `form_and_files`: a form with its file uploads (multipart).
- `query_and_body`: the query string, the file uploads of a multipart body, and the raw
  body of any other as the bytes under `body` (what `curl --data-binary` sends).
- `params`: the query string, a form body and a JSON body together, for clients that
  send the same request either way. Repeated keys and JSON lists reach a list field as
  every value given; any other field takes one value, from the body before the query.
- `params_any_json`: `params`, with a body that is a JSON object read as JSON whatever its
  Content-Type, for a face whose original server decodes it so (browsers send a string
  body as text/plain).

A schema's complaint becomes the named params failure (`params_failure`).
"""

import json
from collections.abc import Iterator, Mapping

from flask import Request
from marshmallow import Schema, ValidationError, missing
from marshmallow.fields import List, Tuple
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict, MultiDict

from pastecms.errors import Failure, IncompleteParamsFailure, InvalidParamsFailure
from pastecms.schemas.fields import INCOMPLETE_MESSAGES


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def json_object(request: Request) -> dict:
    """The request body as a JSON object; an empty body is an empty object.

    Raises `IncompleteParamsFailure` for a non-JSON Content-Type and
    `InvalidParamsFailure` for a body that is not one well-formed JSON object.
    """
    body = request.get_data(cache=True)
    if not body.strip():
        return {}
    if not request.is_json:
        raise IncompleteParamsFailure(
            "The request body must be JSON, sent with Content-Type: application/json."
        )
    return _one_object(body)


def _one_object(body: bytes) -> dict:
    """`body` parsed as one JSON object; `InvalidParamsFailure` when it is not one."""
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise InvalidParamsFailure("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise InvalidParamsFailure("The JSON body must be an object.")
    return value


def json_whatever_type(request: Request) -> dict:
    """The body as a JSON object when it is one, whatever its Content-Type (a browser's
    `fetch` with a string body sends text/plain); a form's body, or one that does not
    start as an object, is no JSON: an empty object. `InvalidParamsFailure` for a body
    that starts as an object but is not one well-formed JSON object."""
    if request.is_json:
        return json_object(request)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {}
    body = request.get_data(cache=True)
    return _one_object(body) if body.lstrip().startswith(b"{") else {}


_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_NO_FORM = ImmutableMultiDict()


def _form(request: Request) -> MultiDict:
    """`request.form`, without making a form parser for a request that carries no body
    and names no form type (a widget's GET): Werkzeug gives such a request an empty form,
    after Flask has read four settings for the parser through the app's proxy."""
    if request.content_length or request.mimetype in _FORM_TYPES:
        return request.form
    return _NO_FORM


class Params(Mapping):
    """The query string, form and JSON body of a request read as one mapping (the
    `params` location; `params_any_json` reads a JSON body whatever its Content-Type)."""

    def __init__(self, request: Request, multiple: frozenset, *, any_json: bool = False):
        if any_json:
            self._json = json_whatever_type(request)
        else:
            self._json = json_object(request) if request.is_json else {}
        # Lowest precedence first: a body value wins over the query's for a single field.
        self._sources = (request.args, _form(request))
        self._multiple = multiple

    def __getitem__(self, key):
        if key in self._multiple:
            values = [v for source in self._sources for v in source.getlist(key)]
            if key in self._json:
                given = self._json[key]
                values.extend(given if isinstance(given, list) else [given])
            if not values:
                raise KeyError(key)
            return values
        if key in self._json:
            return self._json[key]
        for source in reversed(self._sources):
            if key in source:
                return source[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator:
        seen = dict.fromkeys(self._json)
        for source in self._sources:
            seen.update(dict.fromkeys(source.keys()))
        return iter(seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class RequestParser(FlaskParser):
    """webargs' Flask parser with pastecms's JSON rules, the `params` and
    `form_and_files` locations, and failures named from the catalogue."""

    def __init__(self):
        # unknown=None: each schema says itself what an unknown key means.
        super().__init__(unknown=None)
        self.location_loader("params")(self.load_params)
        self.location_loader("params_any_json")(self.load_params_any_json)
        self.location_loader("form_and_files")(self.load_form_and_files)
        self.location_loader("query_and_body")(self.load_query_and_body)

    def load_json(self, req: Request, schema: Schema):
        return json_object(req)

    def load_params(self, req: Request, schema: Schema):
        return Params(req, _multiple_keys(schema))

    def load_params_any_json(self, req: Request, schema: Schema):
        return Params(req, _multiple_keys(schema), any_json=True)

    def load_form_and_files(self, req: Request, schema: Schema):
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)

    def load_query_and_body(self, req: Request, schema: Schema):
        # The raw body first (cached): reading a form afterwards parses the cached bytes.
        body = b"" if req.mimetype == "multipart/form-data" else req.get_data(cache=True)
        values = [*req.args.items(multi=True), *req.files.items(multi=True)]
        if body:
            values.append(("body", body))
        return MultiDictProxy(MultiDict(values), schema)

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        # webargs files the messages under the location they came from: {"json": {...}}.
        (messages,) = error.messages.values()
        raise params_failure(ValidationError(messages))


parser = RequestParser()


def load(schema: Schema, location: str, request: Request) -> dict:
    """`schema` loaded from `location` of `request`; a params failure when it does not."""
    data = parser.parse(schema, request, location=location)
    return data if data is not missing else {}


def _multiple_keys(schema: Schema) -> frozenset:
    """The wire names of the fields that take every value given (lists), as webargs
    decides it for a multidict."""
    return frozenset(
        field.data_key or name
        for name, field in schema.fields.items()
        if getattr(field, "is_multiple", isinstance(field, List | Tuple))
    )


def params_failure(error: ValidationError) -> Failure:
    """A schema's complaint as a named failure: missing or blank values are
    `incomplete_params_failure`, anything else `invalid_params_failure`. `details` maps
    each field to what is wrong; `missing` lists the fields that were not given."""
    problems = list(_flatten(error.messages))
    incomplete = all(message in INCOMPLETE_MESSAGES for _, message in problems)
    cls = IncompleteParamsFailure if incomplete else InvalidParamsFailure
    text = "; ".join(f"{field}: {message}" if field else message for field, message in problems)
    failure = cls(text[:500], details={field or "_": message for field, message in problems})
    failure.missing = [field for field, message in problems if message in INCOMPLETE_MESSAGES]
    return failure


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
