"""Take the README's screenshots (docs/*.png): the paste form and a highlighted paste,
and the console's article editor, statistics and moderation queue, in Debian's Chromium
at a laptop's width, from a server on a throwaway database.

    make screenshots
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.live import gunicorn, server_env  # noqa: E402

SAMPLE = '''from dataclasses import dataclass


@dataclass
class Paste:
    """One paste, as the API answers it."""

    title: str
    contents: str
    views: int = 0

    def viewed(self) -> "Paste":
        return Paste(self.title, self.contents, self.views + 1)
'''


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        env = server_env(
            f"sqlite:///{folder / 'screens.db'}",
            RATELIMIT_ENABLED="false",
            STATISTIC_DOMAINS="blog.example",
        )
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        admin = ["users", "create", "owner", "--admin", "--password", ADMIN_PASSWORD]
        for command in (["db", "upgrade"], admin):
            subprocess.run(
                [*flask, *command],
                cwd=ROOT,
                env={**os.environ, **env},
                check=True,
                capture_output=True,
            )
        with gunicorn(env, folder / "app.log") as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(base_url=url, viewport={"width": 1100, "height": 760})
            page.goto("/")
            page.locator('[name="title"]').fill("paste.py")
            page.locator('textarea[name="contents"]').fill(SAMPLE)
            page.screenshot(path=ROOT / "docs" / "form.png")
            with page.expect_navigation():
                page.get_by_role("button", name="Paste").click()
            page.screenshot(path=ROOT / "docs" / "paste.png")
            console(page, url)
            browser.close()


ADMIN_PASSWORD = "correct horse battery"
ARTICLE = """## What changed

The console renders this **Markdown** on the server, sanitised:

- articles, tags and categories
- talks, friend links and applications
- visit statistics, keys, settings and moderation
"""


def post_json(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def console(page, url: str) -> None:
    """An admin's console: the editor with its preview, visits per day, the reports."""
    page.goto("/login")
    page.locator('[name="login"]').fill("owner")
    page.locator('[name="password"]').fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.locator('form[action^="/login"] button[type="submit"]').click()
    page.goto("/console/articles/new")
    page.locator('[name="title"]').fill("Release notes")
    page.locator('[name="tags"]').fill("release, notes")
    page.locator('textarea[name="content"]').fill(ARTICLE)
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    page.screenshot(path=ROOT / "docs" / "console-editor.png", full_page=True)

    for day_page in ("/", "/posts/hello/", "/posts/hello/", "/about/"):
        request = urllib.request.Request(
            url + "/pub/statistic/", headers={"Referer": "https://blog.example" + day_page}
        )
        urllib.request.urlopen(request).read()
    page.goto("/console/statistics")
    page.screenshot(path=ROOT / "docs" / "console-statistics.png", full_page=True)

    paste = post_json(url + "/api/paste/submit", {"contents": "buy cheap watches", "title": "Spam"})
    for reason in ("spam", "phishing"):
        post_json(url + "/api/paste/report", {"paste_id": paste["paste_id_repr"], "reason": reason})
    page.goto("/console/moderation")
    page.screenshot(path=ROOT / "docs" / "console-moderation.png", full_page=True)


if __name__ == "__main__":
    main()
