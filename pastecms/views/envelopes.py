"""One envelope per face: its JSON wrapper and how it writes a failure."""

import json

from flask import Request, Response, current_app, render_template

from pastecms.errors import Failure, IncompleteParamsFailure, InvalidParamsFailure
from pastecms.schemas.paste import PasteFaceIn


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def read_json_object(request: Request) -> dict:
    """The request body as a JSON object; an empty body is an empty object.

    Raises `IncompleteParamsFailure` for a non-JSON Content-Type (as seed 003 documents)
    and `InvalidParamsFailure` for a body that is not one well-formed JSON object.
    """
    body = request.get_data(cache=True)
    if not body.strip():
        return {}
    if not request.is_json:
        raise IncompleteParamsFailure(
            "The request body must be JSON, sent with Content-Type: application/json."
        )
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise InvalidParamsFailure("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise InvalidParamsFailure("The JSON body must be an object.")
    return value


class ModernPaste:
    """Seed 003: flat bodies with `success` and `message`; failures name themselves twice,
    as `failure_name` (the seed's key) and `failure` (the key its own front end reads)."""

    prefix = "/api"
    #: What a view without an In schema still loads: the optional `api_key`.
    base_schema = PasteFaceIn

    def read(self, request: Request) -> dict:
        return read_json_object(request)

    def success(self, body: dict, status: int = 200) -> Response:
        response = current_app.json.response({"success": True, "message": None, **body})
        response.status_code = status
        return response

    def failure(self, failure: Failure) -> Response:
        body = {
            "success": False,
            "message": failure.message,
            "failure_name": failure.failure_name,
            "failure": failure.failure_name,
        }
        if failure.details:
            body["details"] = failure.details
        response = current_app.json.response(body)
        response.status_code = failure.status
        response.headers.update(failure.headers)
        return response


class WebPage:
    """The web form's envelope is a page: a failure renders the error template."""

    prefix = ""

    def failure(self, failure: Failure) -> Response:
        html = render_template("error.html", failure=failure)
        response = Response(html, status=failure.status, mimetype="text/html")
        response.headers.update(failure.headers)
        return response


modern_paste = ModernPaste()
web_page = WebPage()

# Longest prefix first: the envelope that answers app-level errors (404, 405, 413, 429,
# unexpected exceptions) for a path.
_BY_PREFIX = [modern_paste]


def for_path(path: str):
    for envelope in _BY_PREFIX:
        if path == envelope.prefix or path.startswith(envelope.prefix + "/"):
            return envelope
    return web_page
