"""Kominfo triage: files an unsure mention, and reassigns a complaint an agency refused."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.support.browser import PANJER, LiveServer, Steps, sign_in, sign_out
from tests.support.web import PASSWORD

UNSURE = "bingung ini harus lapor ke mana, got mampet di sanur"


def test_operator_files_an_unsure_mention_into_an_agency_inbox(
    page: Page, live_server: LiveServer, steps: Steps, new_page: Callable[[], Page]
) -> None:
    sign_in(page, live_server, "operator1", PASSWORD)
    page.get_by_role("link", name="Triase").click()
    expect(page).to_have_url(live_server.url + "/triage")
    expect(page.get_by_role("heading", name="Antrean triase")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=UNSURE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Tebakan model: Air minum")
    steps.shot("triage queue")

    row.get_by_label("Kategori").select_option("PDAM")
    expect(row.get_by_label("Kategori")).to_have_value("PDAM")
    row.get_by_role("button", name="Simpan keputusan").click()
    confirmation = page.get_by_role("status")
    expect(confirmation).to_have_text(
        re.compile(r"^Kiriman #\d+ diajukan sebagai pengaduan #\d+ \(Air minum\)\.$")
    )
    expect(page.get_by_role("row").filter(has_text=UNSURE)).to_have_count(0)
    expect(page.get_by_text("Antrean kosong.")).to_be_visible()
    steps.shot("filed as PDAM")
    match = re.search(r"pengaduan #(\d+)", confirmation.inner_text())
    assert match is not None
    complaint_id = match.group(1)

    # The agency sees it in its own browser.
    agency = new_page()
    sign_in(agency, live_server, "pdam1", PASSWORD)
    expect(agency).to_have_url(live_server.url + "/inbox/PDAM")
    row = agency.get_by_role("row").filter(has_text=UNSURE)
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=f"#{complaint_id}", exact=True)).to_be_visible()
    expect(row.locator(".badge.status-baru")).to_have_text("Baru")
    steps.shot("in PDAM's inbox", agency)
    row.get_by_role("link", name="Buka").click()
    expect(agency).to_have_url(f"{live_server.url}/complaints/{complaint_id}")
    routed = agency.get_by_role("definition").filter(has_text="triase oleh operator1")
    expect(routed).to_have_count(1)
    steps.shot("complaint page as PDAM", agency)


def test_agency_refuses_a_complaint_and_operator_reassigns_it(
    page: Page, live_server: LiveServer, steps: Steps, new_page: Callable[[], Page]
) -> None:
    sign_in(page, live_server, "pdam1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/inbox/PDAM")
    page.get_by_role("row").filter(has_text=PANJER).get_by_role("link", name="Buka").click()
    expect(page).to_have_url(re.compile(r"/complaints/\d+$"))
    complaint_id = page.url.rsplit("/", 1)[1]
    steps.shot("complaint before refusing")

    refuse = page.get_by_role("group", name="Bukan wewenang kami")
    refuse.get_by_label("Alasan").fill("Air mati karena pohon tumbang memutus listrik pompa.")
    refuse.get_by_label("Saran kategori").select_option("LPJU")
    refuse.get_by_role("button", name="Kembalikan ke triase").click()
    expect(page).to_have_url(live_server.url + "/inbox/PDAM?ok=bukan_wewenang")
    expect(page.get_by_role("status")).to_have_text(
        "Pengaduan dikembalikan ke triase Kominfo sebagai bukan wewenang."
    )
    expect(page.get_by_role("row").filter(has_text=PANJER)).to_have_count(0)
    expect(page.get_by_text("Tidak ada pengaduan yang cocok.")).to_be_visible()
    steps.shot("refused, gone from PDAM")

    operator = new_page()
    sign_in(operator, live_server, "operator1", PASSWORD)
    operator.get_by_role("link", name="Triase").click()
    bounced = operator.get_by_role("row").filter(has_text=PANJER)
    expect(bounced).to_have_count(1)
    expect(bounced).to_contain_text("Dikembalikan")
    expect(bounced).to_contain_text("Air mati karena pohon tumbang memutus listrik pompa.")
    expect(bounced).to_contain_text("oleh pdam1")
    expect(bounced).to_contain_text("Saran kategori: Penerangan jalan umum")
    expect(bounced.get_by_role("link", name=f"Pengaduan #{complaint_id}")).to_be_visible()
    # The agency's suggestion is chosen already; the operator keeps it.
    expect(bounced.get_by_label("Kategori")).to_have_value("LPJU")
    steps.shot("bounced complaint in triage", operator)

    bounced.get_by_label("Catatan").fill("Dialihkan ke LPJU sesuai saran PDAM.")
    bounced.get_by_role("button", name="Alihkan").click()
    expect(operator.get_by_role("status")).to_have_text(
        f"Pengaduan #{complaint_id} dialihkan ke kategori Penerangan jalan umum."
    )
    expect(operator.get_by_role("row").filter(has_text=PANJER)).to_have_count(0)
    steps.shot("reassigned", operator)

    operator.get_by_role("link", name="Dasbor").click()
    operator.get_by_role("table").get_by_role("link", name="LPJU", exact=True).click()
    expect(operator).to_have_url(live_server.url + "/inbox/LPJU")
    row = operator.get_by_role("row").filter(has_text=PANJER)
    expect(row.locator(".badge.status-baru")).to_have_text("Baru")
    row.get_by_role("link", name="Buka").click()
    history = operator.locator("section.history tbody tr")
    expect(history.filter(has_text="Dialihkan ke LPJU sesuai saran PDAM.")).to_contain_text(
        "Bukan wewenang"
    )
    steps.shot("in LPJU's inbox with its history", operator)

    # The refusing agency can no longer open it.
    response = page.goto(f"{live_server.url}/complaints/{complaint_id}")
    assert response is not None and response.status == 404
    page.goto(live_server.url + "/inbox/PDAM")
    sign_out(page, live_server)
    sign_out(operator, live_server)
    steps.shot("both signed out", operator)
