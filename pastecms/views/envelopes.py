"""One envelope per face: where its clients put their input, how it wraps a success and
writes a failure, and how it describes both in OpenAPI (`pastecms.api.Envelope`)."""

from collections.abc import Callable

from flask import Blueprint, Flask, Response, render_template, request
from flask_cors import CORS

from pastecms.api import Envelope
from pastecms.errors import CATALOGUE, AuthFailure, Failure
from pastecms.ratelimit import RateLimit
from pastecms.schemas.cms import CmsIn
from pastecms.schemas.paste import PasteFaceIn


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
        body = {
            "success": False,
            "message": failure.message,
            "failure_name": failure.failure_name,
            "failure": failure.failure_name,
        }
        if failure.details:
            body["details"] = failure.details
        return self.json_response(body, self.status_of(failure), failure.headers)

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


class Operations(Envelope):
    """Health checks for load balancers and watchdogs: `{"status": ...}`, and a failure
    says what is unavailable beside its name."""

    name = "operations"
    title = "Operations"
    prefix = "/healthz"

    def success(self, body, status: int) -> Response:
        return self.json_response(body, status)

    def failure(self, failure: Failure) -> Response:
        body = {
            "status": "unavailable",
            **failure.details,
            "failure_name": failure.failure_name,
            "message": failure.message,
        }
        return self.json_response(body, self.status_of(failure), failure.headers)

    def describe_failure(self, names: list[str]) -> dict:
        return {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["unavailable"]},
                "database": {"type": "boolean"},
                "failure_name": {"type": "string", "enum": names},
                "message": {"type": "string"},
            },
            "required": ["status", "failure_name", "message"],
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
    _CORS_PATHS = (r"/v1/.*", r"/v1", r"/health")
    _CORS_EXTENSION = "pastecms.cms_cors"

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

    def blueprint(self, name: str, import_name: str, **options) -> Blueprint:
        bp = super().blueprint(name, import_name, **options)
        bp.record_once(lambda state: self.enable_cors(state.app))
        return bp

    def enable_cors(self, app: Flask) -> None:
        """Answer browsers on CMS_CORS_ORIGINS (a list, or a comma-separated string),
        once per app. flask-cors adds its headers to every response of these paths,
        so failures and 429s carry them too, and the client can read Retry-After."""
        if app.extensions.get(self._CORS_EXTENSION):
            return
        app.extensions[self._CORS_EXTENSION] = True
        origins = app.config["CMS_CORS_ORIGINS"]
        if isinstance(origins, str):
            origins = [origin.strip() for origin in origins.split(",") if origin.strip()]
        if not origins:
            return
        options = {
            "origins": list(origins),
            "methods": ["GET", "POST", "PUT", "DELETE", "PATCH"],
            "allow_headers": ["Content-Type", "Authorization"],
            "expose_headers": ["Retry-After", "X-Request-Id"],
        }
        CORS(app, resources=dict.fromkeys(self._CORS_PATHS, options))


class Page:
    """What a web view returns: a template and its context, rendered by the envelope
    after the transaction has committed."""

    def __init__(self, template: str, *, status: int = 200, **context):
        self.template = template
        self.status = status
        self.context = context


class WebPage(Envelope):
    """The web face: pages for people. A success renders its `Page` (or passes a
    redirect or file through); a failure renders the error page, or, for the failures
    in `retry` on a form's page, that form again with the message and what was typed."""

    name = "web"
    title = "Web pages"
    prefix = ""
    location = "form"
    in_openapi = False

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

    def success(self, body, status: int) -> Response:
        return self.render(body.template, body.status, **body.context)

    def failure(self, failure: Failure) -> Response:
        if self.form is not None and isinstance(failure, self.retry):
            # Meeting a password prompt by following a link is no error: only a password
            # that was tried and refused answers 401.
            status = 200 if isinstance(failure, AuthFailure) and request.method == "GET" else None
            response = self.render(
                self.form,
                status or self.status_of(failure),
                failure=failure if status is None else None,
                form=request.form,
                **self.context(),
            )
        else:
            response = self.render("error.html", self.status_of(failure), failure=failure)
        response.headers.update(failure.headers)
        return response

    @staticmethod
    def render(template: str, status: int, **context) -> Response:
        return Response(render_template(template, **context), status=status, mimetype="text/html")

    def describe_failure(self, names: list[str]) -> dict:
        return {"type": "string", "description": "An HTML page naming the failure."}


modern_paste = ModernPaste()
cms = Cms()
#: The CMS's health check lives outside /v1: its own prefix, the same wire, and no rate
#: limit (load balancers poll it).
cms_health = Cms(prefix="/health", name="cms-health", title="CMS health check", limited=False)
operations = Operations()
web_page = WebPage()
