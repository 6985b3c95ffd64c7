"""/api/content/*: seed 004's content read API. Its routes come with the articles; the
blueprint is registered now so that the prefix already answers in the face's envelope."""

from pastecms.views.envelopes import content_api

bp = content_api.blueprint("content_api", __name__, url_prefix="/api/content")
