"""The web face in a real browser: Debian's Chromium, driven by Playwright, against
gunicorn on loopback, used as a person uses it. Playwright never downloads a browser
here: it drives /usr/bin/chromium (Debian's package, which `.ci/run` installs)."""

import os
from dataclasses import dataclass, field

import pytest

from tests.live import gunicorn

pytestmark = pytest.mark.live

CHROMIUM = "/usr/bin/chromium"
PYTHON_CODE = 'def greet(name):\n    return f"hello, {name}"\n\n\nprint(greet("world"))\n'


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = "Chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture
def site(live_env, tmp_path):
    with gunicorn(live_env(RATELIMIT_ENABLED="false"), tmp_path / "app.log") as url:
        yield url


@dataclass
class Visitor:
    """One person: a browser context of their own (cookies, preferences), one tab, and
    every console error and uncaught exception of every page it showed them."""

    page: object
    errors: list[str] = field(default_factory=list)

    def post(self, contents: str, **fields) -> str:
        """Fill the paste form as typed and send it; the new paste's URL."""
        page = self.page
        page.goto("/")
        for name, value in fields.items():
            element = page.locator(f'[name="{name}"]')
            if element.evaluate("e => e.tagName") == "SELECT":
                element.select_option(value)
            else:
                element.fill(value)
        page.locator('textarea[name="contents"]').fill(contents)
        with page.expect_navigation():
            page.get_by_role("button", name="Paste").click()
        return page.url


@pytest.fixture
def visitor(browser, site):
    contexts = []

    def make(**options) -> Visitor:
        context = browser.new_context(base_url=site, **options)
        contexts.append(context)
        person = Visitor(context.new_page())
        person.page.on(
            "console", lambda message: message.type == "error" and person.errors.append(message.text)
        )
        person.page.on("pageerror", lambda error: person.errors.append(str(error)))
        return person

    yield make
    for context in contexts:
        context.close()


def test_code_posted_from_the_form_is_shown_highlighted(visitor):
    alice = visitor()
    alice.post(PYTHON_CODE, title="greeting", language="python")
    # Pygments marks keywords with the "k" class; `def` is one.
    assert alice.page.locator(".contents .k", has_text="def").count() >= 1
    assert alice.page.locator("h1").inner_text() == "greeting"
    assert alice.errors == []


def test_posting_works_with_javascript_off(visitor):
    bob = visitor(java_script_enabled=False)
    url = bob.post("no script needed\n")
    assert "/paste/" in url
    assert "no script needed" in bob.page.locator(".contents").inner_text()
