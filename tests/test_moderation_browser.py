"""Moderation in a real browser (Debian's Chromium through Playwright, as
tests/test_browser.py runs it): a visitor reports a paste from its page, the admin finds
it in the console's queue and hides it, and the paste is a 404 for everyone after; no
console error, failed subresource or CSP violation on any page on the way."""

import re

import pytest

from tests.test_browser import browser, follow, site, visitor  # noqa: F401  (fixtures)
from tests.test_web_accounts import PASSWORD

pytestmark = pytest.mark.live


def test_a_report_from_a_paste_page_reaches_the_queue_and_hiding_makes_it_a_404(
    visitor,  # noqa: F811
    make_user,
):
    make_user("root", is_admin=True)
    alice = visitor()
    url = alice.post("buy cheap watches at example.com", title="Watches")
    paste_id = url.rsplit("/", 1)[1]

    follow(alice.page.get_by_role("link", name="report"))
    alice.page.wait_for_url(re.compile(rf"/paste/{paste_id}/report$"))
    alice.page.locator('select[name="reason"]').select_option("spam")
    alice.page.locator('textarea[name="details"]').fill("posted every minute")
    with alice.page.expect_navigation():
        alice.page.get_by_role("button", name="Send the report").click()
    assert "the report is sent" in alice.page.locator("h1").inner_text()

    admin = visitor()
    page = admin.page
    page.goto("/login?next=/console/moderation")
    page.locator('input[name="login"]').fill("root")
    page.locator('input[name="password"]').fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/console/moderation")
    row = page.locator(".moderation-queue tbody tr", has_text="Watches")
    assert row.count() == 1
    assert "spam" in row.inner_text()
    # The paste opens from the queue, with its report.
    follow(row.get_by_role("link", name="Watches"))
    page.wait_for_url(re.compile(rf"/console/moderation/paste/{paste_id}$"))
    assert "posted every minute" in page.content()
    page.go_back()

    with page.expect_navigation():
        page.locator(".moderation-queue tbody tr", has_text="Watches").get_by_role(
            "button", name="Hide"
        ).click()
    assert "hidden on every face" in page.locator(".notice").inner_text()
    assert page.locator(".moderation-log", has_text="hide").count() == 1

    gone = alice.page.goto(url)
    assert gone.status == 404
    assert "nonexistent_paste_failure" in alice.page.content()
    assert alice.page.request.get(url + "/raw").status == 404
    details = alice.page.request.post("/api/paste/details", data={"paste_id": paste_id})
    assert details.status == 404
    # The admin still reads it in the console.
    page.goto(f"/console/moderation/paste/{paste_id}")
    assert "buy cheap watches" in page.locator(".moderation-contents").inner_text()

    assert alice.errors == []
    assert admin.errors == []
