"""/pub notifications and visit statistics."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from pastecms.services import notifications as notifications_service
from tests.qexo import Pub

# -- notifications -----------------------------------------------------------------------


def post_notification(client, token, title, content="body", **kwargs):
    return client.post(
        f"/pub/notifications?token={token}", json={"title": title, "content": content}, **kwargs
    )


def test_a_posted_notification_is_listed_newest_first(client, admin_pub, admin_token, monkeypatch):
    for n, title in enumerate(["System Maintenance Notice", "Second"]):
        stamp = datetime(2024, 1, 7, 3, 50, n, tzinfo=UTC)
        monkeypatch.setattr(notifications_service, "utcnow", lambda stamp=stamp: stamp)
        posted = post_notification(client, admin_token, title, "At 22:00 tonight.")
        assert admin_pub.ok(posted) == {"msg": "Added successfully!", "status": True}
    listed = admin_pub.ok(admin_pub.get("get_notifications"))
    assert listed == {
        "status": True,
        "data": [
            {"label": "Second", "content": "At 22:00 tonight.", "time": "1704599401"},
            {
                "label": "System Maintenance Notice",
                "content": "At 22:00 tonight.",
                "time": "1704599400",
            },
        ],
    }


def test_a_notification_may_come_with_a_bearer_key_or_as_a_form(client, admin_pub, admin_token):
    bearer = {"Authorization": f"Bearer {admin_token}"}
    admin_pub.ok(
        client.post("/pub/notifications", json={"title": "a", "content": ""}, headers=bearer)
    )
    admin_pub.ok(admin_pub.post("notifications", {"title": "b", "content": "c"}))
    assert len(admin_pub.ok(admin_pub.get("get_notifications"))["data"]) == 2


@pytest.mark.parametrize(
    ("body", "failure_name"),
    [
        (b'{"content": "no title"}', "incomplete_params_failure"),
        (b'{"title": "t", "content": "c"', "invalid_params_failure"),
        (b'{"title": 5, "content": "c"}', "invalid_params_failure"),
    ],
)
def test_a_bad_notification_is_refused(client, admin_token, db_rows, body, failure_name):
    before = db_rows()
    response = client.post(
        f"/pub/notifications?token={admin_token}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json["failure_name"] == failure_name
    assert db_rows() == before


# -- statistics --------------------------------------------------------------------------


@pytest.fixture
def counting(make_app):
    def make(domains=("blog.example", "other.example"), **settings):
        return Pub(make_app(STATISTIC_DOMAINS=domains, **settings).test_client())

    return make


def visit(pub, page, address=None):
    return pub.get("statistic", headers={"Referer": page}, address=address)


def test_visits_are_counted_per_page_and_site(counting):
    pub = counting()
    first = pub.ok(visit(pub, "https://blog.example/posts/hello/?utm=x#top"))
    assert first == {"site_pv": 1, "page_pv": 1, "site_uv": 1, "status": True}
    pub.ok(visit(pub, "https://blog.example/posts/hello/"))
    other_page = pub.ok(visit(pub, "https://blog.example/about/", address="203.0.113.5"))
    assert other_page == {"site_pv": 3, "page_pv": 1, "site_uv": 2, "status": True}
    again = pub.ok(visit(pub, "https://blog.example/posts/hello/"))
    assert again == {"site_pv": 4, "page_pv": 3, "site_uv": 2, "status": True}
    # Another allowed site, and the same host on another port, count apart.
    assert pub.ok(visit(pub, "http://other.example/"))["site_pv"] == 1
    assert pub.ok(visit(pub, "http://blog.example:8080/posts/hello/"))["page_pv"] == 1


def test_hosts_may_be_given_as_comma_separated_text(counting):
    pub = counting(domains=" Blog.Example , other.example")
    assert pub.ok(visit(pub, "https://BLOG.example./"))["site_pv"] == 1


@pytest.mark.parametrize(
    "referer",
    [
        "https://evil.example/",
        "https://blog.example.evil.example/",
        "https://evilblog.example/",
        "ftp://blog.example/",
        "blog.example/page",
        "https://blog.example:99999/",
        "https://blog.example/pa ge",
        "",
    ],
)
def test_pages_elsewhere_are_not_counted(counting, db_rows, referer):
    pub = counting()
    before = db_rows()
    response = visit(pub, referer)
    assert pub.failed(response) == "domain_not_verified_failure"
    assert response.json["msg"] == "Domain not verified"
    assert db_rows() == before


def test_a_visit_without_referer_is_not_counted(counting, db_rows):
    pub = counting()
    before = db_rows()
    assert pub.failed(pub.get("statistic")) == "domain_not_verified_failure"
    assert db_rows() == before


def test_a_page_address_too_long_to_keep_is_refused(counting, db_rows):
    pub = counting()
    before = db_rows()
    response = visit(pub, "https://blog.example/" + "p" * 1100)
    assert pub.failed(response) == "invalid_params_failure"
    assert db_rows() == before


def test_statistics_are_off_without_domains(pub, db_rows):
    before = db_rows()
    response = visit(pub, "https://blog.example/")
    assert pub.failed(response) == "feature_disabled_failure"
    assert db_rows() == before


def test_concurrent_visits_all_count(make_app):
    app = make_app(STATISTIC_DOMAINS=["blog.example"])
    start = threading.Barrier(16)

    def one(n: int) -> int:
        pub = Pub(app.test_client())
        if n < 16:
            start.wait(timeout=30)
        response = visit(pub, "https://blog.example/post/", address=f"10.1.0.{n % 50}")
        return pub.ok(response)["page_pv"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        seen = list(pool.map(one, range(100)))
    assert sorted(seen) == list(range(1, 101))
    pub = Pub(app.test_client())
    final = pub.ok(visit(pub, "https://blog.example/", address="10.1.0.0"))
    assert (final["site_pv"], final["site_uv"]) == (101, 50)
