"""/pub notifications and visit statistics."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from pastecms.services.site import notifications as notifications_service
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


def counted(db_rows) -> dict:
    """The pages and sites counted so far: target -> page views."""
    return {target: pv for target, pv, _ in db_rows()["visit_counts"]}


def test_a_page_is_kept_under_the_address_it_always_had(counting, db_rows):
    pub = counting()
    pub.ok(visit(pub, "https://blog.example/posts/hello/"))
    pub.ok(visit(pub, "https://blog.example/2024/%E4%B8%AD%E6%96%87/"))
    pub.ok(visit(pub, "https://blog.example/archives/index.html"))
    assert counted(db_rows) == {
        "blog.example": 3,
        "blog.example/posts/hello/": 1,
        "blog.example/2024/%E4%B8%AD%E6%96%87/": 1,
        "blog.example/archives/index.html": 1,
    }


def test_the_ways_of_writing_one_page_count_as_that_page(counting, db_rows):
    pub = counting()
    variants = [
        "https://blog.example/posts/hello/",
        "https://BLOG.Example/posts/hello/",
        "https://blog.example:443/posts/hello/",
        "http://blog.example:80/posts/hello/",
        "https://blog.example/posts/hello/?utm_source=feed",
        "https://blog.example/posts/hello/#comments",
        "https://blog.example/posts/hello",
        "https://blog.example//posts///hello/",
        "https://blog.example/posts/./x/../hello/",
        "https://blog.example/posts/%68%65llo/",
        "https://blog.example/%70osts/hello/",
        "https://user@blog.example/posts/hello/",
    ]
    for n, page in enumerate(variants, 1):
        assert pub.ok(visit(pub, page))["page_pv"] == n, page
    assert counted(db_rows) == {"blog.example": 12, "blog.example/posts/hello/": 12}


def test_a_page_address_past_the_cap_counts_by_its_start(counting, db_rows):
    pub = counting()
    start = "https://blog.example/" + "p" * 300
    assert pub.ok(visit(pub, start + "/one"))["page_pv"] == 1
    assert pub.ok(visit(pub, start + "/two" + "q" * 2000))["page_pv"] == 2
    pages = [target for target in counted(db_rows) if "/" in target]
    assert len(pages) == 1
    assert len(pages[0]) == 256


def test_one_address_is_refused_past_its_statistic_limit(counting, db_rows):
    pub = counting()  # the default limit, a generous "60 per minute"
    answers = [
        visit(pub, f"https://blog.example/p/{n}/", address="198.51.100.1") for n in range(600)
    ]
    assert all(answer.json["status"] for answer in answers[:60])
    refused = answers[60:]
    assert {pub.failed(answer) for answer in refused} == {"rate_limit_failure"}
    assert int(refused[-1].headers["Retry-After"]) > 0
    assert len(counted(db_rows)) == 61  # the site and sixty pages
    # Another address is counted still.
    assert pub.ok(visit(pub, "https://blog.example/p/0/", address="198.51.100.2"))["page_pv"] == 2


def _address(n: int) -> str:
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@pytest.mark.parametrize(
    "page", ["https://blog.example/p/{n}/", "https://blog.example:{port}/"], ids=["paths", "ports"]
)
def test_new_pages_of_a_host_are_bounded_and_the_rest_counted_as_other(counting, db_rows, page):
    pub = counting()  # the default bound, 100 new pages a host an hour
    for n in range(300):
        pub.ok(visit(pub, page.format(n=n, port=1000 + n), address=_address(n)))
    targets = counted(db_rows)
    assert len(targets) <= 100 + 2  # the bound, the site and its "other" page
    assert targets["blog.example#other"] >= 300 - 100
    # Every visit is counted on one page, its own or "other" (a site has no "/" or "#").
    assert sum(pv for target, pv in targets.items() if "/" in target or "#" in target) == 300
    # Pages counted before the bound was reached go on counting as themselves.
    first = page.format(n=0, port=1000)
    assert pub.ok(visit(pub, first, address=_address(0)))["page_pv"] == 2
    assert len(counted(db_rows)) == len(targets)


def test_the_bound_of_new_pages_is_a_setting(counting, db_rows):
    pub = counting(STATISTIC_NEW_PAGES="3 per hour")
    answers = [pub.ok(visit(pub, f"https://blog.example/p/{n}/")) for n in range(5)]
    assert [answer["page_pv"] for answer in answers] == [1, 1, 1, 1, 2]
    assert answers[-1]["site_pv"] == 5
    assert counted(db_rows)["blog.example#other"] == 2


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
