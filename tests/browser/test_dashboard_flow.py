"""The Kominfo dashboard: its charts load, its tables and panels are there, per role."""

import re

from playwright.sync_api import Locator, Page, expect

from tests.support.browser import LiveServer, Steps, sign_in, sign_out
from tests.support.web import PASSWORD

CHART_ALTS = (
    "Grafik volume pengaduan per kategori, {days} hari terakhir",
    "Grafik volume pengaduan per inbox, {days} hari terakhir",
    "Grafik volume pengaduan per platform, {days} hari terakhir",
    "Grafik pengaduan per status",
    "Grafik lokasi dengan pengaduan terbanyak",
    "Grafik median jam kerja sampai respon awal per inbox",
)


def assert_charts_loaded(page: Page, days: int) -> None:
    """Every chart image is on the page, fetched and decoded (lazy ones are scrolled to)."""
    charts = page.locator("img.chart")
    expect(charts).to_have_count(len(CHART_ALTS))
    for alt in CHART_ALTS:
        expect(page.get_by_role("img", name=alt.format(days=days), exact=True)).to_have_count(1)
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_be_visible()
        # decode() settles once the image is fetched and decoded, or fails if it is broken.
        width = chart.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)")
        assert width > 0, f"chart {chart.get_attribute('src')} did not load"
    srcs = [chart.get_attribute("src") or "" for chart in charts.all()]
    assert sum(f"days={days}" in src for src in srcs) == 4, srcs


def table_with(page: Page, header: str) -> Locator:
    """The table with the column *header*."""
    return page.get_by_role("table").filter(
        has=page.get_by_role("columnheader", name=header, exact=True)
    )


def test_admin_sees_charts_tables_and_panels(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    sign_in(page, live_server, "admin1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="Dasbor pengaduan")).to_be_visible()
    steps.shot("dashboard")

    assert_charts_loaded(page, days=30)
    steps.shot("charts loaded")

    # Per inbox: the test store's two filed complaints, one each in PDAM and LPJU.
    per_inbox = table_with(page, "Lewat tenggat")
    for code in ("PDAM", "LPJU"):
        row = per_inbox.get_by_role("row").filter(has=page.get_by_role("link", name=code))
        expect(row.get_by_role("cell").nth(1)).to_have_text("1")  # baru
        expect(row.get_by_role("cell").nth(6)).to_have_text("1")  # total
    expect(page.get_by_role("link", name="1", exact=True)).to_have_attribute("href", "/triage")

    yearly_heading = page.get_by_role("heading", name=re.compile(r"^Laporan tahunan \d{4}$"))
    expect(yearly_heading).to_be_visible()
    yearly = table_with(page, "Pengaduan diterima")
    expect(yearly).to_be_visible()
    expect(yearly.get_by_role("columnheader")).to_have_text(
        [
            "Inbox",
            "Pengaduan diterima",
            "Ditindaklanjuti di lapangan",
            "Respon awal saja",
            "Belum ditindaklanjuti",
            "Bukan wewenang",
            # issue 14: response times beside the counts
            "Median respon awal (jam kerja)",
            "P90 respon awal",
            "Respon tepat waktu",
            "Median tindak lanjut (jam kerja)",
            "P90 tindak lanjut",
            "Tindak lanjut tepat waktu",
            "Dibuka kembali",
            "Jumlah",
            re.compile(r"\d+"),
            re.compile(r"\d+"),
            re.compile(r"\d+"),
            re.compile(r"\d+"),
            re.compile(r"\d+"),
            "",
        ]
    )
    expect(page.get_by_role("combobox", name="Tahun")).to_have_value(
        yearly_heading.inner_text().rsplit(" ", 1)[1]
    )

    expect(page.get_by_role("heading", name="Sumber", exact=True)).to_be_visible()
    expect(table_with(page, "Terakhir berhasil")).to_contain_text("Belum ada sumber yang berjalan.")
    expect(page.get_by_role("heading", name="Pengiriman gagal (0)")).to_be_visible()
    expect(table_with(page, "Galat terakhir").filter(has_text="Kirim ulang")).to_have_count(0)
    expect(page.get_by_text("Tidak ada notifikasi yang gagal.")).to_be_visible()
    steps.shot("yearly table, sources and deliveries")

    # A longer window: the charts are drawn again for it.
    page.get_by_role("combobox", name="Rentang").select_option(label="90 hari")
    page.get_by_role("button", name="Tampilkan").first.click()
    expect(page).to_have_url(re.compile(r"days=90"))
    expect(page.get_by_role("heading", name="Lokasi terbanyak (90 hari terakhir)")).to_be_visible()
    assert_charts_loaded(page, days=90)
    steps.shot("90 days")

    sign_out(page, live_server)
    steps.shot("signed out")


def test_viewer_sees_the_dashboard_without_triage(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    sign_in(page, live_server, "viewer1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="Dasbor pengaduan")).to_be_visible()
    steps.shot("viewer dashboard")

    expect(page.get_by_role("link", name="Triase")).to_have_count(0)
    expect(page.locator('a[href="/triage"]')).to_have_count(0)
    # Aggregates only: no link into an inbox or a complaint, no retry buttons.
    expect(page.locator('a[href^="/inbox/"], a[href^="/complaints/"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Kirim ulang")).to_have_count(0)
    assert_charts_loaded(page, days=30)
    expect(table_with(page, "Pengaduan diterima")).to_be_visible()
    steps.shot("viewer charts")

    response = page.goto(live_server.url + "/triage")
    assert response is not None and response.status == 403
    page.goto(live_server.url + "/")
    sign_out(page, live_server)
    steps.shot("signed out")
