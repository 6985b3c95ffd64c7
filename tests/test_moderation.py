"""Moderation: reports of pastes (the paste API and the paste page's form), the admins'
queue in the console (hide, delete, deactivate the poster, dismiss), blocked address
ranges, the longest expiry allowed, the pastes search and the log."""

import re
import time

import pytest

from pastecms.extensions import db
from pastecms.models import ModerationEntry, PasteReport, User
from tests.test_web_accounts import PASSWORD, sign_in

REPORT = "/api/paste/report"
BLOCKED_ADDRESS = "203.0.113.7"
FROM_BLOCKED = {"REMOTE_ADDR": BLOCKED_ADDRESS}


@pytest.fixture
def admin(app, make_user):
    """A client signed in on the web as an admin."""
    make_user("root", is_admin=True)
    client = app.test_client()
    assert sign_in(client, "root", PASSWORD).status_code == 303
    return client


@pytest.fixture
def paste(make_paste):
    """A live anonymous paste with an attachment; its public id."""
    attachment = {"name": "notes.txt", "mime_type": "text/plain", "data": "aGVsbG8="}
    return make_paste("bad things", title="Spam", attachments=[attachment])["paste_id_repr"]


def report(client, paste_id, reason="spam", **fields):
    return client.post(REPORT, json={"paste_id": paste_id, "reason": reason, **fields})


def failure(response) -> str:
    if response.is_json:
        return response.json["failure_name"]
    if response.mimetype == "text/plain":
        return response.text.split(":", 1)[0]
    # The error page names it in a <code>, a form shown again in a <small>.
    match = re.search(r'class="failure-name">\(?(\w+)', response.text)
    return match.group(1) if match else ""


def log_actions(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (entry.actor_name, entry.action, entry.target)
            for entry in db.session.scalars(db.select(ModerationEntry).order_by(ModerationEntry.id))
        ]


# -- the report route ---------------------------------------------------------------------


def test_a_report_answers_in_the_paste_envelope_and_reaches_the_queue(api, paste, admin):
    response = report(api.client, paste, details="selling pills")
    assert response.status_code == 200
    assert response.json == {
        "success": True,
        "message": None,
        "paste_id": paste,
        "reason": "spam",
    }
    queue = admin.get("/console/moderation")
    assert queue.status_code == 200
    assert "Spam" in queue.text and ">spam<" in queue.text
    assert f"/console/moderation/paste/{paste}" in queue.text


@pytest.mark.parametrize(
    ("payload", "failure_name", "status"),
    [
        ({"reason": "spam"}, "incomplete_params_failure", 400),
        ({"paste_id": "PASTE"}, "incomplete_params_failure", 400),
        ({"paste_id": "PASTE", "reason": ""}, "incomplete_params_failure", 400),
        ({"paste_id": "PASTE", "reason": "boring"}, "invalid_params_failure", 400),
        ({"paste_id": "PASTE", "reason": 7}, "invalid_params_failure", 400),
        (
            {"paste_id": "PASTE", "reason": "spam", "details": "x" * 2001},
            "invalid_params_failure",
            400,
        ),
        ({"paste_id": "PASTE", "reason": "spam", "details": 5}, "invalid_params_failure", 400),
        ({"paste_id": "nothing-here", "reason": "spam"}, "nonexistent_paste_failure", 404),
        (
            {"paste_id": "AAAAAAAAAAAAAAAAAAAAAA", "reason": "spam"},
            "nonexistent_paste_failure",
            404,
        ),
    ],
)
def test_a_bad_report_is_a_named_failure_and_changes_nothing(
    api, paste, db_rows, payload, failure_name, status
):
    payload = {key: paste if value == "PASTE" else value for key, value in payload.items()}
    before = db_rows()
    response = api.post(REPORT, payload)
    assert (response.status_code, response.json["failure_name"]) == (status, failure_name)
    assert response.json["success"] is False
    assert response.json["failure"] == failure_name
    assert db_rows() == before


def test_a_deactivated_or_hidden_paste_cannot_be_reported(api, make_paste, admin, db_rows):
    gone = make_paste("gone")
    api.post(
        "/api/paste/deactivate",
        {"paste_id": gone["paste_id_repr"], "deactivation_token": gone["deactivation_token"]},
    )
    hidden = make_paste("hidden")["paste_id_repr"]
    admin.post(f"/console/moderation/paste/{hidden}/hide")
    before = db_rows()
    for paste_id in (gone["paste_id_repr"], hidden):
        response = report(api.client, paste_id)
        assert (response.status_code, failure(response)) == (404, "nonexistent_paste_failure")
    assert db_rows() == before


def test_reports_are_rate_limited_per_address_over_the_api_and_the_form(make_app, make_user):
    app = make_app(RATELIMIT_REPORT="2 per minute")
    client = app.test_client()
    paste_id = client.post("/api/paste/submit", json={"contents": "x"}).json["paste_id_repr"]
    assert report(client, paste_id).status_code == 200
    form = client.post(f"/paste/{paste_id}/report", data={"reason": "other"})
    assert form.status_code == 200 and "report is sent" in form.text
    limited = report(client, paste_id)
    assert (limited.status_code, failure(limited)) == (429, "rate_limit_failure")
    assert "Retry-After" in limited.headers
    limited_form = client.post(f"/paste/{paste_id}/report", data={"reason": "other"})
    assert limited_form.status_code == 429
    # Another address is counted on its own.
    other = client.post(
        REPORT,
        json={"paste_id": paste_id, "reason": "spam"},
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
    )
    assert other.status_code == 200
    with app.app_context():
        assert db.session.query(PasteReport).count() == 3


def test_every_paste_page_links_its_report_form(client, paste):
    page = client.get(f"/paste/{paste}")
    assert f'href="/paste/{paste}/report"' in page.text
    form = client.get(f"/paste/{paste}/report")
    assert form.status_code == 200
    assert 'name="reason"' in form.text and 'name="csrf_token"' in form.text
    assert client.get("/paste/nothing/report").status_code == 404


def test_the_report_form_shows_itself_again_on_a_bad_reason(client, paste, db_rows):
    before = db_rows()
    response = client.post(f"/paste/{paste}/report", data={"reason": "boring", "details": "kept"})
    assert response.status_code == 400
    assert failure(response) == "invalid_params_failure"
    assert 'name="reason"' in response.text and ">kept</textarea>" in response.text
    assert db_rows() == before


# -- hiding -------------------------------------------------------------------------------


def every_face(client, paste_id, key):
    """Each way a paste is read or listed, and whether it shows the paste."""
    api = {
        "details": client.post("/api/paste/details", json={"paste_id": paste_id}),
        "set_password": client.post(
            "/api/paste/set_password", json={"paste_id": paste_id, "password": None, "api_key": key}
        ),
        "deactivate": client.post(
            "/api/paste/deactivate", json={"paste_id": paste_id, "api_key": key}
        ),
    }
    pages = {
        "page": client.get(f"/paste/{paste_id}"),
        "?raw": client.get(f"/paste/{paste_id}?raw"),
        "raw": client.get(f"/paste/{paste_id}/raw"),
        "download": client.get(f"/paste/{paste_id}/download"),
        "attachment": client.get(f"/paste/{paste_id}/attachment/notes.txt"),
        "report form": client.get(f"/paste/{paste_id}/report"),
        "delete page": client.get(f"/paste/{paste_id}/delete"),
    }
    lists = {
        "recent": client.post("/api/paste/recent", json={}).json["pastes"],
        "top": client.post("/api/paste/top", json={}).json["pastes"],
        "user": client.post("/api/paste/user", json={"api_key": key}).json["pastes"],
    }
    return (
        api,
        pages,
        lists,
        {
            "archive": client.get("/archive").text,
            "archive top": client.get("/archive?sort=top").text,
        },
    )


def test_a_hidden_paste_is_a_404_on_every_face_but_the_console(app, make_user, admin):
    _, key = make_user("poster")
    client = app.test_client()
    attachment = {"name": "notes.txt", "mime_type": "text/plain", "data": "aGVsbG8="}
    paste_id = client.post(
        "/api/paste/submit",
        json={
            "contents": "hide me",
            "title": "Hideable",
            "api_key": key,
            "attachments": [attachment],
        },
    ).json["paste_id_repr"]

    hidden = admin.post(f"/console/moderation/paste/{paste_id}/hide")
    assert hidden.status_code == 303

    api, pages, lists, archive = every_face(client, paste_id, key)
    for name, response in api.items():
        assert (response.status_code, failure(response)) == (404, "nonexistent_paste_failure"), name
    for name, response in pages.items():
        assert response.status_code == 404, name
        assert failure(response) == "nonexistent_paste_failure", name
    for name, listed in lists.items():
        assert paste_id not in [item["paste_id_repr"] for item in listed], name
    for name, text in archive.items():
        assert paste_id not in text, name
    # The poster's own page of pastes leaves it out too.
    owner = app.test_client()
    assert sign_in(owner, "poster", PASSWORD).status_code == 303
    assert paste_id not in owner.get("/my").text

    # Admins still see it, contents and all, in the console; showing it again restores it.
    seen = admin.get(f"/console/moderation/paste/{paste_id}")
    assert seen.status_code == 200 and "hide me" in seen.text and "hidden" in seen.text
    assert admin.get("/console/moderation/pastes?q=Hideable").text.count(paste_id) >= 1
    assert admin.post(f"/console/moderation/paste/{paste_id}/unhide").status_code == 303
    assert client.post("/api/paste/details", json={"paste_id": paste_id}).status_code == 200


def test_deleting_closes_the_reports_and_the_paste_is_gone(api, paste, admin, app):
    report(api.client, paste)
    assert admin.post(f"/console/moderation/paste/{paste}/delete").status_code == 303
    assert api.details(paste).status_code == 404
    assert "No open reports." in admin.get("/console/moderation").text
    with app.app_context():
        assert all(row.closed_at is not None for row in db.session.query(PasteReport))


def test_dismissing_empties_the_queue_and_keeps_the_paste(api, paste, admin):
    report(api.client, paste)
    report(api.client, paste, reason="malware")
    queue = admin.get("/console/moderation").text
    assert "malware, spam" in queue
    assert admin.post(f"/console/moderation/paste/{paste}/dismiss").status_code == 303
    assert "No open reports." in admin.get("/console/moderation").text
    assert api.details(paste).status_code == 200


def test_deactivating_the_poster_goes_through_the_user_service(app, make_user, admin):
    _, key = make_user("spammer")
    client = app.test_client()
    paste_id = client.post("/api/paste/submit", json={"contents": "buy now", "api_key": key}).json[
        "paste_id_repr"
    ]
    report(client, paste_id)
    response = admin.post(f"/console/moderation/paste/{paste_id}/deactivate_poster")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="spammer")).is_active is False
    # Their key stops working and their pastes are gone with the account.
    assert client.post("/api/paste/user", json={"api_key": key}).status_code == 401
    assert client.post("/api/paste/details", json={"paste_id": paste_id}).status_code == 404
    assert ("root", "deactivate_poster", "spammer") in log_actions(app)


def test_an_anonymous_paste_has_no_poster_to_deactivate(api, paste, admin, db_rows):
    before = db_rows()
    response = admin.post(f"/console/moderation/paste/{paste}/deactivate_poster")
    assert (response.status_code, failure(response)) == (400, "invalid_params_failure")
    assert db_rows() == before


def test_the_pastes_search_finds_by_id_title_and_poster(app, make_user, make_paste, admin):
    _, key = make_user("mallory")
    by_mallory = make_paste("one", title="First", api_key=key)["paste_id_repr"]
    other = make_paste("two", title="Needle in a title")["paste_id_repr"]

    def found(query):
        text = admin.get("/console/moderation/pastes", query_string={"q": query}).text
        return {paste_id for paste_id in (by_mallory, other) if paste_id in text}

    assert found(by_mallory) == {by_mallory}
    assert found("needle") == {other}
    assert found("MALLORY") == {by_mallory}
    assert found("") == {by_mallory, other}
    assert found("100%_") == set()


# -- blocked address ranges ---------------------------------------------------------------


def block(admin, cidr="203.0.113.0/24"):
    return admin.post("/console/moderation/block", data={"cidr": cidr, "note": "spam wave"})


def test_a_blocked_range_is_refused_on_every_way_of_posting(app, admin, db_rows):
    assert block(admin).status_code == 303
    client = app.test_client()
    before = db_rows()
    attempts = {
        "api": client.post("/api/paste/submit", json={"contents": "x"}, environ_base=FROM_BLOCKED),
        "api, retried": client.post(
            "/api/paste/submit",
            json={"contents": "x"},
            headers={"Idempotency-Key": "k-1"},
            environ_base=FROM_BLOCKED,
        ),
        "form": client.post(
            "/", data={"contents": "x", "expires_in": "1h"}, environ_base=FROM_BLOCKED
        ),
        "shell post": client.post(
            "/",
            data=b"x",
            headers={"Content-Type": "text/plain", "User-Agent": "curl/8"},
            environ_base=FROM_BLOCKED,
        ),
        "shell file": client.post(
            "/",
            data={"file": (__import__("io").BytesIO(b"x"), "notes.txt")},
            headers={"User-Agent": "curl/8"},
            environ_base=FROM_BLOCKED,
        ),
        "shell put": client.put(
            "/notes.txt", data=b"x", headers={"User-Agent": "curl/8"}, environ_base=FROM_BLOCKED
        ),
    }
    for name, response in attempts.items():
        assert response.status_code == 403, name
        assert failure(response) == "address_blocked_failure", name
    assert db_rows() == before
    # Another address posts as before; unblocked, the range does too.
    assert client.post("/api/paste/submit", json={"contents": "x"}).status_code == 200
    unblocked = admin.post("/console/moderation/unblock", data={"cidr": "203.0.113.0/24"})
    assert unblocked.status_code == 303
    again = client.post("/api/paste/submit", json={"contents": "x"}, environ_base=FROM_BLOCKED)
    assert again.status_code == 200


def test_an_ipv6_range_and_a_mapped_ipv4_address_are_matched(app, admin):
    assert block(admin, "2001:db8::/32").status_code == 303
    assert block(admin, "198.51.100.0/24").status_code == 303
    client = app.test_client()
    for address in ("2001:db8::1", "::ffff:198.51.100.4"):
        response = client.post(
            "/api/paste/submit", json={"contents": "x"}, environ_base={"REMOTE_ADDR": address}
        )
        assert failure(response) == "address_blocked_failure", address


@pytest.mark.parametrize(
    ("cidr", "failure_name", "status"),
    [
        ("not a range", "invalid_params_failure", 400),
        ("10.0.0.0/33", "invalid_params_failure", 400),
        ("127.0.0.0/8", "invalid_params_failure", 400),  # the admin's own address
        ("", "incomplete_params_failure", 400),
    ],
)
def test_a_bad_range_is_refused_and_changes_nothing(admin, db_rows, cidr, failure_name, status):
    before = db_rows()
    response = block(admin, cidr)
    assert (response.status_code, failure(response)) == (status, failure_name)
    assert db_rows() == before


def test_a_range_blocked_twice_is_a_conflict(admin):
    assert block(admin, "203.0.113.5/24").status_code == 303  # stored as 203.0.113.0/24
    response = block(admin)
    assert (response.status_code, failure(response)) == (409, "conflict_failure")


# -- the longest expiry -------------------------------------------------------------------


def set_limit(admin, longest, never):
    data = {"longest": longest, **({"never": "on"} if never else {})}
    return admin.post("/console/moderation/expiry", data=data)


def test_the_longest_expiry_applies_to_the_api(app, admin, db_rows):
    assert set_limit(admin, "1d", never=False).status_code == 303
    console = admin.get("/console/moderation").text
    assert '<option value="1d" selected>' in console
    assert 'name="never" >' in console  # not ticked
    assert "New pastes may have at most 1 day, on every face" in console
    client = app.test_client()
    before = db_rows()
    for fields in ({"expiry_time": int(time.time()) + 2 * 86400}, {}, {"expiry_time": None}):
        response = client.post("/api/paste/submit", json={"contents": "x", **fields})
        assert (response.status_code, failure(response)) == (400, "invalid_params_failure")
        assert "1 day" in response.json["message"]
        assert "1 day" in response.json["details"]["expiry_time"]
    assert db_rows() == before
    within = client.post(
        "/api/paste/submit", json={"contents": "x", "expiry_time": int(time.time()) + 3600}
    )
    assert within.status_code == 200


def test_the_longest_expiry_applies_to_the_form_and_its_choices(app, admin, db_rows):
    assert set_limit(admin, "1d", never=False).status_code == 303
    client = app.test_client()
    form = client.get("/").text
    offered = re.findall(r'<option value="(\w+)"', form.split('name="expires_in"')[1])
    assert offered[: offered.index("1d") + 1] == ["10m", "1h", "1d"]
    assert "never" not in offered and "1w" not in offered
    before = db_rows()
    for choice in ("1w", "never"):
        response = client.post("/", data={"contents": "x", "expires_in": choice})
        assert (response.status_code, failure(response)) == (400, "invalid_params_failure")
        assert "1 day" in response.text
    assert db_rows() == before
    assert client.post("/", data={"contents": "x", "expires_in": "1d"}).status_code == 302


def test_the_longest_expiry_applies_to_shell_uploads(app, admin, db_rows):
    assert set_limit(admin, "1h", never=False).status_code == 303
    client = app.test_client()
    shell = {"Content-Type": "text/plain", "User-Agent": "curl/8"}
    before = db_rows()
    for query in ("?expires=1d", "", "?expires=never"):
        response = client.post(f"/{query}", data=b"x", headers=shell)
        assert response.status_code == 400, query
        assert response.text.startswith("invalid_params_failure: ")
        assert "1 hour" in response.text
    put = client.put("/notes.txt?expires=1w", data=b"x", headers=shell)
    assert failure(put) == "invalid_params_failure"
    assert db_rows() == before
    assert client.post("/?expires=10m", data=b"x", headers=shell).status_code == 200


def test_never_may_be_offered_beside_a_longest_expiry(app, admin):
    assert set_limit(admin, "1h", never=True).status_code == 303
    client = app.test_client()
    assert client.post("/api/paste/submit", json={"contents": "x"}).status_code == 200
    beyond = client.post(
        "/api/paste/submit", json={"contents": "x", "expiry_time": int(time.time()) + 7200}
    )
    assert failure(beyond) == "invalid_params_failure"
    assert "at most 1 hour, or never" in beyond.json["message"]
    # No limit again: anything goes.
    assert set_limit(admin, "any", never=True).status_code == 303
    far = client.post(
        "/api/paste/submit", json={"contents": "x", "expiry_time": int(time.time()) + 10**8}
    )
    assert far.status_code == 200


def test_a_bad_expiry_choice_is_refused(admin, db_rows):
    before = db_rows()
    response = set_limit(admin, "1y", never=True)
    assert (response.status_code, failure(response)) == (400, "invalid_params_failure")
    assert db_rows() == before


# -- rights, CSRF, the log ----------------------------------------------------------------

ADMIN_PAGES = ["/console/moderation", "/console/moderation/pastes"]
ADMIN_POSTS = [
    ("/console/moderation/paste/{paste}/hide", {}),
    ("/console/moderation/paste/{paste}/delete", {}),
    ("/console/moderation/paste/{paste}/dismiss", {}),
    ("/console/moderation/block", {"cidr": "198.51.100.0/24"}),
    ("/console/moderation/unblock", {"cidr": "198.51.100.0/24"}),
    ("/console/moderation/expiry", {"longest": "1h"}),
]


def test_a_user_who_is_not_an_admin_is_forbidden(app, make_user, paste, db_rows):
    make_user("walter")
    client = app.test_client()
    assert sign_in(client, "walter", PASSWORD).status_code == 303
    assert "/console/moderation" not in client.get("/console/").text
    for path in [*ADMIN_PAGES, f"/console/moderation/paste/{paste}"]:
        response = client.get(path)
        assert (response.status_code, failure(response)) == (403, "forbidden_failure"), path
    before = db_rows()
    for path, data in ADMIN_POSTS:
        response = client.post(path.format(paste=paste), data=data)
        assert (response.status_code, failure(response)) == (403, "forbidden_failure"), path
    assert db_rows() == before


def test_a_visitor_is_sent_to_sign_in(client, paste, db_rows):
    for path in [*ADMIN_PAGES, f"/console/moderation/paste/{paste}"]:
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith(f"/login?next={path}")
    before = db_rows()
    for path, data in ADMIN_POSTS:
        response = client.post(path.format(paste=paste), data=data)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/login")
    assert db_rows() == before


def test_an_admin_sees_the_section_in_the_navigation(admin):
    assert 'href="/console/moderation"' in admin.get("/console/").text


def _token(client, path) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_every_moderation_form_needs_its_csrf_token(make_app, make_user, make_paste, db_rows):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user("root", is_admin=True)
    client = app.test_client()
    paste_id = client.post("/api/paste/submit", json={"contents": "x"}).json["paste_id_repr"]
    login = client.post(
        "/login",
        data={"login": "root", "password": PASSWORD, "csrf_token": _token(client, "/login")},
    )
    assert login.status_code == 303
    before = db_rows()
    for path, data in [*ADMIN_POSTS, (f"/paste/{paste_id}/report", {"reason": "spam"})]:
        response = client.post(path.format(paste=paste_id), data=data)
        assert (response.status_code, failure(response)) == (400, "csrf_failure"), path
    assert db_rows() == before
    token = _token(client, "/console/moderation")
    hidden = client.post(f"/console/moderation/paste/{paste_id}/hide", data={"csrf_token": token})
    assert hidden.status_code == 303
    reported = client.post(
        f"/paste/{paste_id}/report",
        data={"reason": "spam", "csrf_token": token},
    )
    assert reported.status_code == 404  # hidden: nothing to report


def test_every_action_is_logged_with_who_and_when(app, api, paste, admin):
    report(api.client, paste)
    admin.post(f"/console/moderation/paste/{paste}/hide")
    admin.post(f"/console/moderation/paste/{paste}/dismiss")
    block(admin)
    admin.post("/console/moderation/unblock", data={"cidr": "203.0.113.0/24"})
    set_limit(admin, "1w", never=True)
    admin.post(f"/console/moderation/paste/{paste}/unhide")
    admin.post(f"/console/moderation/paste/{paste}/delete")
    assert log_actions(app) == [
        ("root", "hide", paste),
        ("root", "dismiss", paste),
        ("root", "block", "203.0.113.0/24"),
        ("root", "unblock", "203.0.113.0/24"),
        ("root", "expiry_limit", "longest expiry"),
        ("root", "unhide", paste),
        ("root", "delete", paste),
    ]
    with app.app_context():
        stamps = [entry.at for entry in db.session.scalars(db.select(ModerationEntry))]
    assert all(stamp.tzinfo is not None for stamp in stamps)
    page = admin.get("/console/moderation").text
    log = page.split('id="log"')[1]
    for action in ("hide", "dismiss", "block", "unblock", "expiry_limit", "unhide", "delete"):
        assert f"<td>{action}</td>" in log
    assert "<td>root</td>" in log
    assert "UTC</time>" in log
