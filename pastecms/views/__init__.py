"""The faces' views. Each module's blueprint registers its face's envelope with the app."""

from pastecms.views import docs, friends, health, paste, site, talks, user, web

BLUEPRINTS = (paste.bp, user.bp, health.bp, web.bp, docs.bp, friends.bp, talks.bp, site.bp)
