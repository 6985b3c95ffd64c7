"""The console's first page: what there is to manage, and what waits for the owner."""

from pastecms.api import endpoint
from pastecms.views.console import bp, console_page
from pastecms.views.envelopes import Page, web_page


@bp.get("/")
@endpoint(web_page)
@console_page(admin=False)
def home(data, caller):
    """The sections this user may open."""
    return Page("console/home.html")
