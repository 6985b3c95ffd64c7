"""The faces' views. Each module's blueprint registers its face's envelope with the app."""

from pastecms.views import (
    articles,
    auth,
    cms_site,
    content,
    docs,
    friends,
    health,
    images,
    keys,
    paste,
    site,
    talks,
    taxonomy,
    user,
    web,
)

BLUEPRINTS = (
    paste.bp,
    user.bp,
    auth.bp,
    content.bp,
    friends.bp,
    talks.bp,
    site.bp,
    articles.bp,
    taxonomy.bp,
    images.bp,
    keys.bp,
    cms_site.bp,
    cms_site.health_bp,
    health.bp,
    web.bp,
    docs.bp,
)
