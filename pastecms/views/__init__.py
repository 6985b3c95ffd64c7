"""The faces' views. Each module's blueprint registers its face's envelope with the app."""

from pastecms.views import auth, content, docs, friends, health, paste, site, talks, user, web

BLUEPRINTS = (
    paste.bp,
    user.bp,
    auth.bp,
    content.bp,
    friends.bp,
    talks.bp,
    site.bp,
    health.bp,
    web.bp,
    docs.bp,
)
