"""Take the README's screenshots (docs/*.png): the paste form and a highlighted paste,
in Debian's Chromium at a laptop's width, from a server on a throwaway database.

    make screenshots
"""

import os
import subprocess
import sys
import tempfile
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
        env = server_env(f"sqlite:///{folder / 'screens.db'}", RATELIMIT_ENABLED="false")
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
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
            browser.close()


if __name__ == "__main__":
    main()
