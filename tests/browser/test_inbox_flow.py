"""An agency works a complaint in its inbox; hostile mention text stays text."""

import re

from playwright.sync_api import Locator, Page, expect

from tests.support.browser import PANJER, LiveServer, Steps, sign_in, sign_out
from tests.support.web import PASSWORD

#: the status changes an agency makes, in the lifecycle's order, each with its note
WORK = (
    ("Baru", "Respon awal", "Sudah kami terima, petugas dijadwalkan."),
    ("Respon awal", "Ditindaklanjuti", "Petugas memperbaiki pipa di Jl. Tukad Yeh Aya."),
    ("Ditindaklanjuti", "Selesai", "Air kembali mengalir normal."),
)


def status_badge(page: Page) -> Locator:
    """The complaint's status, the badge beside its heading."""
    return page.get_by_role("heading", level=1).locator(".badge").first


def test_agency_works_a_complaint_through_every_status(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    sign_in(page, live_server, "pdam1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/inbox/PDAM")
    expect(page.get_by_role("heading", name="PDAM Denpasar")).to_be_visible()
    steps.shot("agency inbox")

    # Filter on status: nothing is done yet, the one complaint is new.
    status = page.get_by_role("combobox", name="Status", exact=True)
    status.select_option(label="Selesai")
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(r"/inbox/PDAM\?.*status=selesai"))
    expect(page.get_by_text("Tidak ada pengaduan yang cocok.")).to_be_visible()
    steps.shot("filtered on status selesai")
    status.select_option(label="Baru")
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(r"/inbox/PDAM\?.*status=baru"))
    expect(page.get_by_text("1 pengaduan · waktu dalam WITA")).to_be_visible()
    expect(page.get_by_role("cell", name=PANJER)).to_be_visible()
    steps.shot("filtered on status baru")

    # A search that matches nothing, then one that finds the complaint.
    search = page.get_by_role("searchbox", name="Cari teks")
    search.fill("banjir")
    search.press("Enter")
    expect(page.get_by_text("Tidak ada pengaduan yang cocok.")).to_be_visible()
    expect(status).to_have_value("baru")
    expect(search).to_have_value("banjir")
    steps.shot("search without results")
    search.fill("panjer")
    page.get_by_role("button", name="Terapkan").click()
    expect(page.get_by_text("1 pengaduan · waktu dalam WITA")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=PANJER)
    expect(row).to_have_count(1)
    steps.shot("search finds the complaint")

    row.get_by_role("link", name="Buka").click()
    expect(page).to_have_url(re.compile(r"/complaints/\d+$"))
    expect(page.get_by_text(PANJER)).to_be_visible()
    expect(status_badge(page)).to_have_text("Baru")
    steps.shot("complaint opened")

    history = page.locator("section.history")
    for number, (before, after, note) in enumerate(WORK, 1):
        page.get_by_label("Ubah status ke").select_option(label=after)
        page.get_by_label("Catatan", exact=True).fill(note)
        page.get_by_role("button", name="Simpan status").click()
        expect(page.get_by_role("status")).to_have_text("Status pengaduan diperbarui.")
        expect(status_badge(page)).to_have_text(after)
        change = history.get_by_role("row").filter(has_text=note)
        expect(change).to_have_count(1)
        expect(change.get_by_role("cell")).to_have_text(
            [re.compile(r"\d"), "pdam1", before, after, note]
        )
        steps.shot(f"status {number}: {after}")

    # The history keeps every step: filing (routing) plus the three changes.
    expect(history.locator("tbody tr")).to_have_count(len(WORK) + 1)

    page.get_by_label("Catatan baru").fill("Pelapor dihubungi lewat DM, sudah konfirmasi.")
    page.get_by_role("button", name="Simpan catatan").click()
    expect(page.get_by_role("status")).to_have_text("Catatan internal disimpan.")
    internal = page.locator("section.notes article.note")
    expect(internal).to_have_count(1)
    expect(internal).to_contain_text("Pelapor dihubungi lewat DM, sudah konfirmasi.")
    expect(internal).to_contain_text("pdam1")
    expect(page.get_by_text("Belum ada catatan.")).to_have_count(0)
    steps.shot("internal note added")

    expect(status_badge(page)).to_have_text(re.compile("^selesai$", re.IGNORECASE))
    # From selesai the only way on is reopening, which needs a note.
    expect(page.get_by_label("Ubah status ke").locator("option")).to_have_text(["Ditindaklanjuti"])

    page.get_by_role("link", name="← Inbox PDAM Denpasar").click()
    status.select_option(label="Baru")
    page.get_by_role("button", name="Terapkan").click()
    expect(page.get_by_text("Tidak ada pengaduan yang cocok.")).to_be_visible()
    status.select_option(label="Selesai")
    page.get_by_role("button", name="Terapkan").click()
    row = page.get_by_role("row").filter(has_text=PANJER)
    expect(row.locator(".badge.status-selesai")).to_have_text("Selesai")
    steps.shot("inbox lists it as selesai")

    sign_out(page, live_server)
    steps.shot("signed out")
    page.goto(live_server.url + "/inbox/PDAM")
    expect(page).to_have_url(live_server.url + "/login?next=%2Finbox%2FPDAM")


def test_hostile_mention_is_shown_as_text(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    sign_in(page, live_server, "operator1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/")
    page.get_by_role("table").get_by_role("link", name="LPJU", exact=True).click()
    expect(page).to_have_url(live_server.url + "/inbox/LPJU")
    expect(page.get_by_role("heading", name="Dishub LPJU")).to_be_visible()
    steps.shot("LPJU inbox")

    row = page.get_by_role("row").filter(has_text="lampu mati di jalan gatot subroto")
    expect(row).to_have_count(1)
    expect(row.get_by_text('<script>alert("x")</script>', exact=False)).to_be_visible()
    expect(row.get_by_text("<img src=x onerror=alert(1)>", exact=False)).to_be_visible()
    expect(row.get_by_text("<b>Evil</b>", exact=False)).to_be_visible()
    assert_inert(page)

    row.get_by_role("link", name="Buka").click()
    expect(page).to_have_url(re.compile(r"/complaints/\d+$"))
    mention = page.locator("article.mention")
    expect(mention.get_by_text('<script>alert("x")</script>', exact=False)).to_be_visible()
    expect(mention.get_by_text("<b>Evil</b>", exact=False)).to_be_visible()
    # The post's javascript: URL is not turned into a link at all.
    expect(mention.get_by_role("link", name="lihat kiriman")).to_have_count(0)
    assert_inert(page)
    steps.shot("hostile complaint page")


def assert_inert(page: Page) -> None:
    """Nothing of the hostile mention became markup: no script, image, bold or link."""
    expect(page.locator('a[href^="javascript:"]')).to_have_count(0)
    expect(page.locator("img[src='x']")).to_have_count(0)
    expect(page.locator("main b")).to_have_count(0)
    # The page's only scripts are the vendored htmx and the list's keyboard shortcuts.
    sources = page.locator("script").evaluate_all("(all) => all.map((s) => s.getAttribute('src'))")
    assert set(sources) <= {"/static/vendor/htmx/htmx.min.js", "/static/inbox-keys.js"}, sources
    assert "/static/vendor/htmx/htmx.min.js" in sources
