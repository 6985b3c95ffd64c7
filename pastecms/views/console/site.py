"""The console's site pages (issue 32), for admins: talks, friend links and the visitors'
applications, notifications, and the visit statistics /pub/statistic counts.

Each page acts through the service the Qexo face's /pub routes use, so a rule (what a
talk may hold, what approving an application does) is the one the API keeps.
"""

import html
import json
from datetime import UTC, datetime

from flask import flash, redirect, request, url_for

from pastecms.api import endpoint
from pastecms.errors import IncompleteParamsFailure, InvalidParamsFailure
from pastecms.schemas.console_site import (
    FriendFormIn,
    FriendPathIn,
    FriendShownIn,
    NotificationPathIn,
    TalkFormIn,
    TalkPathIn,
)
from pastecms.services.site import friends as friends_service
from pastecms.services.site import notifications as notifications_service
from pastecms.services.site import site_stats
from pastecms.services.site import talks as talks_service
from pastecms.views.console import SECTIONS, Section, bp, console_page
from pastecms.views.envelopes import Page, WebPage, web_page

SECTIONS.extend(
    [
        Section("Talks", "console.talks"),
        Section("Friend links", "console.friends"),
        Section("Notifications", "console.notifications"),
        Section("Statistics", "console.statistics"),
    ]
)

#: The days the statistics page charts, today the last.
STAT_DAYS = 30
TOP_PAGES = 10
_FORM_FAILURES = (IncompleteParamsFailure, InvalidParamsFailure)


def _talk_form_again() -> dict:
    return {"talks": talks_service.everything(), "talk_id": None}


def _edit_talk_form_again() -> dict:
    return {"talk_id": request.view_args["talk_id"]}


def _friend_form_again() -> dict:
    return {**_friend_lists(), "time": None}


def _edit_friend_form_again() -> dict:
    return {"time": request.view_args["time"]}


def _friend_lists() -> dict:
    return {
        "links": friends_service.everything(),
        "applications": friends_service.applications(),
    }


new_talk_form = WebPage("console/talks.html", retry=_FORM_FAILURES, context=_talk_form_again)
edit_talk_form = WebPage(
    "console/talk_edit.html", retry=_FORM_FAILURES, context=_edit_talk_form_again
)
new_friend_form = WebPage("console/friends.html", retry=_FORM_FAILURES, context=_friend_form_again)
edit_friend_form = WebPage(
    "console/friend_edit.html", retry=_FORM_FAILURES, context=_edit_friend_form_again
)


def _done(message: str, to: str):
    flash(message, "console")
    return redirect(url_for(to), code=303)


# -- talks ---------------------------------------------------------------------------


@bp.app_template_filter("epoch_utc")
def epoch_utc(seconds: int, pattern: str = "%Y-%m-%d %H:%M UTC") -> str:
    """A talk's time (epoch seconds) as a UTC date and time."""
    return datetime.fromtimestamp(seconds, UTC).strftime(pattern)


@bp.get("/talks")
@endpoint(web_page)
@console_page
def talks(data, caller):
    """Every talk, newest first, with its likes; and the form for a new one."""
    return Page("console/talks.html", talks=talks_service.everything(), form={}, failure=None)


@bp.post("/talks")
@endpoint(new_talk_form, load=TalkFormIn)
@console_page
def create_talk(data, caller):
    """Post a talk, as /pub/save_talk without an id does; back to the list."""
    talks_service.save(content=data["content"], tags=data["tags"], values=data["values"])
    return _done("The talk is posted.", "console.talks")


@bp.get("/talks/<talk_id>")
@endpoint(web_page, path=TalkPathIn)
@console_page
def talk(data, caller):
    """A talk's edit form. `nonexistent_talk_failure` when there is none."""
    found = talks_service.find(data["talk_id"])
    form = {
        "content": found.content,
        "tags": ", ".join(found.tags),
        "values": json.dumps(found.values, ensure_ascii=False) if found.values else "",
    }
    return Page("console/talk_edit.html", talk_id=found.id, form=form, failure=None)


@bp.post("/talks/<talk_id>")
@endpoint(edit_talk_form, path=TalkPathIn, load=TalkFormIn)
@console_page
def edit_talk(data, caller):
    """Change a talk's content, tags and values (its time and likes stay), as
    /pub/save_talk with an id does. `nonexistent_talk_failure` when there is none."""
    talks_service.save(
        data["talk_id"], content=data["content"], tags=data["tags"], values=data["values"]
    )
    return _done("The talk is saved.", "console.talks")


@bp.get("/talks/<talk_id>/delete")
@endpoint(web_page, path=TalkPathIn)
@console_page
def confirm_talk_deletion(data, caller):
    """The question before a talk is deleted. `nonexistent_talk_failure` when there is none."""
    return Page("console/talk_delete.html", talk=talks_service.find(data["talk_id"]))


@bp.post("/talks/<talk_id>/delete")
@endpoint(web_page, path=TalkPathIn)
@console_page
def delete_talk(data, caller):
    """Delete a talk and its likes, as /pub/del_talk does. `nonexistent_talk_failure`."""
    talks_service.remove(data["talk_id"])
    return _done("The talk is deleted.", "console.talks")


# -- friend links and applications ---------------------------------------------------


@bp.get("/friends")
@endpoint(web_page)
@console_page
def friends(data, caller):
    """The applications waiting, every link shown or hidden, and the form for a new one."""
    return Page("console/friends.html", **_friend_lists(), form={}, failure=None)


@bp.post("/friends")
@endpoint(new_friend_form, load=FriendFormIn)
@console_page
def add_friend(data, caller):
    """Add a link as /pub/add_friend does; back to the list."""
    friends_service.add(
        data["name"],
        data["url"],
        image=data["image"],
        description=data["description"],
        shown=data["shown"],
    )
    return _done("The link is added.", "console.friends")


@bp.get("/friends/<time>")
@endpoint(web_page, path=FriendPathIn)
@console_page
def friend(data, caller):
    """A link's edit form. `nonexistent_friend_failure` when there is none."""
    link = friends_service.find(data["time"])
    form = {
        "name": link.name,
        "url": link.url,
        "image": link.image,
        "description": link.description,
        "shown": link.is_shown,
    }
    return Page("console/friend_edit.html", time=link.time, form=form, failure=None)


@bp.post("/friends/<time>")
@endpoint(edit_friend_form, path=FriendPathIn, load=FriendFormIn)
@console_page
def edit_friend(data, caller):
    """Change a link as /pub/edit_friend does. `nonexistent_friend_failure`."""
    friends_service.edit(
        data["time"],
        name=data["name"],
        url=data["url"],
        image=data["image"],
        description=data["description"],
        shown=data["shown"],
    )
    return _done("The link is saved.", "console.friends")


@bp.post("/friends/<time>/shown")
@endpoint(web_page, path=FriendPathIn, load=FriendShownIn)
@console_page
def show_friend(data, caller):
    """Show or hide a link (showing an application approves it). `nonexistent_friend_failure`."""
    link = friends_service.edit(data["time"], shown=data["shown"])
    return _done(f"{link.name} is {'shown' if data['shown'] else 'hidden'}.", "console.friends")


@bp.get("/friends/<time>/delete")
@endpoint(web_page, path=FriendPathIn)
@console_page
def confirm_friend_deletion(data, caller):
    """The question before a link is deleted. `nonexistent_friend_failure`."""
    return Page("console/friend_delete.html", link=friends_service.find(data["time"]))


@bp.post("/friends/<time>/delete")
@endpoint(web_page, path=FriendPathIn)
@console_page
def delete_friend(data, caller):
    """Delete a link, as /pub/del_friend does. `nonexistent_friend_failure`."""
    friends_service.remove(data["time"])
    return _done("The link is deleted.", "console.friends")


@bp.post("/applications/<time>/approve")
@endpoint(web_page, path=FriendPathIn)
@console_page
def approve_application(data, caller):
    """Approve a visitor's application: its link is shown on /pub/friends.
    `nonexistent_friend_failure`."""
    link = friends_service.edit(data["time"], shown=True)
    return _done(f"Approved: {html.unescape(link.name)} is shown.", "console.friends")


@bp.post("/applications/<time>/refuse")
@endpoint(web_page, path=FriendPathIn)
@console_page
def refuse_application(data, caller):
    """Refuse a visitor's application: its link is deleted. `nonexistent_friend_failure`."""
    friends_service.remove(data["time"])
    return _done("The application is refused.", "console.friends")


# -- notifications -------------------------------------------------------------------


@bp.app_template_filter("stored_text")
def stored_text(text: str) -> str:
    """Text the server stored as HTML for Qexo's widgets (an application's notification:
    escaped fields joined by <br>), as plain text for the page to escape once."""
    return html.unescape(text.replace("<br>", "\n"))


@bp.get("/notifications")
@endpoint(web_page)
@console_page
def notifications(data, caller):
    """Every notification, newest first, as /pub/get_notifications lists them."""
    return Page("console/notifications.html", notifications=notifications_service.newest_first())


@bp.post("/notifications/<int:notification_id>/clear")
@endpoint(web_page, path=NotificationPathIn)
@console_page
def clear_notification(data, caller):
    """Clear one notification (one cleared already is no error)."""
    if notifications_service.remove(data["notification_id"]):
        return _done("The notification is cleared.", "console.notifications")
    return _done("That notification was cleared already.", "console.notifications")


@bp.post("/notifications/clear")
@endpoint(web_page)
@console_page
def clear_notifications(data, caller):
    """Clear every notification."""
    cleared = notifications_service.clear()
    return _done(f"Cleared {cleared} notification(s).", "console.notifications")


# -- statistics ----------------------------------------------------------------------

#: The chart's drawing area, in the SVG's own units (it scales to the page's width).
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 600, 220, 16, 196


def _chart(days: list[dict]) -> dict:
    """Where each day's bars go: views as a wide bar, visitors as a narrow one in it."""
    peak = max([day["pv"] for day in days] + [1])
    slot = CHART_WIDTH / len(days)
    height = CHART_BOTTOM - CHART_TOP

    def bar(value: int) -> tuple[float, float]:
        size = round(height * value / peak, 1)
        return round(CHART_BOTTOM - size, 1), size

    bars = []
    for n, day in enumerate(days):
        pv_y, pv_height = bar(day["pv"])
        uv_y, uv_height = bar(day["uv"])
        x = round(n * slot, 1)
        bars.append(
            {
                **day,
                "x": x + 1,
                "width": round(slot - 2, 1),
                "uv_x": round(x + slot * 0.3, 1),
                "uv_width": round(slot * 0.4, 1),
                "pv_y": pv_y,
                "pv_height": pv_height,
                "uv_y": uv_y,
                "uv_height": uv_height,
            }
        )
    return {
        "bars": bars,
        "peak": peak,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "top": CHART_TOP,
        "bottom": CHART_BOTTOM,
    }


@bp.get("/statistics")
@endpoint(web_page)
@console_page
def statistics(data, caller):
    """Page views and visitors per day for the last STAT_DAYS days (a chart and a table),
    each site's totals and the most viewed pages, from /pub/statistic's counters."""
    days = site_stats.daily(STAT_DAYS)
    return Page(
        "console/statistics.html",
        days=days,
        chart=_chart(days),
        sites=site_stats.sites(),
        top_pages=site_stats.top_pages(TOP_PAGES),
        counting=bool(site_stats.allowed_hosts()),
    )
