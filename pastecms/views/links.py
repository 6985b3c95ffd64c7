"""URLs the answers carry: built by the views, never by schemas or services."""

import functools

from flask import current_app, g, request, url_for

_ID_SLOT = "PASTE-ID-SLOT"


def paste_url(public_id) -> str:
    """The full URL of a paste's web page.

    The URL of a paste page differs from another's only by the id, so a template is made
    once per site root and the id put into it: `url_for` per paste would take longer than
    reading a page of pastes from the database. Public ids are URL-safe as they are.
    """
    template = g.get("_paste_url_template")
    if template is None:
        template = _url_template(
            request.scheme, request.host, request.script_root, current_app.config["SERVER_NAME"]
        )
        g._paste_url_template = template
    return template.replace(_ID_SLOT, str(public_id))


@functools.lru_cache(maxsize=64)
def _url_template(scheme: str, host: str, script_root: str, server_name: str | None) -> str:
    # Keyed by what `url_for` reads besides the routes, which are the same in every app
    # (the parts of the site's root URL, cheaper to read than the root URL itself);
    # bounded, as the Host header is the client's to choose.
    return url_for("web.show", paste_id=_ID_SLOT, _external=True)


def with_urls(pastes):
    """Give each paste record its `url`; returns the same list."""
    for paste in pastes:
        paste.url = paste_url(paste.public_id)
    return pastes


def with_url(paste):
    """Give one paste record its `url`; returns it."""
    paste.url = paste_url(paste.public_id)
    return paste
