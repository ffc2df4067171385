"""The agency desk in a browser: assign, a bulk status change, a saved view."""

import re

from playwright.sync_api import Page, expect

from tests.support.browser import PANJER, LiveServer, Steps, sign_in
from tests.support.web import PASSWORD


def test_agency_assigns_changes_in_bulk_and_saves_a_view(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    sign_in(page, live_server, "pdam1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/inbox/PDAM")
    expect(page.get_by_role("link", name="Pengaduan saya (0)")).to_be_visible()

    # Assign the complaint to oneself on its page.
    page.get_by_role("row").filter(has_text=PANJER).get_by_role("link", name="Buka").click()
    page.get_by_role("combobox", name=re.compile("^Petugas")).select_option(value="pdam1")
    page.get_by_role("button", name="Simpan petugas").click()
    expect(page.get_by_role("status")).to_have_text("Petugas pengaduan diperbarui.")
    expect(page.locator("#petugas")).to_have_text("pdam1")
    expect(page.locator("table.assignments tbody tr")).to_have_count(1)
    steps.shot("assigned")
    page.get_by_role("link", name="Pengaduan saya (1)").click()
    expect(page.get_by_role("row").filter(has_text="Baru")).to_have_count(1)
    steps.shot("my complaints")

    # A bulk status change from the inbox list.
    page.get_by_role("link", name="Inbox PDAM").click()
    page.get_by_role("checkbox", name=re.compile(r"Pilih pengaduan #\d+")).check()
    page.get_by_role("combobox", name=re.compile("^Tindakan")).select_option(value="status")
    page.get_by_label("Status tujuan").select_option(label="Respon awal")
    page.get_by_label("Catatan (dicatat di tiap pengaduan)").fill("Sudah dicek petugas.")
    page.get_by_role("button", name="Jalankan untuk yang dicentang").click()
    expect(page.get_by_role("status")).to_have_text(
        "Tindakan massal diterapkan ke semua pengaduan yang dipilih."
    )
    row = page.get_by_role("row").filter(has_text=PANJER)
    expect(row.locator(".badge.status-respon_awal")).to_have_text("Respon awal")
    steps.shot("bulk status change")

    # Filter (htmx swaps the list), save it as a view, and find it in the navigation.
    page.get_by_role("combobox", name="Status", exact=True).select_option(label="Respon awal")
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(r"/inbox/PDAM\?.*status=respon_awal"))
    page.get_by_label("Simpan filter ini sebagai tampilan").fill("Sudah direspons")
    page.get_by_role("button", name="Simpan tampilan").click()
    expect(page.get_by_role("status")).to_have_text("Tampilan disimpan; tautannya ada di navigasi.")
    view = page.get_by_role("link", name="Sudah direspons (1)")
    expect(view).to_be_visible()
    page.get_by_role("link", name="Inbox PDAM").click()
    view.click()
    expect(page).to_have_url(re.compile(r"/inbox/PDAM\?status=respon_awal$"))
    expect(page.get_by_text("1 pengaduan · waktu dalam WITA")).to_be_visible()
    steps.shot("saved view opened")
