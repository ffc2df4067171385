"""The hardened pages in a real browser: htmx under the CSP, and text that cannot reorder a line."""

import re

from playwright.sync_api import Locator, Page, expect

from tests.support.browser import LiveServer, Steps, sign_in
from tests.support.web import PASSWORD, add_complaint

#: an author name ending in an unclosed RIGHT-TO-LEFT OVERRIDE
REVERSING_NAME = "Budi Santoso\u202e"
#: the post of that author (filed to PDAM)
RENON = "air mati di renon sejak subuh"


def test_htmx_swaps_the_filtered_list_under_the_csp(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    sign_in(page, live_server, "operator1", PASSWORD)
    page.get_by_role("link", name="Pengaduan baru").click()
    expect(page).to_have_url(live_server.url + "/complaints?status=baru")
    expect(page.locator("#hasil tbody tr")).to_have_count(2)
    assert page.evaluate("typeof htmx") == "object"  # the vendored script ran
    page.evaluate("window.halamanSama = true")  # gone if the page were loaded anew
    steps.shot("new complaints, every inbox")
    page.get_by_label("Inbox").select_option("LPJU")
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(r"/complaints\?.*inbox=LPJU"))
    expect(page.locator("#hasil tbody tr")).to_have_count(1)
    expect(page.locator("#jumlah")).to_have_text(re.compile(r"^1 pengaduan"))
    assert page.evaluate("window.halamanSama") is True  # htmx swapped the list in place
    steps.shot("filtered by htmx")


def _letters(link: Locator) -> tuple[float, float]:
    """Where the first and the fifth letter of the link ("l" and "t" of "lihat") are drawn.

    Letters of one word: the link may wrap in a narrow column, but a word does not.
    """
    first, fifth = link.evaluate(
        """(a) => {
            const text = a.firstChild, range = document.createRange();
            const left = (i) => {
                range.setStart(text, i); range.setEnd(text, i + 1);
                return range.getBoundingClientRect().left;
            };
            return [left(0), left(4)];
        }"""
    )
    return float(first), float(fifth)


def test_a_right_to_left_override_in_a_name_does_not_reverse_the_line(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    complaint = add_complaint(
        live_server.engine, 50, mention_fields={"text": RENON, "author_name": REVERSING_NAME}
    )
    sign_in(page, live_server, "operator1", PASSWORD)
    for path in ("/inbox/PDAM", f"/complaints/{complaint}"):
        page.goto(live_server.url + path)
        post = page.locator(".muted", has=page.get_by_role("link", name="lihat kiriman")).filter(
            has_text="Budi Santoso"
        )
        expect(post).to_have_count(1)
        link = post.get_by_role("link", name="lihat kiriman")
        # The rest of the line (time, link) keeps its order and stays right of the name.
        first, fifth = _letters(link)
        assert first < fifth, f"{path}: the link is drawn right to left"
        name = post.get_by_text("Budi Santoso").bounding_box()
        assert name is not None and name["x"] < first, f"{path}: the link moved left of the name"
        expect(post).to_contain_text(re.compile(r"Budi Santoso[\s\S]*WITA\s*·\s*lihat kiriman"))
        steps.shot(f"bidi on {path}")
