"""One envelope per face: where its clients put their input, how it wraps a success and
writes a failure, and how it describes both in OpenAPI (`pastecms.api.Envelope`)."""

from collections.abc import Callable

from flask import Flask, Response, g, render_template, request

from pastecms.api import Envelope
from pastecms.errors import (
    CATALOGUE,
    AuthFailure,
    Failure,
    IncompleteParamsFailure,
    InvalidParamsFailure,
)
from pastecms.ratelimit import RateLimit
from pastecms.schemas.cms import CmsIn
from pastecms.schemas.paste import PasteFaceIn
from pastecms.schemas.qexo import QexoIn


class ModernPaste(Envelope):
    """Seed 003: flat bodies with `success` and `message`; failures name themselves twice,
    as `failure_name` (the seed's key) and `failure` (the key its own front end reads)."""

    name = "paste"
    title = "Paste API (Modern Paste)"
    prefix = "/api"
    location = "json"
    credential_param = "api_key"
    base_schema = PasteFaceIn

    def success(self, body, status: int) -> Response:
        return self.json_response({"success": True, "message": None, **body}, status)

    def failure(self, failure: Failure) -> Response:
        return self.json_response(
            self.failure_body(failure), self.status_of(failure), failure.headers
        )

    @staticmethod
    def failure_body(failure: Failure) -> dict:
        """The body of `failure` on this face (also written by the gunicorn worker, for
        the refusals it answers before any app sees the request)."""
        body = {
            "success": False,
            "message": failure.message,
            "failure_name": failure.failure_name,
            "failure": failure.failure_name,
        }
        if failure.details:
            body["details"] = failure.details
        return body

    def describe_success(self, out: dict) -> dict:
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

    def describe_failure(self, names: list[str]) -> dict:
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


class Qexo(Envelope):
    """Seed 000: Qexo's /pub API, as its widgets and scripts call it.

    Input comes from the query, a form or a JSON body alike; an admin's API key may come
    as `token`. Every answer is HTTP 200 (the widgets count anything else as a network
    error) with `status` saying how it went; a failure carries Qexo's `msg` (its own
    words where Qexo has some) and the `failure_name`, and repeats `msg` under `data`,
    where the talks and friends widgets look for it when they log a failure. Answers carry
    `Access-Control-Allow-Origin: *` (`cors_origins`): the widgets run on other sites.
    A session cookie signs nobody in here: the widgets run on other sites' pages, whose
    requests a browser sends with the cookie, and the admin's scripts send `token`.
    """

    name = "qexo"
    title = "Qexo API (/pub)"
    prefix = "/pub"
    location = "params"
    credential_param = "token"
    base_schema = QexoIn
    cors_origins = "*"
    reads_session = False

    #: Qexo's own words for some failures: its clients match on them.
    messages = {
        "auth_failure": "Authentication Failed!",
        "captcha_failure": "Captcha verification failed!",
        "domain_not_verified_failure": "Domain not verified",
    }

    security_schemes = {
        "qexoToken": {
            "type": "apiKey",
            "in": "query",
            "name": "token",
            "description": "An admin's API key as `token`, in the query or the body.",
        }
    }

    def status_of(self, failure: Failure) -> int:
        # Every answer, an outage's included: the widgets take any other status for a
        # network error. The body names the failure, and a 503's Retry-After is sent.
        return 200

    def success(self, body, status: int) -> Response:
        return self.json_response({"status": True, **body}, status)

    def failure(self, failure: Failure) -> Response:
        message = self.messages.get(failure.failure_name, failure.message)
        body = {
            "status": False,
            "msg": message,
            "failure_name": failure.failure_name,
            "data": {"msg": message},
        }
        if failure.details:
            body["details"] = failure.details
        return self.json_response(body, self.status_of(failure), failure.headers)

    def describe_success(self, out: dict) -> dict:
        properties = {"status": {"type": "boolean", "enum": [True]}, **out.get("properties", {})}
        return {
            "type": "object",
            "properties": properties,
            "required": [name for name, prop in properties.items() if not prop.get("x-optional")],
            "additionalProperties": False,
        }

    def describe_failure(self, names: list[str]) -> dict:
        return {
            "type": "object",
            "properties": {
                "status": {"type": "boolean", "enum": [False]},
                "msg": {"type": "string", "description": "Safe to show to a person."},
                "failure_name": {
                    "type": "string",
                    "enum": names,
                    "description": "What went wrong; stable.",
                },
                "data": {
                    "type": "object",
                    "properties": {"msg": {"type": "string"}},
                    "required": ["msg"],
                    "description": "`msg` again, where Qexo's widgets read it.",
                },
                "details": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "For a parameter failure: what is wrong, per field.",
                },
            },
            "required": ["status", "msg", "failure_name", "data"],
            "additionalProperties": False,
        }


class Operations(Envelope):
    """Health checks for load balancers and watchdogs: `{"status": ...}`, and a failure
    says what is unavailable beside its name."""

    name = "operations"
    title = "Operations"
    prefix = "/healthz"

    def success(self, body, status: int) -> Response:
        return self.json_response(body, status)

    def failure(self, failure: Failure) -> Response:
        status = self.status_of(failure)
        body = {
            # A monitor reads `status`: "unavailable" only when the service is (503), not
            # for a request it got wrong (a POST, say).
            "status": "unavailable" if status == 503 else "error",
            **failure.details,
            "failure_name": failure.failure_name,
            "message": failure.message,
        }
        return self.json_response(body, status, failure.headers)

    def describe_failure(self, names: list[str]) -> dict:
        return {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["unavailable", "error"]},
                "database": {"type": "boolean"},
                "failure_name": {"type": "string", "enum": names},
                "message": {"type": "string"},
            },
            "required": ["status", "failure_name", "message"],
        }


class Metrics(Operations):
    """`/metrics` for the operator's Prometheus: a success is the text format itself
    (not described in the OpenAPI document, which is about JSON), a refusal is
    `{"status": "error", "failure_name", "message"}` as on `/healthz`."""

    name = "metrics"
    title = "Metrics"
    prefix = "/metrics"
    in_openapi = False


class Digimaker(Envelope):
    """Seed 004 (Digimaker's REST API): `{"error": false, "data": ...}`, and a failure
    `{"error": true, "data": {"code", "message", "detail"}, "failure_name"}` with the
    catalogue's HTTP status.

    As the original answers: code "20001" for a parameter failure, whose `detail` says
    what is wrong (`message`: the complaints, `fields`: what is wrong per field), and
    "10001" with an empty `detail` for every other failure. The face's Out schemas
    declare the one member `data`, which may be an object, a bare token string or `true`.
    Clients send JSON or a form in a POST, a query string in a GET: `params` reads all.
    A body that is a JSON object is read as JSON whatever its Content-Type, as the
    original's server decodes it: Digimaker's login form posts `JSON.stringify(...)`
    with no Content-Type, which a browser sends as text/plain. (A session cookie still
    counts only on a request sent as JSON, which no other site's page can make.)
    The face owns two prefixes, one instance each.
    """

    location = "params_any_json"

    PARAMS_CODE = "20001"
    OTHER_CODE = "10001"

    def __init__(self, prefix: str, *, name: str, title: str):
        self.prefix = prefix
        self.name = name
        self.title = title

    def code_of(self, failure: Failure | type[Failure]) -> str:
        is_params = issubclass(
            failure if isinstance(failure, type) else type(failure),
            IncompleteParamsFailure | InvalidParamsFailure,
        )
        return self.PARAMS_CODE if is_params else self.OTHER_CODE

    def success(self, body, status: int) -> Response:
        return self.json_response({"error": False, **body}, status)

    def failure(self, failure: Failure) -> Response:
        code = self.code_of(failure)
        detail = ""
        if code == self.PARAMS_CODE:
            problems = failure.details.items()
            fields = {name: text for name, text in problems if name != "_"}
            messages = [text if name == "_" else f"{name}: {text}" for name, text in problems]
            detail = {"message": messages or [failure.message], "fields": fields}
        body = {
            "error": True,
            "data": {"code": code, "message": failure.message, "detail": detail},
            "failure_name": failure.failure_name,
        }
        return self.json_response(body, self.status_of(failure), failure.headers)

    def describe_success(self, out: dict) -> dict:
        properties = {"error": {"type": "boolean", "enum": [False]}, **out.get("properties", {})}
        return {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }

    def describe_failure(self, names: list[str]) -> dict:
        codes = sorted({self.code_of(CATALOGUE[name]) for name in names})
        params_detail = {
            "type": "object",
            "properties": {
                "message": {"type": "array", "items": {"type": "string"}},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "What is wrong, per parameter.",
                },
            },
            "required": ["message", "fields"],
            "additionalProperties": False,
        }
        details = []
        if self.OTHER_CODE in codes:
            details.append({"type": "string", "enum": [""]})
        if self.PARAMS_CODE in codes:
            details.append(params_detail)
        return {
            "type": "object",
            "properties": {
                "error": {"type": "boolean", "enum": [True]},
                "data": {
                    "type": "object",
                    "properties": {
                        "code": {
                            "type": "string",
                            "enum": codes,
                            "description": f"{self.PARAMS_CODE}: a parameter failure; "
                            f"{self.OTHER_CODE}: any other.",
                        },
                        "message": {"type": "string", "description": "Safe to show to a person."},
                        "detail": details[0] if len(details) == 1 else {"oneOf": details},
                    },
                    "required": ["code", "message", "detail"],
                    "additionalProperties": False,
                },
                "failure_name": {
                    "type": "string",
                    "enum": names,
                    "description": "What went wrong; stable.",
                },
            },
            "required": ["error", "data", "failure_name"],
            "additionalProperties": False,
        }


class Cms(Envelope):
    """Seed 002: the CMS's bodies as they are (201 on create), failures as
    `{"error": {"code", "message", "details"?}, "failure_name"}` with the CMS's codes.

    Input is a JSON body for writes and the query string for reads; the API key comes
    only as `Authorization: Bearer`. Reads and writes are limited apart, over every
    route of the face, per client address. Browsers on the origins of
    CMS_CORS_ORIGINS may call it, failures and 429s included.
    """

    name = "cms"
    title = "CMS API (/v1)"
    prefix = "/v1"
    base_schema = CmsIn
    limits = (
        RateLimit(
            "RATELIMIT_CMS_READ", scope="cms_read", methods=frozenset({"GET", "HEAD", "OPTIONS"})
        ),
        RateLimit(
            "RATELIMIT_CMS_WRITE",
            scope="cms_write",
            methods=frozenset({"POST", "PUT", "PATCH", "DELETE"}),
        ),
    )
    #: The error code of each HTTP status on this wire.
    CODES = {
        400: "VALIDATION_ERROR",
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        409: "CONFLICT",
        413: "PAYLOAD_TOO_LARGE",
        429: "RATE_LIMITED",
        440: "TOKEN_EXPIRED",
        500: "INTERNAL_ERROR",
        503: "SERVICE_UNAVAILABLE",
    }

    def __init__(
        self,
        *,
        prefix: str = "/v1",
        name: str = "cms",
        title: str = "CMS API (/v1)",
        limited: bool = True,
    ):
        self.prefix = prefix
        self.name = name
        self.title = title
        if not limited:
            self.limits = ()

    def input_location(self, method: str) -> str:
        return "query" if method in ("GET", "HEAD", "DELETE") else "json"

    def code_of(self, status: int) -> str:
        return self.CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")

    def success(self, body, status: int) -> Response:
        return self.json_response(body, status)

    def failure(self, failure: Failure) -> Response:
        status = self.status_of(failure)
        error = {"code": self.code_of(status), "message": failure.message}
        details = dict(failure.details)
        # The CMS names a field that was not given (or was null or blank) "Required".
        for field in getattr(failure, "missing", ()):
            details[field] = "Required"
        if details:
            error["details"] = details
        body = {"error": error, "failure_name": failure.failure_name}
        return self.json_response(body, status, failure.headers)

    def describe_failure(self, names: list[str]) -> dict:
        codes = sorted({self.code_of(self.status_of(CATALOGUE[name])) for name in names})
        return {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string", "enum": codes},
                        "message": {"type": "string", "description": "Safe to show."},
                        "details": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "What is wrong, per field (`Required` when "
                            "it was not given).",
                        },
                    },
                    "required": ["code", "message"],
                },
                "failure_name": {"type": "string", "enum": names},
            },
            "required": ["error", "failure_name"],
        }

    def cors(self, app: Flask) -> dict | None:
        """Browsers on CMS_CORS_ORIGINS (a list, or a comma-separated string) may call the
        face; failures and 429s carry the headers too, and the client can read
        Retry-After."""
        origins = app.config["CMS_CORS_ORIGINS"]
        if isinstance(origins, str):
            origins = [origin.strip() for origin in origins.split(",") if origin.strip()]
        if not origins:
            return None
        return {
            "origins": list(origins),
            "methods": ["GET", "POST", "PUT", "DELETE", "PATCH"],
            "allow_headers": ["Content-Type", "Authorization"],
            "expose_headers": ["Retry-After", "X-Request-Id"],
        }


class Page:
    """What a web view returns: a template and its context, rendered by the envelope
    after the transaction has committed."""

    def __init__(self, template: str, *, status: int = 200, **context):
        self.template = template
        self.status = status
        self.context = context


_PLAIN_TEXT = "pastecms.plain_text"


def answer_in_plain_text() -> None:
    """Have this request's failures on the web face written for a shell (`ShellText`),
    whoever renders them (a view, or the app's handlers for rate limits and the like)."""
    g.setdefault(_PLAIN_TEXT, True)


#: User-Agents of the command-line clients people type at (curl, Wget, HTTPie), whose
#: users read an answer in a terminal.
_SHELL_AGENTS = ("curl/", "wget/", "httpie/")


def asks_for_text() -> bool:
    """Whether the client is a shell's: it prefers text/plain to HTML, or it is curl,
    Wget or HTTPie (which accept anything). Its failures on the web face are one line of
    plain text, not a page."""
    if request.user_agent.string.lower().startswith(_SHELL_AGENTS):
        return True
    return request.accept_mimetypes.best_match(["text/html", "text/plain"]) == "text/plain"


class WebPage(Envelope):
    """The web face: pages for people. A success renders its `Page` (or passes a
    redirect or file through); a failure renders the error page, or, for the failures
    in `retry` on a form's page, that form again with the message and what was typed.

    A failure is told in words for people (`messages`, else the failure's own message);
    its name and status only appear in a small line, for bug reports."""

    name = "web"
    title = "Web pages"
    prefix = ""
    location = "form"
    in_openapi = False
    checks_csrf = True

    #: What a person is told, where the failure's own message speaks to programs.
    messages = {
        "nonexistent_paste_failure": "This paste does not exist or has expired.",
        "nonexistent_attachment_failure": "This paste has no attachment of that name.",
        "not_found_failure": "There is no page at this address.",
        "method_not_allowed_failure": "This page cannot be used that way.",
        "forbidden_failure": "You are not allowed to do this.",
        "rate_limit_failure": "Too many attempts in a short time. Wait a little, then try again.",
        "undefined_failure": "Something went wrong on our side. Please try again later.",
        "service_unavailable_failure": "The site is busy. Please try again in a moment.",
        "unauthenticated_pastes_disabled_failure": "Sign in to create a paste on this site.",
        "paste_attachments_disabled_failure": "This site does not take attachments.",
    }

    #: The error page's heading, by status: a few words, however long the message under it
    #: (a CSRF failure's explains a setting); other statuses get `heading_of`'s default.
    headings = {
        401: "Password or sign-in needed",
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed",
        409: "Already taken",
        413: "Too large",
        429: "Too many requests",
        503: "The site is busy",
    }

    def __init__(
        self,
        form: str | None = None,
        *,
        retry: tuple[type[Failure], ...] = (Failure,),
        context: Callable[[], dict] | None = None,
    ):
        self.form = form
        self.retry = retry
        self.context = context or dict

    def message_of(self, failure: Failure) -> str:
        human = self.messages.get(failure.failure_name)
        if human is None:
            return failure.message
        if failure.message == type(failure).message:
            return human
        # Raised with particulars (what a quota has left, which limit was hit), which the
        # person needs as well.
        return f"{human} {failure.message}"

    def heading_of(self, status: int) -> str:
        default = "Something went wrong" if status >= 500 else "That did not work"
        return self.headings.get(status, default)

    def success(self, body, status: int) -> Response:
        return self.render(body.template, body.status, **body.context)

    def failure(self, failure: Failure) -> Response:
        if g.get(_PLAIN_TEXT) or asks_for_text():
            # A shell's request: every failure, the app's own (429, 413) too, in its words.
            return shell_text.failure(failure)
        if self.form is not None and isinstance(failure, self.retry):
            # Meeting a password prompt by following a link is no error: only a password
            # that was tried and refused answers 401 (a HEAD is answered as its GET).
            followed = request.method in ("GET", "HEAD")
            status = 200 if isinstance(failure, AuthFailure) and followed else None
            response = self.render(
                self.form,
                status or self.status_of(failure),
                failure=failure if status is None else None,
                message=self.message_of(failure),
                form=request.form,
                **self.context(),
            )
        else:
            status = self.status_of(failure)
            response = self.render(
                "error.html",
                status,
                heading=self.heading_of(status),
                failure=failure,
                message=self.message_of(failure),
                request_id=g.get("request_id"),
            )
        response.headers.update(failure.headers)
        return response

    @staticmethod
    def render(template: str, status: int, **context) -> Response:
        return Response(render_template(template, **context), status=status, mimetype="text/html")

    def describe_failure(self, names: list[str]) -> dict:
        return {"type": "string", "description": "An HTML page naming the failure."}


class ShellText(Envelope):
    """The web face for shells (`curl`): input in the query string and the body, answers
    in plain text, one value a line; a failure is `<failure_name>: <message>` with the
    catalogue's status. No CSRF token: so a session cookie authenticates nothing here."""

    name = "shell"
    title = "Shell uploads"
    prefix = ""
    location = "query_and_body"
    in_openapi = False

    def success(self, body, status: int) -> Response:
        lines = body if isinstance(body, list | tuple) else [body]
        return self.text("".join(f"{line}\n" for line in lines), status)

    def failure(self, failure: Failure) -> Response:
        response = self.text(f"{failure.failure_name}: {failure.message}\n", failure.status)
        response.headers.update(failure.headers)
        return response

    @staticmethod
    def text(text: str, status: int) -> Response:
        return Response(text, status=status, mimetype="text/plain")

    def describe_failure(self, names: list[str]) -> dict:
        return {"type": "string", "description": "`<failure_name>: <message>`, one line."}


modern_paste = ModernPaste()
auth_api = Digimaker("/api/auth", name="auth", title="JWT login (Digimaker)")
content_api = Digimaker("/api/content", name="content", title="Content read API (Digimaker)")
qexo = Qexo()
cms = Cms()
#: The CMS's health check lives outside /v1: its own prefix, the same wire, and no rate
#: limit (load balancers poll it).
cms_health = Cms(prefix="/health", name="cms-health", title="CMS health check", limited=False)
operations = Operations()
metrics_face = Metrics()
web_page = WebPage()
shell_text = ShellText()
