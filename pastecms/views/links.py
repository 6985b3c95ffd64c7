"""URLs the answers carry: built by the views, never by schemas or services.

The URL of a paste page differs from another's only by the id, so a template is made once
per site root and the id put into it: `url_for` per paste would take longer than reading a
page of pastes from the database. The templates are kept per app (`app_cache`), and a list
reads the request once for all its items: each read through Flask's `request` or
`current_app` proxies costs some 8,000 instructions, and a list of 20 pastes used to make
about 30 of them here (profiled with callgrind, issue 30). Public ids are URL-safe as they
are.
"""

import functools

from flask import current_app, request, url_for

from pastecms.app_cache import app_cache

_ID_SLOT = "ID-SLOT"
#: Templates kept per app (an endpoint for a site root each): the Host header is the
#: client's to choose, so the least recently used are dropped.
_MAX_TEMPLATES = 256


def paste_url(public_id) -> str:
    """The full URL of a paste's web page."""
    return _template("web.show", "paste_id").replace(_ID_SLOT, str(public_id))


def image_url(image_id: str) -> str:
    """The full URL of a CMS image's file."""
    return _template("cms_images.file", "id").replace(_ID_SLOT, str(image_id))


def article_export_url(article_hash: str) -> str:
    """The full URL of an article's Markdown export."""
    return _template("cms_articles.export_one", "hash").replace(_ID_SLOT, str(article_hash))


def _template(endpoint: str, argument: str) -> str:
    """The URL of `endpoint` for the current request, `_ID_SLOT` standing for `argument`."""
    app = current_app._get_current_object()
    req = request._get_current_object()
    # Keyed by what `url_for` reads besides the routes, which are the app's: the parts of
    # the site's root URL (cheaper to read than the root URL itself), as X-Forwarded-*
    # headers have made them when ProxyFix is on, and the app's SERVER_NAME.
    return app_cache("url_templates", _templates, app)(
        endpoint, argument, req.scheme, req.host, req.script_root, app.config["SERVER_NAME"]
    )


def _templates():
    return functools.lru_cache(maxsize=_MAX_TEMPLATES)(_url_template)


def _url_template(
    endpoint: str, argument: str, scheme: str, host: str, script_root: str, server_name: str | None
) -> str:
    return url_for(endpoint, **{argument: _ID_SLOT}, _external=True)


def with_image_urls(items, *, attribute: str = "url", id_attribute: str = "id"):
    """Give each image (or each article, for its header image) the URL of the image
    file; returns the same list."""
    template = None
    for item in items:
        image_id = getattr(item, id_attribute)
        if image_id is None:
            url = None
        else:
            template = template or _template("cms_images.file", "id")
            url = template.replace(_ID_SLOT, str(image_id))
        setattr(item, attribute, url)
    return items


def with_urls(pastes):
    """Give each paste record its `url`; returns the same list."""
    if pastes:
        template = _template("web.show", "paste_id")
        for paste in pastes:
            paste.url = template.replace(_ID_SLOT, str(paste.public_id))
    return pastes


def with_url(paste):
    """Give one paste record its `url`; returns it."""
    paste.url = paste_url(paste.public_id)
    return paste
