"""GET /api/openapi.json and GET /api/docs: the API described by itself."""

import re

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from pastecms import openapi

bp = Blueprint("docs", __name__, url_prefix="/api")

_CODE_SPAN = re.compile(r"`([^`]+)`")


@bp.app_template_filter("code_spans")
def code_spans(text) -> Markup:
    """Escape description text, then show its `backtick` spans as code, as Markdown would."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text or ""))))


@bp.get("/openapi.json")
@openapi.document("application/json", {"type": "object", "required": ["openapi", "paths"]})
def description():
    """This OpenAPI 3 description of every /api route.

    Generated from the marshmallow schemas the endpoints validate and answer with.
    """
    return openapi.description()


@bp.get("/docs")
@openapi.document("text/html", {"type": "string"})
def reference():
    """A readable reference page rendered from the OpenAPI description."""
    document = openapi.description()
    return render_template(
        "api_docs.html",
        info=document["info"],
        openapi_version=document["openapi"],
        operations=openapi.reference(document),
    )
