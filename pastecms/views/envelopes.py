"""One envelope per face: where its clients put their input, how it wraps a success and
writes a failure, and how it describes both in OpenAPI (`pastecms.api.Envelope`)."""

from collections.abc import Callable

from flask import Response, render_template, request

from pastecms.api import Envelope
from pastecms.errors import AuthFailure, Failure
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
    checks_csrf = True

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
operations = Operations()
web_page = WebPage()
