"""URLs the answers carry: built by the views, never by schemas or services."""

import functools

from flask import current_app, g, request, url_for

_ID_SLOT = "ID-SLOT"


def paste_url(public_id) -> str:
    """The full URL of a paste's web page.

    The URL of a paste page differs from another's only by the id, so a template is made
    once per site root and the id put into it: `url_for` per paste would take longer than
    reading a page of pastes from the database. Public ids are URL-safe as they are.
    """
    return _url_with_id("web.show", "paste_id", public_id)


def image_url(image_id: str) -> str:
    """The full URL of a CMS image's file (same scheme as `paste_url`)."""
    return _url_with_id("cms_images.file", "id", image_id)


def article_export_url(article_hash: str) -> str:
    """The full URL of an article's Markdown export."""
    return _url_with_id("cms_articles.export_one", "hash", article_hash)


def _url_with_id(endpoint: str, argument: str, value) -> str:
    templates = g.setdefault("_url_templates", {})
    template = templates.get(endpoint)
    if template is None:
        template = templates[endpoint] = _url_template(
            endpoint,
            argument,
            request.scheme,
            request.host,
            request.script_root,
            current_app.config["SERVER_NAME"],
        )
    return template.replace(_ID_SLOT, str(value))


@functools.lru_cache(maxsize=256)
def _url_template(
    endpoint: str, argument: str, scheme: str, host: str, script_root: str, server_name: str | None
) -> str:
    # Keyed by what `url_for` reads besides the routes, which are the same in every app
    # (the parts of the site's root URL, cheaper to read than the root URL itself);
    # bounded, as the Host header is the client's to choose.
    return url_for(endpoint, **{argument: _ID_SLOT}, _external=True)


def with_image_urls(items, *, attribute: str = "url", id_attribute: str = "id"):
    """Give each image (or each article, for its header image) the URL of the image
    file; returns the same list."""
    for item in items:
        image_id = getattr(item, id_attribute)
        setattr(item, attribute, image_url(image_id) if image_id is not None else None)
    return items


def with_urls(pastes):
    """Give each paste record its `url`; returns the same list."""
    for paste in pastes:
        paste.url = paste_url(paste.public_id)
    return pastes


def with_url(paste):
    """Give one paste record its `url`; returns it."""
    paste.url = paste_url(paste.public_id)
    return paste
