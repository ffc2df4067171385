"""The Kominfo team approves a drafted reply; the citizen follows the number on /lacak."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.support.browser import LiveServer, Steps, sign_in
from tests.support.replies import file_with_ack, number_of, policy, replies_in
from tests.support.web import PASSWORD


def test_operator_edits_and_approves_a_reply_and_the_number_is_trackable(
    page: Page, live_server: LiveServer, steps: Steps, new_page: Callable[[], Page]
) -> None:
    cid = file_with_ack(live_server.engine, policy(mode="review"), 9, text="air mati di sesetan")
    number = number_of(live_server.engine, cid)
    sign_in(page, live_server, "operator1", PASSWORD)
    page.get_by_role("link", name="Balasan", exact=True).click()
    expect(page).to_have_url(live_server.url + "/balasan")
    draft = page.locator("article.reply-draft").filter(has_text=number)
    expect(draft).to_have_count(1)
    steps.shot("reply queue")
    text = draft.get_by_label("Teks balasan")
    expect(text).to_have_value(
        f"Terima kasih, laporan Anda kami terima dengan nomor {number} dan diteruskan ke "
        f"PDAM Denpasar. Pantau perkembangannya di https://aduan.denpasarkota.go.id/lacak/{number}"
    )
    text.fill(f"Laporan {number} sudah kami terima. Terima kasih.")
    draft.get_by_role("button", name="Setujui dan kirim").click()
    expect(page.get_by_role("status")).to_have_text("Balasan disetujui dan masuk antrean kirim.")
    expect(page.locator("article.reply-draft")).to_have_count(0)
    steps.shot("approved")
    page.goto(f"{live_server.url}/complaints/{cid}")
    row = page.locator("section.replies tbody tr")
    expect(row).to_contain_text("dalam antrean kirim")
    expect(row).to_contain_text("operator1")
    expect(row).to_contain_text(f"Laporan {number} sudah kami terima. Terima kasih.")
    [reply] = replies_in(live_server.engine)
    entry = page.locator("section.history tr.history-balasan")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("operator1")
    expect(entry).to_contain_text(
        f"Balasan #{reply.id} (Tanda terima) disetujui, teks diubah sebelum disetujui"
    )
    steps.shot("complaint page")
    assert (reply.status, reply.approved_by) == ("queued", "operator1")

    # The citizen, signed in nowhere, follows the number.
    citizen = new_page()
    citizen.goto(f"{live_server.url}/lacak")
    citizen.get_by_label("Nomor pengaduan").fill(number.lower())
    citizen.get_by_role("button", name="Lacak").click()
    expect(citizen).to_have_url(f"{live_server.url}/lacak/{number}")
    expect(citizen.locator("#nomor-pengaduan")).to_contain_text(number)
    expect(citizen.locator("#instansi")).to_have_text("PDAM Denpasar")
    expect(citizen.get_by_text("air mati di sesetan")).to_have_count(0)
    expect(citizen.get_by_text("operator1")).to_have_count(0)  # the approval is not public
    steps.shot("tracking page", citizen)
