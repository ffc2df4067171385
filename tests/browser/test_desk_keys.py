"""The complaint list by keyboard (inbox-keys.js): move, open, assign and change status
without the mouse, then save the result as a view; and the same list without JavaScript."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.support.browser import LiveServer, Steps, sign_in
from tests.support.web import PASSWORD, add_complaint

#: the current row as the script marks it, and a row's number link
CURRENT = "table.inbox tbody tr.kb-current"
OPEN = 'td:first-child > a[href^="/complaints/"]'


def _more_complaints(server: LiveServer) -> list[int]:
    """Two more PDAM complaints beside the filled store's one, so there is a list to move in."""
    return [add_complaint(server.engine, n, inbox="PDAM") for n in (11, 12)]


def test_move_open_assign_and_change_status_by_keyboard_then_save_a_view(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    _more_complaints(live_server)
    sign_in(page, live_server, "pdam1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/inbox/PDAM")
    expect(page.locator("#pintasan")).to_contain_text("j/k pindah")
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(3)
    first_id = rows.nth(0).locator(OPEN).inner_text()
    second_id = rows.nth(1).locator(OPEN).inner_text()

    # Typing in the search box is typing, not a shortcut.
    page.get_by_label("Cari teks").press("j")
    expect(page.locator(CURRENT)).to_have_count(0)
    page.get_by_label("Cari teks").fill("")
    page.locator("h1").click()

    # j / k move; the focus (visible outline) follows on the row's number link.
    page.keyboard.press("j")
    expect(page.locator(CURRENT)).to_contain_text(first_id)
    page.keyboard.press("j")
    expect(page.locator(CURRENT)).to_contain_text(second_id)
    expect(rows.nth(1).locator(OPEN)).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator(CURRENT)).to_contain_text(first_id)
    steps.shot("moved by keyboard")

    # a: the current complaint is ticked and the focus goes to "Petugas".
    page.keyboard.press("a")
    expect(rows.nth(0).get_by_role("checkbox")).to_be_checked()
    petugas = page.locator('#massal select[name="assignee"]')
    expect(petugas).to_be_focused()
    expect(page.locator('#massal select[name="tindakan"]')).to_have_value("petugas")
    petugas.select_option(value="pdam1")
    page.get_by_role("button", name="Jalankan untuk yang dicentang").press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Tindakan massal diterapkan ke semua pengaduan yang dipilih."
    )
    expect(page.get_by_role("link", name="Pengaduan saya (1)")).to_be_visible()
    steps.shot("assigned by keyboard")

    # s: tick two with x, then a bulk status change, focus on "Status tujuan".
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator('input[type="checkbox"][form="massal"]:checked')).to_have_count(2)
    page.keyboard.press("s")
    target = page.locator('#massal select[name="to_status"]')
    expect(target).to_be_focused()
    expect(page.locator('#massal select[name="tindakan"]')).to_have_value("status")
    target.select_option(label="Respon awal")
    page.get_by_label("Catatan (dicatat di tiap pengaduan)").fill("Dicek lewat papan ketik.")
    page.get_by_role("button", name="Jalankan untuk yang dicentang").press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Tindakan massal diterapkan ke semua pengaduan yang dipilih."
    )
    expect(page.locator(".badge.status-respon_awal")).to_have_count(2)
    steps.shot("status changed by keyboard")

    # The changed ones as a saved view.
    page.get_by_role("combobox", name="Status", exact=True).select_option(label="Respon awal")
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(r"/inbox/PDAM\?.*status=respon_awal"))
    page.get_by_label("Simpan filter ini sebagai tampilan").fill("Dicek hari ini")
    page.get_by_role("button", name="Simpan tampilan").click()
    expect(page.get_by_role("link", name="Dicek hari ini (2)")).to_be_visible()

    # o opens the current complaint; the list works after htmx swapped it too.
    page.get_by_role("link", name="Dicek hari ini (2)").click()
    page.locator("h1").click()
    page.keyboard.press("j")
    opened = page.locator(CURRENT).locator(OPEN).inner_text()
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(r"/complaints/\d+$"))
    expect(page.locator("h1")).to_contain_text(opened)
    steps.shot("opened by keyboard")


def test_the_list_works_without_javascript(
    browser: Browser, live_server: LiveServer, steps: Steps
) -> None:
    _more_complaints(live_server)
    context = browser.new_context(java_script_enabled=False, locale="id-ID")
    try:
        page = context.new_page()
        sign_in(page, live_server, "pdam1", PASSWORD)
        expect(page).to_have_url(live_server.url + "/inbox/PDAM")
        page.get_by_role("checkbox", name=re.compile(r"Pilih pengaduan #\d+")).first.check()
        page.get_by_role("combobox", name=re.compile("^Tindakan")).select_option(value="petugas")
        page.locator('#massal select[name="assignee"]').select_option(value="pdam1")
        page.get_by_role("button", name="Jalankan untuk yang dicentang").click()
        expect(page.get_by_role("status")).to_have_text(
            "Tindakan massal diterapkan ke semua pengaduan yang dipilih."
        )
        expect(page.get_by_role("link", name="Pengaduan saya (1)")).to_be_visible()
        # No script: keys do nothing, and nothing is marked.
        page.keyboard.press("j")
        expect(page.locator(CURRENT)).to_have_count(0)
        steps.shot("without javascript", page)
    finally:
        context.close()
