"""Visits per day, as /pub/statistic counts them for the console's statistics (issue 32)."""

from datetime import UTC, date, datetime

import pytest

from pastecms.services import site_stats
from tests.conftest import statements
from tests.qexo import Pub
from tests.test_web_accounts import PASSWORD, sign_in


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


def test_a_counted_visit_costs_one_statement_more_than_totals_alone(counting):
    """Measured: a visit to a page counted before cost 3 statements with totals alone
    (visitor, site, page); the day's row adds one (4), and a new page one more (5)."""
    _, visit, _, app = counting
    visit("https://blog.example/a/", "203.0.113.1")
    for address in ("203.0.113.1", "203.0.113.2"):
        with statements(app) as seen:
            visit("https://blog.example/a/", address)
        assert len(seen) == 4
    with statements(app) as seen:
        visit("https://blog.example/new/", "203.0.113.1")
    assert len(seen) == 5


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
