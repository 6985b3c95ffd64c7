"""/pub friend links: the public list, the admin's endpoints, and applications."""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from pastecms.services.site import friends as friends_service

ZHANG = {
    "name": "Zhang San's Blog",
    "url": "https://zhangsan.com",
    "image": "https://zhangsan.com/avatar.jpg",
    "description": "A programmer who loves technology",
}
APPLICATION = {
    "name": "Wang Wu Blog",
    "url": "https://wangwu.com",
    "image": "https://wangwu.com/avatar.jpg",
    "description": "Technology sharing",
}


def add(admin_pub, status="显示", **fields):
    return admin_pub.ok(admin_pub.post("add_friend", {**ZHANG, "status": status, **fields}))


def test_an_added_link_answers_its_time_and_shows_publicly(admin_pub, pub, monkeypatch):
    monkeypatch.setattr(friends_service, "utcnow", lambda: datetime(2024, 1, 7, 3, 50, tzinfo=UTC))
    added = add(admin_pub)
    assert added == {"msg": "Added successfully!", "time": "1704599400.000000", "status": True}
    assert pub.ok(pub.get("friends")) == {
        "data": [{**ZHANG, "time": "1704599400.000000"}],
        "status": True,
    }


def test_links_made_in_the_same_microsecond_get_distinct_times(admin_pub, monkeypatch):
    monkeypatch.setattr(friends_service, "utcnow", lambda: datetime(2024, 1, 7, 3, 50, tzinfo=UTC))
    times = [add(admin_pub, name=f"blog {n}")["time"] for n in range(3)]
    assert times == ["1704599400.000000", "1704599400.000001", "1704599400.000002"]


def test_the_public_list_has_shown_links_only_oldest_first(admin_pub, pub):
    first = add(admin_pub, name="first")["time"]
    add(admin_pub, name="hidden", status="隐藏")
    third = add(admin_pub, name="third", status="true")["time"]
    listed = pub.ok(pub.get("friends"))["data"]
    assert [(link["name"], link["time"]) for link in listed] == [("first", first), ("third", third)]


def test_the_admin_list_has_every_link_with_its_status_and_searches(admin_pub):
    add(admin_pub, name="Shown Blog", description="about Rust")
    add(admin_pub, name="Hidden Blog", status=False, url="https://python.example")
    everything = admin_pub.ok(admin_pub.get("get_friends"))["data"]
    assert [(link["name"], link["status"]) for link in everything] == [
        ("Shown Blog", True),
        ("Hidden Blog", False),
    ]
    assert set(everything[0]) == {"name", "url", "image", "description", "time", "status"}
    found = admin_pub.ok(admin_pub.get("get_friends", s="PYTHON"))["data"]
    assert [link["name"] for link in found] == ["Hidden Blog"]
    assert admin_pub.ok(admin_pub.get("get_friends", s="rust"))["data"][0]["name"] == "Shown Blog"
    # LIKE wildcards are searched for as themselves.
    assert admin_pub.ok(admin_pub.get("get_friends", s="%"))["data"] == []


def test_editing_changes_the_given_fields_and_keeps_the_others(admin_pub):
    time = add(admin_pub)["time"]
    edited = admin_pub.post(
        "edit_friend", {"time": time, "name": "Li Si's New Blog", "status": "隐藏"}
    )
    assert admin_pub.ok(edited) == {"msg": "Modified successfully!", "status": True}
    (link,) = admin_pub.ok(admin_pub.get("get_friends"))["data"]
    assert link == {**ZHANG, "name": "Li Si's New Blog", "time": time, "status": False}


def test_deleting_removes_the_link(admin_pub, pub):
    time = add(admin_pub)["time"]
    assert admin_pub.ok(admin_pub.post("del_friend", {"time": time})) == {
        "msg": "Deleted successfully!",
        "status": True,
    }
    assert pub.ok(pub.get("friends"))["data"] == []


@pytest.mark.parametrize("endpoint", ["edit_friend", "del_friend"])
def test_an_unknown_time_names_no_link(admin_pub, db_rows, endpoint):
    add(admin_pub)
    before = db_rows()
    response = admin_pub.post(endpoint, {"time": "1.000000", "name": "x"})
    assert admin_pub.failed(response) == "nonexistent_friend_failure"
    assert db_rows() == before


def test_the_admin_text_is_stored_as_written(admin_pub, pub):
    add(admin_pub, name="<b>Bold</b> & co")
    assert pub.ok(pub.get("friends"))["data"][0]["name"] == "<b>Bold</b> & co"


# -- applications ------------------------------------------------------------------------


@pytest.fixture
def applications(make_app):
    from tests.qexo import Pub

    def make(**settings):
        return Pub(make_app(FRIEND_APPLICATIONS=True, **settings).test_client())

    return make


def test_an_application_is_stored_hidden_with_a_notification(applications, make_user):
    visitor = applications()
    applied = visitor.ok(visitor.post("ask_friend", APPLICATION))
    assert set(applied) == {"msg", "time", "status"} and applied["msg"] == "Applied successfully!"
    assert visitor.ok(visitor.get("friends"))["data"] == []

    from tests.qexo import Pub

    admin = Pub(visitor.client, make_user("admin", is_admin=True)[1])
    (link,) = admin.ok(admin.get("get_friends"))["data"]
    assert link == {**APPLICATION, "time": applied["time"], "status": False}
    (notice,) = admin.ok(admin.get("get_notifications"))["data"]
    assert notice["label"] == "Friend Link Application - Wang Wu Blog"
    assert "Link: https://wangwu.com<br>" in notice["content"]


def test_an_application_is_escaped_when_stored(applications, make_user):
    visitor = applications()
    hostile = {
        **APPLICATION,
        "name": '<img src=x onerror="alert(1)">',
        "description": "</div><script>steal()</script>",
        "url": "https://wangwu.com/?a=1&b=2",
    }
    visitor.ok(visitor.post("ask_friend", hostile))
    from tests.qexo import Pub

    admin = Pub(visitor.client, make_user("admin", is_admin=True)[1])
    (link,) = admin.ok(admin.get("get_friends"))["data"]
    assert link["name"] == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    assert link["description"] == "&lt;/div&gt;&lt;script&gt;steal()&lt;/script&gt;"
    assert link["url"] == "https://wangwu.com/?a=1&amp;b=2"
    (notice,) = admin.ok(admin.get("get_notifications"))["data"]
    assert "<script>" not in notice["content"] and "<img" not in notice["label"]


@pytest.mark.parametrize(
    ("fields", "failure_name"),
    [
        ({"url": "javascript:alert(1)"}, "invalid_params_failure"),
        ({"image": "data:image/png;base64,AAAA"}, "invalid_params_failure"),
        ({"url": 'https://x.example/" onmouseover="x'}, "invalid_params_failure"),
        ({"url": "https://" + "a" * 600 + ".example"}, "invalid_params_failure"),
        ({"name": "n" * 65}, "invalid_params_failure"),
        ({"description": "d" * 257}, "invalid_params_failure"),
        ({"name": ""}, "incomplete_params_failure"),
        ({"url": " "}, "incomplete_params_failure"),
    ],
)
def test_a_bad_application_is_refused_and_stores_nothing(
    applications, db_rows, fields, failure_name
):
    visitor = applications()
    before = db_rows()
    assert visitor.failed(visitor.post("ask_friend", {**APPLICATION, **fields})) == failure_name
    assert db_rows() == before


def test_applications_are_off_unless_enabled(pub, db_rows):
    before = db_rows()
    assert pub.failed(pub.post("ask_friend", APPLICATION)) == "feature_disabled_failure"
    assert db_rows() == before


def test_applications_are_rate_limited_per_client(applications):
    visitor = applications(RATELIMIT_FRIEND_APPLICATIONS="2 per hour")
    for _ in range(2):
        visitor.ok(visitor.post("ask_friend", APPLICATION))
    refused = visitor.post("ask_friend", APPLICATION)
    assert visitor.failed(refused) == "rate_limit_failure"
    assert int(refused.headers["Retry-After"]) > 0
    visitor.ok(visitor.post("ask_friend", APPLICATION, address="192.0.2.7"))


# -- captchas, checked against a local fake of the verify endpoint -----------------------


class FakeVerifier:
    """A local stand-in for reCAPTCHA's siteverify: answers `verdict`, records requests."""

    def __init__(self):
        self.verdict = {"success": True}
        self.requests = []
        verifier = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                verifier.requests.append(parse_qs(self.rfile.read(length).decode()))
                body = verifier.verdict if isinstance(verifier.verdict, bytes) else None
                body = body or json.dumps(verifier.verdict).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/siteverify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def verifier():
    fake = FakeVerifier()
    yield fake
    fake.close()


def captcha_app(applications, verifier, kind, **settings):
    return applications(
        CAPTCHA=kind, CAPTCHA_SECRET="s3cret", CAPTCHA_VERIFY_URL=verifier.url, **settings
    )


@pytest.mark.parametrize(
    ("kind", "verdict", "passes"),
    [
        ("recaptcha_v2", {"success": True}, True),
        ("recaptcha_v2", {"success": False, "error-codes": ["invalid-input-response"]}, False),
        ("recaptcha_v3", {"success": True, "score": 0.9}, True),
        ("recaptcha_v3", {"success": True, "score": 0.5}, True),
        ("recaptcha_v3", {"success": True, "score": 0.3}, False),
        ("recaptcha_v3", {"success": True}, False),
        ("recaptcha_v3", {"success": False, "score": 0.9}, False),
    ],
)
def test_the_captcha_decides(applications, verifier, db_rows, kind, verdict, passes):
    visitor = captcha_app(applications, verifier, kind, CAPTCHA_MIN_SCORE=0.5)
    verifier.verdict = verdict
    before = db_rows()
    response = visitor.post("ask_friend", {**APPLICATION, "verify": "token-from-widget"})
    if passes:
        visitor.ok(response)
    else:
        assert visitor.failed(response) == "captcha_failure"
        assert response.json["msg"] == "Captcha verification failed!"
        assert db_rows() == before
    (sent,) = verifier.requests
    assert sent["secret"] == ["s3cret"] and sent["response"] == ["token-from-widget"]
    assert sent["remoteip"] == ["127.0.0.1"]


def test_a_captcha_answer_is_required_when_one_is_configured(applications, verifier):
    visitor = captcha_app(applications, verifier, "recaptcha_v2")
    assert visitor.failed(visitor.post("ask_friend", APPLICATION)) == "captcha_failure"
    assert verifier.requests == []


def test_an_unreachable_or_garbled_verifier_stores_nothing(applications, verifier, db_rows):
    visitor = captcha_app(applications, verifier, "recaptcha_v2")
    verifier.verdict = b"<html>not json</html>"
    before = db_rows()
    response = visitor.post("ask_friend", {**APPLICATION, "verify": "t"})
    assert visitor.failed(response) == "service_unavailable_failure"
    verifier.close()
    response = visitor.post("ask_friend", {**APPLICATION, "verify": "t"})
    assert visitor.failed(response) == "service_unavailable_failure"
    assert db_rows() == before


@pytest.mark.parametrize(
    "settings",
    [{"CAPTCHA": "hcaptcha"}, {"CAPTCHA": "recaptcha_v3", "CAPTCHA_SECRET": None}],
)
def test_bad_captcha_settings_refuse_to_start(make_app, settings):
    from pastecms import ConfigurationError

    with pytest.raises(ConfigurationError, match="PASTECMS_CAPTCHA"):
        make_app(**settings)
