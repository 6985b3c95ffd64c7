"""The faces' views. Each module's blueprint registers its face's envelope with the app."""

from pastecms.views import auth, content, docs, health, paste, user, web

BLUEPRINTS = (paste.bp, user.bp, auth.bp, content.bp, health.bp, web.bp, docs.bp)
