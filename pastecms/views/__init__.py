"""The faces' views. Each module's blueprint registers its face's envelope with the app."""

from pastecms.views import (
    articles,
    cms_site,
    docs,
    health,
    images,
    keys,
    paste,
    taxonomy,
    user,
    web,
)

BLUEPRINTS = (
    paste.bp,
    user.bp,
    health.bp,
    articles.bp,
    taxonomy.bp,
    images.bp,
    keys.bp,
    cms_site.bp,
    cms_site.health_bp,
    web.bp,
    docs.bp,
)
