"""The site owner's console: the site's content and the pastebin, managed in the browser.

Pages of the web face (its envelope, CSRF, CSP and look) under /console. Every page acts
through the same services, with the same rights, as the APIs: an admin manages the site;
any other signed-in user sees their own articles and nothing else. Each section is a
module of this package adding its views to `bp` and its entry to `SECTIONS`.
"""

import functools
from dataclasses import dataclass

from pastecms.errors import ForbiddenFailure
from pastecms.views import csrf
from pastecms.views.envelopes import web_page
from pastecms.views.signin import signed_in

bp = web_page.blueprint("console", __name__, url_prefix="/console")


@bp.before_request
def check_csrf_token():
    """Every form post of every section carries the token its page was served with."""
    csrf.protect()


@dataclass(frozen=True)
class Section:
    """A console section as the navigation lists it."""

    title: str
    endpoint: str
    admin: bool = True


#: The sections in the navigation's order; each module appends its own on import.
SECTIONS: list[Section] = []


def console_page(view=None, *, admin: bool = True):
    """A console page: a visitor is sent to sign in first; with `admin` (the default),
    anyone but an admin is refused with `forbidden_failure`, as the APIs refuse them."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(data, caller):
            if admin and not caller.is_admin:
                raise ForbiddenFailure("Only an admin may use this page.")
            return view(data, caller)

        return signed_in(wrapper)

    return decorate(view) if view is not None else decorate


@bp.app_context_processor
def console_sections() -> dict:
    """The sections a signed-in user may open (the header's and the console's navigation)."""

    def sections_for(user) -> list[Section]:
        return [s for s in SECTIONS if user is not None and (user.is_admin or not s.admin)]

    return {"console_sections": sections_for}


# The sections register themselves; the navigation lists them in this order.
from pastecms.views.console import articles, home, site, files, keys, moderation  # noqa: E402, F401, I001
