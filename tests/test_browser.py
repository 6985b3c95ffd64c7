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
    every console error, uncaught exception and failed stylesheet, script or image of
    every page it showed them (a Content-Security-Policy violation is a console error)."""

    page: object
    errors: list[str] = field(default_factory=list)

    def console(self, message) -> None:
        # Chromium logs every 4xx page as "Failed to load resource", a 401 password prompt
        # and a 404 page included: those are answers, not errors. A stylesheet, script or
        # icon that fails is one, and `response` records it.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def response(self, response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.errors.append(f"{response.status} for {response.url}")

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
        person.page.on("console", person.console)
        person.page.on("pageerror", lambda error: person.errors.append(str(error)))
        person.page.on("response", person.response)
        return person

    yield make
    for context in contexts:
        context.close()


def follow(target, **click_options) -> None:
    """Click a link or a form's button and wait for the page it leads to: a bare click
    returns once the new document commits, before its body exists, so a read straight
    after can see the old page or none."""
    with target.page.expect_navigation():
        target.click(**click_options)


def _background_luminance(page) -> float:
    """How light the page's background is, from 0 (black) to 1 (white)."""
    rgb = page.evaluate(
        "() => getComputedStyle(document.body).backgroundColor.match(/\\d+/g).slice(0, 3)"
    )
    red, green, blue = (int(value) / 255 for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_code_posted_with_the_default_language_is_shown_highlighted(visitor):
    alice = visitor()
    alice.post(PYTHON_CODE, title="greeting")
    # Auto-detect found Python: Pygments marks keywords with the "k" class, `def` one.
    assert alice.page.locator(".contents .k", has_text="def").count() >= 1
    assert "python" in alice.page.locator(".meta").inner_text()
    assert alice.page.locator("h1").inner_text() == "greeting"
    assert alice.errors == []


def test_raw_is_byte_exact_to_what_was_typed_with_unix_line_endings(visitor):
    alice = visitor()
    typed = "#!/bin/sh\nset -eu\n\techo 'tab, quotes \"and\" ünïcode'\n\nexit 0\n"
    url = alice.post(typed, language="text")
    raw = alice.page.request.get(url + "/raw")
    assert raw.status == 200
    # The browser sent CRLF line breaks (as every browser sends a textarea's text).
    assert raw.body() == typed.encode()
    assert alice.errors == []


def test_a_protected_paste_asks_again_after_a_wrong_password_then_opens(visitor):
    alice, bob = visitor(), visitor()
    url = alice.post("the secret plan\n", password="correct horse battery")
    bob.page.goto(url)
    assert "password-protected" in bob.page.locator("h1").inner_text()
    assert "the secret plan" not in bob.page.content()

    bob.page.get_by_label("Password").fill("wrong guess")
    follow(bob.page.get_by_role("button", name="Open"))
    assert bob.page.get_by_role("alert").is_visible()
    assert "password-protected" in bob.page.locator("h1").inner_text()

    bob.page.get_by_label("Password").fill("correct horse battery")
    follow(bob.page.get_by_role("button", name="Open"))
    assert "the secret plan" in bob.page.locator(".contents").inner_text()
    assert alice.errors == bob.errors == []


def test_a_paste_is_deleted_through_its_button_after_a_confirmation(visitor):
    alice = visitor()
    url = alice.post("short-lived\n", title="to delete")
    follow(alice.page.locator(".notice").get_by_role("link", name="Delete"))
    assert "to delete" in alice.page.content()  # the confirmation names the paste
    follow(alice.page.get_by_role("button", name="Delete the paste"))
    response = alice.page.goto(url)
    assert response.status == 404
    assert alice.page.locator("h1").inner_text() == "Not found"
    assert "does not exist" in alice.page.locator(".error-message").inner_text()
    assert alice.errors == []


def test_the_archive_lists_new_pastes_and_protected_ones_without_contents(visitor):
    alice = visitor()
    alice.post("open for all\n", title="public one")
    alice.post("hidden words\n", title="protected one", password="correct horse battery")
    alice.page.goto("/archive")
    listed = alice.page.locator("main")
    assert listed.get_by_role("link", name="public one").is_visible()
    assert listed.get_by_role("link", name="protected one").is_visible()
    assert "hidden words" not in listed.inner_text()
    assert alice.errors == []


def test_the_theme_follows_the_system_preference_and_the_toggle(visitor):
    night = visitor(color_scheme="dark")
    night.page.goto("/")
    assert _background_luminance(night.page) < 0.3

    day = visitor(color_scheme="light")
    day.page.goto("/")
    assert _background_luminance(day.page) > 0.7
    follow(day.page.get_by_role("navigation", name="Theme").get_by_role("link", name="Dark"))
    assert _background_luminance(day.page) < 0.3
    day.page.goto("/archive")  # the choice is kept (a cookie), page after page
    assert _background_luminance(day.page) < 0.3
    assert night.errors == day.errors == []


def test_posting_works_with_javascript_off(visitor):
    bob = visitor(java_script_enabled=False)
    url = bob.post("no script needed\n")
    assert "/paste/" in url
    assert "no script needed" in bob.page.locator(".contents").inner_text()


def test_a_burn_after_reading_paste_shows_once(visitor):
    alice, bob, carol = visitor(), visitor(), visitor()
    page = alice.page
    page.goto("/")
    page.locator('textarea[name="contents"]').fill("read me once\n")
    page.get_by_label("Burn after reading").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Paste").click()
    url = page.url
    # The author's own page holds it back too: a link preview must not burn it.
    assert "read me once" not in page.content()

    bob.page.goto(url)
    assert "read me once" not in bob.page.content()
    follow(bob.page.get_by_role("button", name="Show the paste"))
    assert "read me once" in bob.page.locator(".contents").inner_text()

    assert carol.page.goto(url).status == 404
    assert alice.errors == bob.errors == []


def test_no_page_logs_a_console_error_or_breaks_its_content_security_policy(visitor, site):
    alice = visitor()
    url = alice.post(PYTHON_CODE, title="tour")
    for path in ("/", url, "/archive", "/archive?sort=top", "/api/docs", url + "/raw"):
        alice.page.goto(path)
    assert alice.errors == []


def test_an_account_from_register_to_sign_out(visitor):
    """Register, sign out and in again, post, find the paste under My pastes, delete it
    from there, and sign out: header links and forms only, as a person clicks them."""
    alice = visitor()
    page = alice.page
    page.goto("/")
    follow(page.get_by_role("navigation", name="Account").get_by_role("link", name="Register"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_label("Email").fill("alice@example.org")
    follow(page.get_by_role("button", name="Register"))
    assert page.locator("h1").inner_text() == "My pastes"
    account = page.get_by_role("navigation", name="Account")
    assert "alice" in account.inner_text()

    follow(account.get_by_role("button", name="Sign out"))
    account = page.get_by_role("navigation", name="Account")
    assert "alice" not in account.inner_text()
    follow(account.get_by_role("link", name="Sign in"))
    page.get_by_label("Username or email").fill("alice@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    follow(page.get_by_role("button", name="Sign in"))
    assert page.locator("h1").inner_text() == "My pastes"

    url = alice.post("mine to keep, then not\n", title="my first paste")
    follow(page.get_by_role("navigation", name="Account").get_by_role("link", name="My pastes"))
    mine = page.locator("main")
    follow(mine.get_by_role("link", name="my first paste"))
    assert page.url == url
    page.go_back()
    follow(page.locator("main").get_by_role("link", name="Delete"))
    follow(page.get_by_role("button", name="Delete the paste"))
    follow(page.get_by_role("navigation", name="Account").get_by_role("link", name="My pastes"))
    assert "my first paste" not in page.locator("main").inner_text()
    assert page.goto(url).status == 404

    follow(page.get_by_role("navigation", name="Account").get_by_role("button", name="Sign out"))
    assert "Sign in" in page.get_by_role("navigation", name="Account").inner_text()
    assert page.goto("/my").url.endswith("/login?next=/my")
    assert alice.errors == []


def test_the_account_pages_log_no_console_error(visitor):
    alice = visitor()
    page = alice.page
    page.goto("/register")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct horse battery")
    follow(page.get_by_role("button", name="Register"))
    for path in ("/my", "/account", "/account/password", "/"):
        page.goto(path)
    page.goto("/account")
    follow(page.get_by_role("button", name="Regenerate the API key"))
    assert len(page.locator("code.api-key").inner_text()) > 40
    assert alice.errors == []


def _marked_lines(page) -> list[str]:
    """The ids of the lines shown marked: those whose band (a `::before` with a background)
    is drawn, by CSS :target or by static/lines.js."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.contents td.code [id]')]
            .filter(line => getComputedStyle(line, '::before').content !== 'none')
            .map(line => line.id)"""
    )


def test_line_links_mark_a_line_without_script_and_a_range_with_it(visitor):
    code = "".join(f"line_{n} = {n}\n" for n in range(1, 81))
    alice, bob = visitor(), visitor(java_script_enabled=False)
    url = alice.post(code, language="python")

    # Without JavaScript: #L3 is a plain fragment, marked by CSS :target and scrolled to.
    bob.page.goto(url + "#L30")
    assert _marked_lines(bob.page) == ["L30"]
    assert bob.page.locator("#L30").is_visible()
    assert bob.page.evaluate("window.scrollY") > 0

    # With it: #L3 as well, and a range, from the address or by clicking line numbers.
    page = alice.page
    page.goto(url + "#L3")
    assert _marked_lines(page) == ["L3"]
    page.goto("/")
    page.goto(url + "#L3-L7")
    assert _marked_lines(page) == ["L3", "L4", "L5", "L6", "L7"]
    page.goto(url + "#L60-L62")  # a new fragment: the range is marked and scrolled to
    assert _marked_lines(page) == ["L60", "L61", "L62"]
    top = page.locator("#L60").bounding_box()["y"]
    assert 0 <= top < page.viewport_size["height"]

    numbers = page.locator(".contents td.linenos")
    numbers.get_by_role("link", name="64", exact=True).click()
    numbers.get_by_role("link", name="66", exact=True).click(modifiers=["Shift"])
    assert page.url == url + "#L64-L66"
    assert _marked_lines(page) == ["L64", "L65", "L66"]
    # The number and its line stay side by side, marked or not.
    for n in (1, 65, 80):
        number = numbers.get_by_role("link", name=str(n), exact=True).bounding_box()
        assert number["y"] == page.locator(f"#L{n}").bounding_box()["y"]
    assert alice.errors == bob.errors == []
