"""The console's site pages (issue 32): talks, friend links, applications, notifications
and statistics, for admins, through the services /pub uses."""

import re
from datetime import UTC, date, datetime

import pytest

from pastecms.services.site import notifications as notifications_service
from pastecms.services.site import site_stats
from tests.conftest import statements
from tests.qexo import Pub
from tests.test_web_accounts import PASSWORD, sign_in

TALK_ID = "0123456789abcdef0123456789abcdef"
FRIEND_TIME = "1700000000.000000"
APPLICATION = {
    "name": "Ann & Co",
    "url": "https://ann.example/",
    "image": "https://ann.example/a.png",
    "description": "Ann's <b>blog</b>",
}

#: Every page of the section: (method, path), with ids that need not exist.
ROUTES = [
    ("GET", "/console/talks"),
    ("POST", "/console/talks"),
    ("GET", f"/console/talks/{TALK_ID}"),
    ("POST", f"/console/talks/{TALK_ID}"),
    ("GET", f"/console/talks/{TALK_ID}/delete"),
    ("POST", f"/console/talks/{TALK_ID}/delete"),
    ("GET", "/console/friends"),
    ("POST", "/console/friends"),
    ("GET", f"/console/friends/{FRIEND_TIME}"),
    ("POST", f"/console/friends/{FRIEND_TIME}"),
    ("POST", f"/console/friends/{FRIEND_TIME}/shown"),
    ("GET", f"/console/friends/{FRIEND_TIME}/delete"),
    ("POST", f"/console/friends/{FRIEND_TIME}/delete"),
    ("POST", f"/console/applications/{FRIEND_TIME}/approve"),
    ("POST", f"/console/applications/{FRIEND_TIME}/refuse"),
    ("GET", "/console/notifications"),
    ("POST", "/console/notifications/1/clear"),
    ("POST", "/console/notifications/clear"),
    ("GET", "/console/statistics"),
]

#: A form every page of the section would take (each reads the fields it needs).
VALID_FORM = {"content": "x", "name": "n", "url": "https://n.example/", "shown": "true"}


@pytest.fixture
def admin(client, make_user):
    """`client` signed in on the web as an admin."""
    make_user("olivia", is_admin=True)
    assert sign_in(client, "olivia", PASSWORD).status_code == 303
    return client


@pytest.fixture
def admin_pub(client, make_user):
    """/pub as the admin's scripts call it (another admin's key)."""
    return Pub(client, make_user("scripts", is_admin=True)[1])


def flashed(response) -> list[str]:
    return re.findall(r'<p class="notice">([^<]*)</p>', response.text)


def follow(client, response):
    assert response.status_code == 303, response.text
    return client.get(response.headers["Location"])


def failure_name(response) -> str:
    return re.search(r'class="failure-name">\(?([a-z_]+)', response.text).group(1)


# -- who may use the pages ----------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_visitor_is_sent_to_sign_in(client, db_rows, method, path):
    before = db_rows()
    response = client.open(path, method=method, data=VALID_FORM)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")
    assert db_rows() == before


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_user_who_is_not_an_admin_is_forbidden(client, make_user, db_rows, method, path):
    make_user("walter")
    sign_in(client, "walter", PASSWORD)
    before = db_rows()
    response = client.open(path, method=method, data=VALID_FORM)
    assert response.status_code == 403
    assert failure_name(response) == "forbidden_failure"
    assert db_rows() == before


def test_a_non_admin_sees_none_of_these_sections(client, make_user):
    make_user("walter")
    sign_in(client, "walter", PASSWORD)
    home = client.get("/console/").text
    for path in ("/console/talks", "/console/friends", "/console/statistics"):
        assert f'href="{path}"' not in home


def test_an_admin_finds_every_section_in_the_navigation(admin):
    home = admin.get("/console/").text
    for path in ("talks", "friends", "notifications", "statistics"):
        assert f'href="/console/{path}"' in home


@pytest.fixture
def checked(make_app, make_user):
    """An admin's client on an app that checks CSRF tokens, and the token of its pages."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    make_user("olivia", is_admin=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post(
        "/login", data={"login": "olivia", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    page = client.get("/console/talks")
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.mark.parametrize(("method", "path"), [route for route in ROUTES if route[0] == "POST"])
def test_a_form_without_its_csrf_token_is_refused(checked, db_rows, method, path):
    client, _ = checked
    before = db_rows()
    response = client.post(path, data={"content": "forged", "name": "n", "url": "https://x.y/"})
    assert response.status_code == 400
    assert "csrf_failure" in response.text
    assert db_rows() == before


def test_the_same_form_with_its_token_passes(checked, admin_pub):
    client, token = checked
    response = client.post("/console/talks", data={"content": "mine", "csrf_token": token})
    assert response.status_code == 303
    assert [talk["content"] for talk in admin_pub.ok(admin_pub.get("talks"))["data"]] == ["mine"]


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "form", "failure", "typed"),
    [
        ("/console/talks", {"content": "  "}, "incomplete_params_failure", None),
        ("/console/talks", {}, "incomplete_params_failure", None),
        ("/console/talks", {"content": "hi", "values": "{nope"}, "invalid_params_failure", "{nope"),
        ("/console/talks", {"content": "hi", "values": "[1]"}, "invalid_params_failure", "[1]"),
        ("/console/talks", {"content": "hi", "tags": "t," * 40}, "invalid_params_failure", None),
        ("/console/talks", {"content": "hi", "tags": "x" * 65}, "invalid_params_failure", None),
        ("/console/talks", {"content": "a\x00b"}, "invalid_params_failure", None),
        ("/console/friends", {"url": "https://a.example/"}, "incomplete_params_failure", None),
        (
            "/console/friends",
            {"name": "Ann", "url": "javascript:alert(1)"},
            "invalid_params_failure",
            "Ann",
        ),
        (
            "/console/friends",
            {"name": "Ann", "url": "ftp://a.example/"},
            "invalid_params_failure",
            None,
        ),
        (
            "/console/friends",
            {"name": "n" * 257, "url": "https://a.example/"},
            "invalid_params_failure",
            None,
        ),
    ],
)
def test_a_bad_form_is_shown_again_with_its_failure(admin, db_rows, path, form, failure, typed):
    before = db_rows()
    response = admin.post(path, data=form)
    assert response.status_code == 400
    assert failure_name(response) == failure
    assert 'role="alert"' in response.text
    if typed:
        assert typed.replace("&", "&amp;") in response.text  # what was typed is kept
    assert db_rows() == before


@pytest.mark.parametrize(
    ("method", "path", "status", "failure"),
    [
        ("GET", f"/console/talks/{TALK_ID}", 404, "nonexistent_talk_failure"),
        ("POST", f"/console/talks/{TALK_ID}", 404, "nonexistent_talk_failure"),
        ("GET", f"/console/talks/{TALK_ID}/delete", 404, "nonexistent_talk_failure"),
        ("POST", f"/console/talks/{TALK_ID}/delete", 404, "nonexistent_talk_failure"),
        ("GET", "/console/talks/not-a-talk", 404, "not_found_failure"),
        ("GET", f"/console/friends/{FRIEND_TIME}", 404, "nonexistent_friend_failure"),
        ("POST", f"/console/friends/{FRIEND_TIME}", 404, "nonexistent_friend_failure"),
        ("POST", f"/console/friends/{FRIEND_TIME}/shown", 404, "nonexistent_friend_failure"),
        ("POST", f"/console/friends/{FRIEND_TIME}/delete", 404, "nonexistent_friend_failure"),
        ("POST", f"/console/applications/{FRIEND_TIME}/approve", 404, "nonexistent_friend_failure"),
        ("POST", f"/console/applications/{FRIEND_TIME}/refuse", 404, "nonexistent_friend_failure"),
        ("POST", "/console/notifications/x/clear", 404, "not_found_failure"),
    ],
)
def test_what_does_not_exist_is_a_named_404(admin, db_rows, method, path, status, failure):
    before = db_rows()
    form = {"content": "x", "name": "n", "url": "https://a.example/", "shown": "true"}
    response = admin.open(path, method=method, data=form)
    assert response.status_code == status
    assert failure_name(response) == failure
    assert db_rows() == before


def test_showing_needs_a_yes_or_no(admin, admin_pub, db_rows):
    admin_pub.ok(admin_pub.post("add_friend", {"name": "Ann", "url": "https://a.example/"}))
    time = admin_pub.ok(admin_pub.get("get_friends"))["data"][0]["time"]
    before = db_rows()
    response = admin.post(f"/console/friends/{time}/shown", data={"shown": "perhaps"})
    assert response.status_code == 400
    assert failure_name(response) == "invalid_params_failure"
    assert db_rows() == before


# -- talks -------------------------------------------------------------------------------


def test_a_posted_talk_is_on_pub_talks(admin, pub):
    response = admin.post(
        "/console/talks",
        data={"content": "Hello\r\nworld", "tags": " Life, Essay ,", "values": '{"mood": "ok"}'},
    )
    assert flashed(follow(admin, response)) == ["The talk is posted."]
    (talk,) = pub.ok(pub.get("talks"))["data"]
    assert talk["content"] == "Hello\nworld"
    assert talk["tags"] == ["Life", "Essay"]
    assert talk["values"] == {"mood": "ok"}


def test_talks_are_listed_newest_first_with_their_likes(admin, admin_pub, pub):
    for content, time in (("Alpha", 1_700_000_000), ("Omega", 1_700_000_100)):
        admin_pub.ok(admin_pub.post("save_talk", {"content": content, "time": time}))
    newer = pub.ok(pub.get("talks"))["data"][0]["id"]
    for address in ("203.0.113.1", "203.0.113.2"):
        pub.ok(pub.post("like_talk", {"id": newer}, address=address))
    page = admin.get("/console/talks").text
    assert page.index("Omega") < page.index("Alpha")
    likes = re.findall(r'<td class="likes">(\d+)</td>', page)
    assert likes == ["2", "0"]
    assert "2023-11-14 22:15 UTC" in page


def test_an_edited_talk_keeps_its_time_and_likes(admin, admin_pub, pub):
    saved = admin_pub.ok(admin_pub.post("save_talk", {"content": "first", "tags": '["a"]'}))
    talk_id = saved["id"]
    pub.ok(pub.post("like_talk", {"id": talk_id}))
    before = pub.ok(pub.get("talks"))["data"][0]
    form = admin.get(f"/console/talks/{talk_id}").text
    assert ">first</textarea>" in form
    assert 'value="a"' in form
    response = admin.post(
        f"/console/talks/{talk_id}", data={"content": "second", "tags": "b, c", "values": ""}
    )
    assert flashed(follow(admin, response)) == ["The talk is saved."]
    after = pub.ok(pub.get("talks"))["data"][0]
    assert (after["content"], after["tags"], after["values"]) == ("second", ["b", "c"], {})
    assert (after["time"], after["like"]) == (before["time"], before["like"])


def test_a_talk_is_deleted_only_once_confirmed(admin, admin_pub, pub, db_rows):
    talk_id = admin_pub.ok(admin_pub.post("save_talk", {"content": "bye"}))["id"]
    pub.ok(pub.post("like_talk", {"id": talk_id}))
    before = db_rows()
    question = admin.get(f"/console/talks/{talk_id}/delete")
    assert question.status_code == 200
    assert "Delete this talk?" in question.text and "bye" in question.text
    assert db_rows() == before  # asking deletes nothing
    response = admin.post(f"/console/talks/{talk_id}/delete")
    assert flashed(follow(admin, response)) == ["The talk is deleted."]
    assert pub.ok(pub.get("talks"))["count"] == 0
    assert db_rows()["talk_likes"] == []


# -- friend links and applications --------------------------------------------------------


def test_links_are_added_edited_hidden_shown_and_deleted(admin, pub):
    response = admin.post(
        "/console/friends",
        data={"name": "Ann", "url": "https://ann.example/", "shown": "true"},
    )
    assert flashed(follow(admin, response)) == ["The link is added."]
    admin.post("/console/friends", data={"name": "Bob", "url": "https://bob.example/"})
    shown = pub.ok(pub.get("friends"))["data"]
    assert [link["name"] for link in shown] == ["Ann"]
    time = shown[0]["time"]
    page = admin.get("/console/friends").text
    assert re.findall(r'<td class="status">(\w+)</td>', page) == ["Shown", "Hidden"]

    form = admin.get(f"/console/friends/{time}").text
    assert 'value="https://ann.example/"' in form and "checked" in form
    response = admin.post(
        f"/console/friends/{time}",
        data={
            "name": "Ann B.",
            "url": "https://ann.example/b/",
            "description": "new",
            "shown": "true",
        },
    )
    assert flashed(follow(admin, response)) == ["The link is saved."]
    (link,) = pub.ok(pub.get("friends"))["data"]
    assert (link["name"], link["url"], link["description"]) == (
        "Ann B.",
        "https://ann.example/b/",
        "new",
    )

    response = admin.post(f"/console/friends/{time}/shown", data={"shown": "false"})
    assert flashed(follow(admin, response)) == ["Ann B. is hidden."]
    assert pub.ok(pub.get("friends"))["data"] == []
    admin.post(f"/console/friends/{time}/shown", data={"shown": "true"})
    assert len(pub.ok(pub.get("friends"))["data"]) == 1

    assert "Delete this link?" in admin.get(f"/console/friends/{time}/delete").text
    assert len(pub.ok(pub.get("friends"))["data"]) == 1
    response = admin.post(f"/console/friends/{time}/delete")
    assert flashed(follow(admin, response)) == ["The link is deleted."]
    assert pub.ok(pub.get("friends"))["data"] == []


@pytest.fixture
def applying(make_app, make_user):
    """An app taking friend applications; returns (admin's client, visitor's /pub)."""
    app = make_app(FRIEND_APPLICATIONS=True)
    make_user("olivia", is_admin=True)
    client = app.test_client()
    assert sign_in(client, "olivia", PASSWORD).status_code == 303
    return client, Pub(app.test_client())


def waiting(client) -> list[str]:
    section = client.get("/console/friends").text.split('id="applications"')[1]
    section = section.split("<h2>")[0]
    return re.findall(r"<strong>([^<]*)</strong>", section)


def test_an_approved_application_is_on_pub_friends(applying):
    admin, asker = applying
    asker.ok(asker.post("ask_friend", APPLICATION))
    assert waiting(admin) == ["Ann &amp; Co"]  # stored escaped, shown as typed, once escaped
    notifications = admin.get("/console/notifications").text
    assert "Friend Link Application - Ann &amp; Co" in notifications
    assert "&amp;lt;b&amp;gt;" not in notifications
    assert asker.ok(asker.get("friends"))["data"] == []  # waiting: not shown
    page = admin.get("/console/friends").text
    time = re.search(r"/console/applications/([0-9.]+)/approve", page).group(1)
    response = admin.post(f"/console/applications/{time}/approve")
    assert flashed(follow(admin, response)) == ["Approved: Ann &amp; Co is shown."]
    (link,) = asker.ok(asker.get("friends"))["data"]
    assert (link["name"], link["url"]) == ("Ann &amp; Co", "https://ann.example/")
    assert waiting(admin) == []
    # Hidden again later, it is a hidden link, not an application waiting.
    admin.post(f"/console/friends/{time}/shown", data={"shown": "false"})
    assert waiting(admin) == []


def test_a_refused_application_is_gone(applying, db_rows):
    admin, asker = applying
    asker.ok(asker.post("ask_friend", APPLICATION))
    page = admin.get("/console/friends").text
    time = re.search(r"/console/applications/([0-9.]+)/refuse", page).group(1)
    response = admin.post(f"/console/applications/{time}/refuse")
    assert flashed(follow(admin, response)) == ["The application is refused."]
    assert waiting(admin) == []
    assert db_rows()["friend_links"] == []


def test_a_link_the_admin_hid_is_no_application(admin):
    admin.post("/console/friends", data={"name": "Hidden", "url": "https://h.example/"})
    assert waiting(admin) == []


# -- notifications ----------------------------------------------------------------------


def test_notifications_are_listed_newest_first_and_cleared(admin, admin_pub, monkeypatch):
    for n, title in enumerate(["first", "second", "third"]):
        stamp = datetime(2024, 1, 7, 3, 50, n, tzinfo=UTC)
        monkeypatch.setattr(notifications_service, "utcnow", lambda stamp=stamp: stamp)
        admin_pub.ok(admin_pub.post("notifications", {"title": title, "content": "c"}))
    page = admin.get("/console/notifications").text
    assert re.findall(r"<h2>(\w+)</h2>", page) == ["third", "second", "first"]
    assert "2024-01-07 03:50 UTC" in page
    ids = re.findall(r"/console/notifications/(\d+)/clear", page)
    response = admin.post(f"/console/notifications/{ids[1]}/clear")
    assert flashed(follow(admin, response)) == ["The notification is cleared."]
    titles = [n["label"] for n in admin_pub.ok(admin_pub.get("get_notifications"))["data"]]
    assert titles == ["third", "first"]
    again = admin.post(f"/console/notifications/{ids[1]}/clear")
    assert flashed(follow(admin, again)) == ["That notification was cleared already."]
    response = admin.post("/console/notifications/clear")
    assert flashed(follow(admin, response)) == ["Cleared 2 notification(s)."]
    assert admin_pub.ok(admin_pub.get("get_notifications"))["data"] == []


# -- statistics --------------------------------------------------------------------------


@pytest.fixture
def counting(make_app, make_user, monkeypatch):
    """An app counting visits to blog.example on a day the test sets; returns (admin's
    client, visit(page, address), set_day(date), the app)."""
    app = make_app(STATISTIC_DOMAINS=("blog.example",))
    make_user("olivia", is_admin=True)
    client = app.test_client()
    assert sign_in(client, "olivia", PASSWORD).status_code == 303
    pub = Pub(app.test_client())
    today = {"day": date(2026, 3, 10)}
    monkeypatch.setattr(
        site_stats,
        "utcnow",
        lambda: datetime.combine(today["day"], datetime.min.time(), UTC),
    )

    def visit(page, address):
        return pub.ok(pub.get("statistic", headers={"Referer": page}, address=address))

    def set_day(day):
        today["day"] = day

    return client, visit, set_day, app


def day_rows(page: str) -> dict:
    rows = re.findall(
        r'<tr data-day="([\d-]+)">.*?<td class="pv">(\d+)</td><td class="uv">(\d+)</td>', page
    )
    return {day: (int(pv), int(uv)) for day, pv, uv in rows}


def chart_days(page: str) -> dict:
    bars = re.findall(r'<g class="day" data-day="([\d-]+)" data-pv="(\d+)" data-uv="(\d+)">', page)
    return {day: (int(pv), int(uv)) for day, pv, uv in bars}


def test_the_statistics_show_each_days_views_and_visitors(counting):
    admin, visit, set_day, _ = counting
    set_day(date(2026, 3, 9))
    visit("https://blog.example/a/", "203.0.113.1")
    visit("https://blog.example/a/", "203.0.113.1")
    set_day(date(2026, 3, 10))
    visit("https://blog.example/a/", "203.0.113.1")  # seen before, new today
    visit("https://blog.example/b/", "203.0.113.2")
    last = visit("https://blog.example/b/", "203.0.113.2")
    assert last == {"status": True, "site_pv": 5, "page_pv": 2, "site_uv": 2}

    page = admin.get("/console/statistics").text
    rows = day_rows(page)
    assert len(rows) == 30
    assert rows["2026-03-09"] == (2, 1)
    assert rows["2026-03-10"] == (3, 2)
    assert rows["2026-02-09"] == (0, 0)
    assert "2026-02-08" not in rows
    assert chart_days(page) == rows  # the chart draws what the table says
    pages = re.findall(r'<td class="address">([^<]*)</td><td>(\d+)</td>', page)
    assert pages == [("blog.example/a/", "3"), ("blog.example/b/", "2")]
    assert "<td>blog.example</td><td>5</td><td>2</td>" in page
    # The tallest bar is the busiest day's, the others in proportion.
    bar = (
        r'data-day="([\d-]+)"[^>]*>\s*<title>[^<]*</title>\s*<rect class="pv" [^>]*height="([^"]+)"'
    )
    heights = dict(re.findall(bar, page))
    assert float(heights["2026-03-10"]) == 180.0
    assert float(heights["2026-03-09"]) == 120.0
    assert float(heights["2026-03-01"]) == 0.0


def test_statistics_off_say_how_to_switch_them_on(admin):
    page = admin.get("/console/statistics").text
    assert "PASTECMS_STATISTIC_DOMAINS" in page
    assert set(day_rows(page).values()) == {(0, 0)}


def test_a_counted_visit_costs_one_statement_more_than_totals_alone(counting):
    """Measured: a visit to a page counted before cost 3 statements with totals alone
    (visitor, site, page); the day's row adds one (4), and a new page one more (5). On
    PostgreSQL the four are the parts of one statement (1), and a new page adds one (2)."""
    _, visit, _, app = counting
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    counted, new_page = (1, 2) if postgresql else (4, 5)
    visit("https://blog.example/a/", "203.0.113.1")
    for address in ("203.0.113.1", "203.0.113.2"):
        with statements(app) as seen:
            visit("https://blog.example/a/", address)
        assert len(seen) == counted
    with statements(app) as seen:
        visit("https://blog.example/new/", "203.0.113.1")
    assert len(seen) == new_page


def test_days_are_counted_per_site_and_visitor(counting):
    _, visit, set_day, app = counting
    for day, address in ((9, "a"), (9, "a"), (10, "a"), (10, "b"), (10, "b")):
        set_day(date(2026, 3, day))
        visit("https://blog.example/x/", f"203.0.113.{ord(address)}")
    with app.app_context():
        days = site_stats.daily(3, today=date(2026, 3, 10))
        top = site_stats.top_pages(5)
        sites = site_stats.sites()
    assert [(d["day"].day, d["pv"], d["uv"]) for d in days] == [(8, 0, 0), (9, 2, 1), (10, 3, 2)]
    assert [tuple(row) for row in top] == [("blog.example/x/", 5)]
    assert [tuple(row) for row in sites] == [("blog.example", 5, 2)]


def test_a_visitor_from_before_the_days_were_kept_is_not_new_to_the_site(counting):
    _, visit, _, app = counting
    visit("https://blog.example/", "203.0.113.1")
    with app.app_context():
        from sqlalchemy import update

        from pastecms.extensions import db
        from pastecms.models import SiteVisitor

        db.session.execute(
            update(SiteVisitor).values(first_day=date(1970, 1, 1), last_day=date(1970, 1, 1))
        )
        db.session.commit()
    assert visit("https://blog.example/", "203.0.113.1")["site_uv"] == 1


# -- in Chromium -----------------------------------------------------------------------

from tests.test_browser import browser, visitor  # noqa: E402, F401  (fixtures)

#: Every page of the section a browser opens without an id in its address (and the site
#: files', the section beside it).
CONSOLE_PAGES = [
    "/console/talks",
    "/console/friends",
    "/console/notifications",
    "/console/statistics",
    "/console/files",
]


@pytest.fixture
def site(live_env, make_user, tmp_path):
    """gunicorn on the test database, taking applications and counting blog.example; the
    admin olivia exists (the `visitor` fixture's server)."""
    from tests.live import gunicorn

    make_user("olivia", is_admin=True)
    env = live_env(
        RATELIMIT_ENABLED="false",
        FRIEND_APPLICATIONS="true",
        STATISTIC_DOMAINS='["blog.example"]',
    )
    with gunicorn(env, tmp_path / "app.log") as url:
        yield url


def signed_in_admin(visitor, javascript: bool):  # noqa: F811  (the fixture)
    olivia = visitor(java_script_enabled=javascript)
    page = olivia.page
    page.goto("/login?next=/console/")
    page.get_by_label("Username or email").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/console/")
    return olivia


@pytest.mark.live
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_owner_manages_the_site_in_a_browser(visitor, site, javascript, tmp_path):  # noqa: F811
    olivia = signed_in_admin(visitor, javascript)
    page, api = olivia.page, olivia.page.request

    # A visitor's application, approved, is on /pub/friends.
    applied = api.post(f"{site}/pub/ask_friend", form=APPLICATION).json()
    assert applied["status"] is True
    page.goto("/console/friends")
    assert page.locator("#applications + table strong").inner_text() == "Ann & Co"
    with page.expect_navigation():
        page.get_by_role("button", name="Approve").click()
    assert page.locator(".notice").inner_text() == "Approved: Ann & Co is shown."
    friends = api.get(f"{site}/pub/friends").json()["data"]
    assert [link["url"] for link in friends] == ["https://ann.example/"]

    # A talk posted here is on /pub/talks.
    page.goto("/console/talks")
    page.get_by_label("Content").fill("Written in the console")
    page.get_by_label("Tags").fill("Life, Console")
    with page.expect_navigation():
        page.get_by_role("button", name="Post the talk").click()
    assert page.locator(".notice").inner_text() == "The talk is posted."
    (talk,) = api.get(f"{site}/pub/talks").json()["data"]
    assert (talk["content"], talk["tags"]) == ("Written in the console", ["Life", "Console"])

    # Deleting it asks first.
    with page.expect_navigation():
        page.get_by_role("link", name="Delete…").click()
    assert page.locator("h1").inner_text() == "Delete this talk?"
    with page.expect_navigation():
        page.get_by_role("button", name="Delete the talk").click()
    assert api.get(f"{site}/pub/talks").json()["count"] == 0

    # The chart shows the visits /pub/statistic counted today, as the table does.
    for path, _ in (("/a/", 1), ("/a/", 2), ("/b/", 3)):
        counted = api.get(
            f"{site}/pub/statistic", headers={"Referer": f"https://blog.example{path}"}
        )
        assert counted.json()["status"] is True
    page.goto("/console/statistics")
    today = page.locator("g.day").last
    assert (today.get_attribute("data-pv"), today.get_attribute("data-uv")) == ("3", "1")
    assert float(today.locator("rect.pv").get_attribute("height")) == 180.0
    row = page.locator(f'.stats-days tr[data-day="{today.get_attribute("data-day")}"]')
    assert row.locator("td.pv").inner_text() == "3" and row.locator("td.uv").inner_text() == "1"
    assert page.locator("svg.chart").bounding_box()["height"] > 100  # drawn by its stylesheet

    # Every page, and the notification the application made, at a phone's width in dark.
    page.set_viewport_size({"width": 375, "height": 800})
    page.emulate_media(color_scheme="dark")
    for path in CONSOLE_PAGES:
        page.goto(path)
        assert page.locator(".console-page h1").is_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide at a phone's width"
    page.goto("/console/notifications")
    assert page.get_by_role("heading", name="Friend Link Application - Ann & Co").is_visible()
    if javascript:  # a picture of each page for review, dark at a phone's width
        for path in CONSOLE_PAGES:
            page.goto(path)
            page.screenshot(path=tmp_path / f"{path.rsplit('/', 1)[1]}.png", full_page=True)
    assert olivia.errors == []
