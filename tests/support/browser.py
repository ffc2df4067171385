"""The web inbox in a real browser (Debian's chromium via Playwright): server, steps, sign-in."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from tests.support.paths import ROOT
from tests.support.web import EVIL

#: where a failed browser test leaves its screenshots and pages
ARTIFACTS = ROOT / "test-artifacts" / "browser"


#: a post that tries markup and script and names a street (routed to LPJU)
EVIL_STREET = f"{EVIL} di jalan gatot subroto"
#: a citizen's post the inbox and triage flows look for
PANJER = "air mati di panjer sejak pagi"


@dataclass
class LiveServer:
    """The app served over HTTP on loopback."""

    url: str
    engine: Engine


@dataclass
class Steps:
    """Screenshots of a test's steps, written out only if the test fails."""

    page: Page
    #: other users' pages the test opened (``new_page``), saved too on failure
    others: list[Page] = field(default_factory=list)
    shots: list[tuple[str, bytes]] = field(default_factory=list)

    def shot(self, name: str, page: Page | None = None) -> None:
        """Record what the page (or *page*, e.g. a second user's) looks like after step *name*."""
        self.shots.append((name, (page or self.page).screenshot(full_page=True)))

    def save(self, test_name: str) -> Path:
        """Write every screenshot (and each page as it was last) under test-artifacts/browser/."""
        folder = ARTIFACTS / file_name(test_name)
        folder.mkdir(parents=True, exist_ok=True)
        for i, (name, png) in enumerate(self.shots, 1):
            (folder / f"{i:02d}-{file_name(name)}.png").write_bytes(png)
        for i, page in enumerate([self.page, *self.others], 1):
            last = "last" if i == 1 else f"last-page{i}"
            try:
                (folder / f"{last}.png").write_bytes(page.screenshot(full_page=True))
                (folder / f"{last}.html").write_text(page.content(), encoding="utf-8")
            except PlaywrightError:  # the page may be gone; the steps are saved
                pass
        return folder


def file_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


def sign_in(page: Page, server: LiveServer, username: str, password: str) -> None:
    """Fill and send the sign-in form."""
    page.goto(server.url + "/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def sign_out(page: Page, server: LiveServer) -> None:
    """Press "Keluar" in the header; the browser ends up on the sign-in page."""
    page.get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(server.url + "/login")
