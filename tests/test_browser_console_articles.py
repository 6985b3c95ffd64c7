"""The console's articles in Chromium (see tests/test_browser.py): an admin writes a
draft with an image, previews it, publishes it, and the CMS API and the content API
serve it; with JavaScript on and off, with no console error, failed subresource or
Content-Security-Policy violation on the way."""

import re

import pytest

from tests.test_browser import _background_luminance, browser, follow, site, visitor  # noqa: F401
from tests.test_console_articles import PNG
from tests.test_web_accounts import PASSWORD

pytestmark = pytest.mark.live


def sign_in(person, username: str) -> None:
    page = person.page
    page.goto("/login?next=/console/articles")
    page.locator('[name="login"]').fill(username)
    page.locator('[name="password"]').fill(PASSWORD)
    with page.expect_navigation():
        page.locator('form button[type="submit"]', has_text="Sign in").click()
    assert page.url.endswith("/console/articles"), page.url


def click(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


@pytest.mark.parametrize("scripts", [True, False], ids=["javascript", "no-javascript"])
def test_a_draft_with_an_image_is_previewed_published_and_served(
    visitor,  # noqa: F811  (the fixture imported above)
    make_user,
    scripts,
):
    username, api_key = make_user(f"owner{int(scripts)}", is_admin=True)
    person = visitor(java_script_enabled=scripts)
    page = person.page
    sign_in(person, username)

    follow(page.get_by_role("link", name="New article"))
    page.get_by_label("Title").fill("Launch day")
    page.get_by_label("Tags, separated by commas").fill("launch, news")
    page.get_by_label("Content (Markdown)").fill(
        "We **launched**.\n\n<script>window.pwned = true</script>"
    )
    page.get_by_label("Image (JPEG, PNG, GIF or WebP)").set_input_files(
        {"name": "launch photo.png", "mimeType": "image/png", "buffer": PNG}
    )
    click(page, "Upload and insert")
    content = page.get_by_label("Content (Markdown)").input_value()
    image_url = re.search(r"!\[launch photo\]\((\S+/v1/images/[0-9a-f]{16}/file)\)", content)
    assert image_url, content
    assert page.get_by_label("Title").input_value() == "Launch day"  # kept, unsaved

    click(page, "Preview")
    preview = page.get_by_role("region", name="Preview")
    assert preview.locator("strong").inner_text() == "launched"
    image = preview.locator("img")
    assert image.get_attribute("src") == image_url.group(1)
    assert image.get_attribute("alt") == "launch photo"
    if scripts:
        page.wait_for_load_state("load")
        assert image.evaluate("img => img.complete && img.naturalWidth") == 1
        assert page.evaluate("() => window.pwned") is None
    assert "<script>window.pwned" not in preview.inner_html()

    click(page, "Save")
    assert "Saved" in page.locator(".notice").inner_text()
    article_hash = page.url.rsplit("/", 1)[1]
    click(page, "Publish now")
    assert "Published" in page.locator(".notice").inner_text()

    api = page.request
    served = api.get(f"/v1/articles/{article_hash}", headers={"Authorization": f"Bearer {api_key}"})
    assert served.status == 200
    article = served.json()
    assert article["status"] == "published" and article["publishedAt"]
    assert article["tags"] == ["launch", "news"]
    assert image_url.group(1) in article["content"]

    login = api.post("/api/auth/auth", data={"username": username, "password": PASSWORD})
    access = login.json()["data"]["access_token"]
    content_api = api.get(
        f"/api/content/get/{article_hash}", headers={"Authorization": f"Bearer {access}"}
    )
    assert content_api.status == 200, content_api.text()
    assert "Launch day" in content_api.text()

    page.goto("/console/articles?status=published")
    assert page.get_by_role("link", name="Launch day").is_visible()
    assert person.errors == []


def test_the_pages_fit_a_phone_in_dark_mode(
    visitor,  # noqa: F811  (the fixture imported above)
    make_user,
):
    username, _ = make_user("pocket", is_admin=True)
    person = visitor(color_scheme="dark", viewport={"width": 360, "height": 740})
    sign_in(person, username)
    page = person.page
    for path in ("/console/articles", "/console/articles/new", "/console/taxonomy"):
        page.goto(path)
        assert _background_luminance(page) < 0.3, path
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, (path, overflow)
    assert person.errors == []
