"""`@endpoint`: the one request path every view goes through, and the `Envelope` protocol.

A request is handled in this order: its credentials are screened (a JWT bearer that has
expired is refused before anything is read), its input is loaded with the view's In
schema from where the face's clients send it (`pastecms.inputs`), the caller is resolved
and checked (`services.auth`), a kept answer is sent if the view keeps them and one is
current (`pastecms.queries.answers`), else the view runs (one service call), the transaction
commits, and the result is dumped with the Out schema and wrapped by the face's envelope
(and kept, for a view that keeps them). A `Failure`
anywhere rolls back and is rendered by the same envelope; a view never builds an error
response or catches a failure itself.

A face is an `Envelope`: it knows its URL prefix, where its clients put their input and
their API key, how it wraps a success and writes a failure (with which HTTP status), and
how to describe all of that in OpenAPI. This module, `openapi.py` and the services never
name a face; faces register themselves with the app through their blueprints.
"""

import functools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import replace

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    current_app,
    request,
    session,
    stream_with_context,
)
from marshmallow import Schema
from sqlalchemy.exc import DBAPIError, IntegrityError

from pastecms import database, inputs, metrics, ratelimit
from pastecms.errors import (
    ConflictFailure,
    Failure,
    IncompleteParamsFailure,
    InvalidParamsFailure,
    NotFoundFailure,
)
from pastecms.extensions import db
from pastecms.queries import answers
from pastecms.ratelimit import RateLimit
from pastecms.services.identity import auth

OPTIONAL = "optional"
REQUIRED = "required"
ADMIN = "admin"

_REGISTRY = "pastecms.envelopes"
#: Requests that change nothing the client can tell apart when run twice: the ones a
#: connection found dead may run again (a view counted by a read that failed before its
#: COMMIT was never kept).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Envelope:
    """A face's wire dialect. Subclasses set the class attributes and write `success` and
    `failure`; the OpenAPI description asks them how to document their routes."""

    #: Short name, used to tag the face's routes in the API description.
    name = "api"
    #: What the reference page calls the face.
    title = ""
    #: URL prefix of the face's routes: app-level failures (404, 405, 413, 429, 500) on
    #: a path under it are written by this envelope (the longest matching prefix wins).
    prefix = ""
    #: Where the face's clients send a view's input: an `inputs` location.
    location = "json"
    #: Name of the request parameter in which the face's clients may send an API key.
    credential_param: str | None = None
    #: What a view without an In schema still loads (the credential parameter, say).
    base_schema: type[Schema] | None = None
    #: Rate limits on every route of the face.
    limits: tuple[RateLimit, ...] = ()
    #: Whether the face's routes are described in the OpenAPI document.
    in_openapi = True
    #: Whether the face's forms carry a CSRF token that is checked (the web face); on
    #: every other face a session cookie only counts on requests no other site can make.
    checks_csrf = False
    #: Whether a session cookie signs a caller in on this face at all.
    reads_session = True
    #: Origins that may call the face from a browser on another site (CORS), answered on
    #: every response under its prefix, failures included; None: same-origin only.
    cors_origins: str | list[str] | None = None

    def input_location(self, method: str) -> str:
        """Where a view's input comes from for requests with `method`."""
        return self.location

    def cors(self, app: Flask) -> dict | None:
        """flask-cors options for every path under the face's prefix in `app`, or None
        for none. By default from `cors_origins`; `"*"` is sent as such, with no cookies."""
        if not self.cors_origins:
            return None
        return {
            "origins": self.cors_origins,
            "send_wildcard": self.cors_origins == "*",
            "supports_credentials": False,
        }

    def status_of(self, failure: Failure) -> int:
        """The HTTP status a failure is answered with on this face's wire."""
        return failure.status

    def success(self, body, status: int) -> Response:
        raise NotImplementedError

    def failure(self, failure: Failure) -> Response:
        raise NotImplementedError

    # -- OpenAPI ---------------------------------------------------------------------

    #: Security schemes for the credentials this face accepts beyond the bearer and the
    #: session cookie that every face takes (OpenAPI `components.securitySchemes`).
    security_schemes: dict = {}

    def describe_success(self, out: dict) -> dict:
        """The JSON schema of a success body, given the Out schema's (may be empty)."""
        return out

    def describe_failure(self, names: list[str]) -> dict:
        """The JSON schema of a failure body whose `failure_name` is one of `names`."""
        raise NotImplementedError

    # -- wiring ----------------------------------------------------------------------

    def blueprint(self, name: str, import_name: str, **options) -> Blueprint:
        """A blueprint for this face's views: registering it registers the envelope."""
        bp = Blueprint(name, import_name, **options)
        bp.record_once(lambda state: register_envelope(state.app, self))
        return bp

    def json_response(self, body, status: int, headers: dict | None = None) -> Response:
        response = current_app._get_current_object().json.response(body)
        response.status_code = status
        if headers:
            response.headers.update(headers)
        return response


class PlainJSON(Envelope):
    """Failures on a path no face claims: `{"failure_name", "message"}`."""

    name = "app"

    def success(self, body, status: int) -> Response:
        return self.json_response(body, status)

    def failure(self, failure: Failure) -> Response:
        body = {"failure_name": failure.failure_name, "message": failure.message}
        return self.json_response(body, self.status_of(failure), failure.headers)

    def describe_failure(self, names: list[str]) -> dict:
        return {
            "type": "object",
            "properties": {
                "failure_name": {"type": "string", "enum": names},
                "message": {"type": "string"},
            },
            "required": ["failure_name", "message"],
        }


_FALLBACK = PlainJSON()


def register_envelope(app: Flask, envelope: Envelope) -> None:
    found = app.extensions.setdefault(_REGISTRY, [])
    if envelope not in found:
        found.append(envelope)
        # Longest prefix first, so the first match is the most specific face.
        found.sort(key=lambda registered: len(registered.prefix), reverse=True)


def envelopes(app: Flask) -> list[Envelope]:
    """The registered envelopes, most specific prefix first."""
    return list(app.extensions.get(_REGISTRY, []))


def envelope_for(path: str) -> Envelope:
    """The envelope of the face whose prefix is the longest that `path` starts with."""
    for envelope in current_app.extensions.get(_REGISTRY, ()):
        prefix = envelope.prefix
        if not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            return envelope
    return _FALLBACK


def answer_failure(failure: Failure) -> Response:
    """The app-level answer to `failure`: written by the envelope of the face that owns
    the request's path, and noted for the metrics."""
    metrics.note_failure(failure)
    return envelope_for(request.path).failure(failure)


def endpoint(
    envelope: Envelope,
    *,
    load: type[Schema] | None = None,
    path: type[Schema] | None = None,
    path_failure: type[Failure] = NotFoundFailure,
    location: str | None = None,
    dump: type[Schema] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    caller: str = OPTIONAL,
    failures: tuple[type[Failure], ...] = (),
    limits: tuple[RateLimit, ...] = (),
    cache_by: Callable[[], object] | None = None,
    cache_for: Callable[[auth.Caller], Hashable] | None = None,
) -> Callable:
    """Decorate a view `view(data, caller)`; see the module docstring.

    `load` is read from `location` (by default where the face's clients send input for
    the request's verb) and `path` from the URL's path parameters; both land in `data`.
    A path that does not validate names nothing: it is answered with `path_failure`.
    `caller=REQUIRED` refuses an anonymous request, `caller=ADMIN` anyone but an admin,
    before the view runs. `failures` lists the refusals particular to this view (the
    OpenAPI description adds those every endpoint can answer). `limits` adds rate limits
    to the face's own. `headers` are added to a success (a Cache-Control, say). A view
    that returns a `Response` (a file, a redirect) has it sent as it is, after the commit.
    `cache_by` keeps successes whole while the version it reads is unchanged
    (`pastecms.queries.answers`): only for reads whose answer is the same for every caller they
    admit, or, with `cache_for`, for every caller of the same audience (`cache_for(caller)`
    names it: an answer is kept apart for each). Schemas are instantiated once here, not
    per request.
    """
    load = load or envelope.base_schema
    load_schema = load() if load else None
    path_schema = path() if path else None
    dump_schema = dump() if dump else None
    credential_param = envelope.credential_param
    wildcard_cors = envelope.cors_origins == "*"

    def decorate(view: Callable) -> Callable:
        name = f"{view.__module__}.{view.__qualname__}"

        def handle(url_args: dict, req: Request):
            """(a kept answer or None, the view's result, the cache lookup), committed."""
            lookup = None
            credentials = auth.screen(_credentials(req, envelope))
            # Where no credential can come in the body, the caller is known (and
            # refused) before the body is read: a stranger's large body costs nothing.
            who = auth.resolve(credentials) if credential_param is None else None
            if who is not None and caller != OPTIONAL:
                auth.check(who, admin=caller == ADMIN)
            data = _load(load_schema, location or envelope.input_location(req.method), req)
            if path_schema is not None:
                data.update(_load_path(path_schema, path_failure, req))
            if who is None:
                key = data.pop(credential_param, None)
                if key is not None:
                    credentials = replace(credentials, api_key=key)
                who = auth.resolve(credentials)
                if caller != OPTIONAL:
                    auth.check(who, admin=caller == ADMIN)
            if cache_by is not None:
                audience = cache_for(who) if cache_for is not None else None
                lookup = answers.Lookup(name, cache_by, data, req, audience)
                if lookup.found is not None:
                    db.session.commit()
                    return lookup.found, None, None
            result = view(data, who)
            # Commit before dumping: a write holds SQLite's one write lock until the
            # commit, and every other worker's write waits for it, so nothing may run
            # between the two that need not. The session does not expire what it
            # commits, so dumping reads the committed values without another query.
            db.session.commit()
            return None, result, lookup

        @functools.wraps(view)
        def wrapper(**url_args):
            # The request itself, not its proxy: each attribute read through `request`
            # costs a proxy's lookup (some 8,000 instructions), and a request reads dozens.
            req = request._get_current_object()
            try:
                try:
                    found, result, lookup = handle(url_args, req)
                except DBAPIError as error:
                    # A pooled connection found dead (the database restarted since it
                    # was opened): SQLAlchemy has dropped it and the others as old, so a
                    # safe read runs once more on a new one; anything else is answered
                    # by the app's handler (a named 503 for an outage).
                    db.session.rollback()
                    if req.method not in SAFE_METHODS or not database.retryable(error):
                        raise
                    found, result, lookup = handle(url_args, req)
                if found is not None:
                    return found
            except Failure as failure:
                db.session.rollback()
                metrics.note_failure(failure)
                return envelope.failure(failure)
            except IntegrityError as error:
                db.session.rollback()
                if not database.is_unique_violation(error):
                    raise
                # Two requests racing for one unique name: the loser learns it here.
                failure = ConflictFailure()
                metrics.note_failure(failure)
                return envelope.failure(failure)
            if isinstance(result, Response):
                return result
            body = dump_schema.dump(result) if dump_schema is not None else result
            response = envelope.success(body, status)
            if wildcard_cors and _PRIVATE_NETWORK not in req.environ:
                # What flask-cors adds to this answer (a view never answers a preflight):
                # finding it, flask-cors works out nothing (matching the path, reading the
                # request's headers); it still answers preflights and failures.
                response.headers["Access-Control-Allow-Origin"] = "*"
            if headers:
                response.headers.update(headers)
            if lookup is not None:
                lookup.keep(response)
            return response

        limited = ratelimit.limited(wrapper, (*envelope.limits, *limits))
        limited.envelope = envelope
        limited.load_schema = load
        limited.path_schema = path
        limited.path_failure = path_failure
        limited.location = location
        limited.dump_schema = dump
        limited.caller = caller
        limited.failures = tuple(failures)
        limited.limits = (*envelope.limits, *limits)
        limited.status = status
        return limited

    return decorate


def streamed_list(
    items: Iterable, dump: Schema, *, key: str, count_key: str, headers: dict | None = None
) -> Response:
    """`{key: [...], count_key: n}` as JSON, each item dumped with `dump` and sent as it
    comes: the answer never stands whole in memory, only the item being written. For a
    view whose list has no bound (an export); `items` is consumed while the answer is
    sent, in the request's context."""

    def write():
        encode = current_app.json.dumps
        yield f'{{"{key}": ['
        count = 0
        for item in items:
            yield ("," if count else "") + encode(dump.dump(item))
            count += 1
        yield f'], "{count_key}": {count}}}'

    return Response(stream_with_context(write()), mimetype="application/json", headers=headers)


def _load(schema: Schema | None, location: str, req: Request) -> dict:
    if schema is None:
        return {}
    return dict(inputs.load(schema, location, req))


def _load_path(schema: Schema, failure: type[Failure], req: Request) -> dict:
    try:
        return inputs.load(schema, "view_args", req)
    except (IncompleteParamsFailure, InvalidParamsFailure):
        raise failure() from None


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A request asking for private network access, which flask-cors answers with a header
# of its own: left to it.
_PRIVATE_NETWORK = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"


def _credentials(req: Request, envelope: Envelope) -> auth.Credentials:
    # The environ's key, as `req.headers` reads it, without the exception a missing
    # header costs there.
    scheme, _, value = req.environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    bearer = value.strip() if scheme.lower() == "bearer" else ""
    # With no cookie there is no session to read. Fetching the session object at all
    # marks it accessed (Flask 3.1.3), which costs a `Vary: Cookie` and the save of an
    # empty session on every script's request. (An answer without a cookie needs no
    # Vary either: the API's answers carry no freshness, so no shared cache keeps them.)
    reads = envelope.reads_session and "HTTP_COOKIE" in req.environ
    signed = session._get_current_object() if reads else None
    user_id = signed.get(auth.SESSION_USER_ID) if signed else None
    generation = signed.get(auth.SESSION_GENERATION) if signed else None
    return auth.Credentials(
        bearer=bearer or None,
        session_user_id=user_id if type(user_id) is int else None,
        session_generation=generation if type(generation) is int else None,
        address=req.remote_addr,
        same_site=envelope.checks_csrf or req.method in _SAFE_METHODS or req.is_json,
    )
