"""The dashboard: chart images, yearly report, overdue list, source health, dead letters."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inbox.dashboard_charts import TtlCache, by_week, today_wita, window
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import session_scope
from models.mentions import insert_mentions
from models.quarantine import Rejected, quarantine
from models.sources import month_key
from models.tables import Mention, Outbox, SourceHealth
from models.types import utcnow
from models.vocab import ComplaintStatus, OutboxStatus
from tests.support.factories import agencies, mention
from tests.support.web import IMG, LONG, SCRIPT, client_for, csrf_token, post

EVIL_LINK = f"{SCRIPT}{IMG} javascript:alert(1)"
#: the longest place name the store takes, with no space to break it
PLACE = "B" * 100
NOW = utcnow()
#: (n, inbox, status, created at, extra fields); 2023-12-31 16:30 UTC is already 2024 in WITA
YEAR_ROWS: list[tuple[int, str, str, datetime, dict[str, Any]]] = [
    (1, "PDAM", "selesai", datetime(2024, 3, 1, tzinfo=UTC), {"followed_up_at": NOW}),
    (2, "PDAM", "respon_awal", datetime(2024, 4, 1, tzinfo=UTC), {"responded_at": NOW}),
    (3, "PDAM", "baru", datetime(2024, 5, 1, tzinfo=UTC), {}),
    (4, "PDAM", "baru", datetime(2023, 12, 31, 16, 30, tzinfo=UTC), {}),
    (5, "LPJU", "ditindaklanjuti", datetime(2024, 6, 1, tzinfo=UTC), {}),
    (6, "KOMINFO", "bukan_wewenang", datetime(2024, 7, 1, tzinfo=UTC), {}),
    (7, "PDAM", "selesai", datetime(2023, 12, 31, 15, 59, tzinfo=UTC), {}),
    # recent ones, for the charts, places and the overdue list
    (
        8,
        "PDAM",
        "baru",
        NOW - timedelta(hours=30),
        {"desa": EVIL_LINK, "respond_by": NOW - timedelta(hours=2)},
    ),
    (
        9,
        "LPJU",
        "respon_awal",
        NOW - timedelta(hours=3),
        {"desa": PLACE, "follow_up_by": NOW + timedelta(days=3)},
    ),
    (10, "LPJU", "baru", NOW - timedelta(hours=2), {"desa": EVIL_LINK}),
]


def _fill(engine: Engine) -> dict[int, int]:
    """The complaints above (mention n -> complaint id), two sources and a dead letter."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[
                mention(
                    n,
                    text=f"keluhan rahasia nomor {n}",
                    platform="twitter" if n % 2 else "facebook",
                )
                for n, *_ in YEAR_ROWS
            ],
        )
    ids: dict[int, int] = {}
    with session_scope(engine) as s:
        for n, inbox, status, created, fields in YEAR_ROWS:
            m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()
            c = file_complaint(
                session=s, mention=m, category=inbox, inbox=inbox, confidence=0.9, routed_by="t"
            )
            assert c is not None and c.id is not None
            c.status, c.created_at = ComplaintStatus(status), created
            for key, value in fields.items():
                setattr(c, key, value)
            s.add(c)
            ids[n] = c.id
        s.add(
            SourceHealth(
                source="twitter-kota",
                platform="twitter",
                state="rate_limited",
                last_success_at=NOW - timedelta(hours=1),
                last_error_at=NOW,
                last_error="429 Too Many Requests",
                last_error_class="RateLimited",
                rate_limited_until=datetime(2026, 1, 1, 2, 0, tzinfo=UTC),
                reads_month=month_key(NOW),
                reads_this_month=40,
                usage={"app": {"call_count": 57}},
            )
        )
        s.add(
            SourceHealth(
                source="fb-pemkot",
                platform="facebook",
                state="disabled",
                last_error=f"token expired {EVIL_LINK} {LONG}",
                last_error_class="CredentialsRejected",
                last_error_at=NOW,
                disabled_reason=f"credentials rejected: {SCRIPT}",
                reads_month="2020-01",
                reads_this_month=999,
            )
        )
        s.add(
            Outbox(
                complaint_id=ids[9],
                agency_code="LPJU",
                channel="email",
                status=OutboxStatus.DEAD,
                attempts=8,
                last_error=f"550 {EVIL_LINK} {LONG}",
            )
        )
    return ids


def _images(page: str) -> list[str]:
    return [src.replace("&amp;", "&") for src in re.findall(r'<img[^>]* src="([^"]+)"', page)]


def _row(table: str, name: str) -> str:
    """The table row whose first cell starts with *name*."""
    found = re.search(r"<tr[^>]*>\s*<td>" + re.escape(name) + r"\b.*?</tr>", table, re.S)
    assert found is not None, name
    return found.group(0)


def test_charts_are_svg_images_from_sql_aggregates(engine: Engine) -> None:
    _fill(engine)
    client = client_for(engine)
    page = client.get("/?days=7")
    assert page.status_code == 200
    images = _images(page.text)
    assert images == [
        "/dashboard/charts/volume-category.svg?days=7",
        "/dashboard/charts/volume-inbox.svg?days=7",
        "/dashboard/charts/volume-platform.svg?days=7",
        "/dashboard/charts/status.svg",
        "/dashboard/charts/places.svg?days=7",
        f"/dashboard/charts/response-times.svg?year={today_wita().year}",
    ]
    for src in images:
        chart = client.get(src)
        assert chart.status_code == 200, src
        assert chart.headers["content-type"] == "image/svg+xml"
        assert "default-src 'none'" in chart.headers["content-security-policy"]
        assert ElementTree.fromstring(chart.content).tag.endswith("svg")
        assert b"<script" not in chart.content
        assert len(chart.content) < 200_000  # long labels are shortened
    # Labels are drawn as glyphs; matplotlib keeps each label's text as an escaped comment.
    places = client.get("/dashboard/charts/places.svg?days=7").content
    assert b"<!-- &lt;script&gt;alert(" in places
    assert b"<!-- " + b"B" * 39 + "…".encode() + b" -->" in places
    inbox = client.get("/dashboard/charts/volume-inbox.svg?days=7").content
    assert b"<!-- LPJU -->" in inbox and b"<!-- PDAM -->" in inbox
    assert client.get("/dashboard/charts/volume-nope.svg").status_code == 422
    assert client.get("/dashboard/charts/places.svg?days=0").status_code == 422
    # A bad link falls back to the defaults instead of failing.
    for bad in ("/?days=abc&year=x", "/?days=²&year=²&done=retried&outbox=²"):
        fallback = client.get(bad)
        assert fallback.status_code == 200
        assert "/dashboard/charts/volume-inbox.svg?days=30" in fallback.text
        assert 'class="notice"' not in fallback.text


def test_yearly_table_matches_the_data_and_the_year_is_selectable(engine: Engine) -> None:
    _fill(engine)
    client = client_for(engine)

    def table(year: int) -> tuple[dict[str, list[int]], list[int]]:
        page = client.get(f"/?year={year}").text
        yearly = page.split('<table class="yearly">')[1].split("</table>")[0]
        cells = r"((?:<t[dh] class=\"num\">\d+</t[dh]>)+)"
        rows = {
            inbox: [int(n) for n in re.findall(r">(\d+)<", nums)]
            # the five counts; the response-time columns (issue 14) follow them
            for inbox, nums in re.findall(r"<tr><td>(\w+)</td>" + cells, yearly)
        }
        total = re.search(r'<tr class="total"><th>Jumlah</th>' + cells, yearly)
        assert total is not None
        return rows, [int(n) for n in re.findall(r">(\d+)<", total.group(1))]

    # received, followed up in the field, initial response only, not yet, refused
    assert table(2024) == (
        {"KOMINFO": [1, 0, 0, 0, 1], "LPJU": [1, 1, 0, 0, 0], "PDAM": [4, 1, 1, 2, 0]},
        [6, 2, 1, 2, 1],
    )
    assert table(2023) == ({"PDAM": [1, 1, 0, 0, 0]}, [1, 1, 0, 0, 0])
    page = client.get("/?year=2024").text
    assert '<option value="2024" selected>' in page
    assert '<option value="2023">' in page


def test_overdue_list_places_and_per_inbox_counts(engine: Engine) -> None:
    ids = _fill(engine)
    page = client_for(engine).get("/").text
    overdue = page.split('id="tenggat"')[1].split("</table>")[0]
    assert f'<a href="/complaints/{ids[8]}">#{ids[8]}</a>' in overdue
    assert "respon awal" in overdue  # the step that was missed
    assert f"/complaints/{ids[9]}" not in overdue  # its follow-up is not due yet
    assert "Lewat tenggat (1)" in page
    places = page.split("Lokasi terbanyak")[1].split("</table>")[0]
    assert re.search(r"&lt;script&gt;alert.*?</td><td class=\"num\">2</td>", places)
    assert f'{PLACE}</td><td class="num">1</td>' in places
    inbox_table = page.split("<h2>Per inbox</h2>")[1].split("</table>")[0]
    assert 'href="/inbox/PDAM"' in inbox_table and 'href="/inbox/LPJU"' in inbox_table
    assert 'Triase: <a href="/triage">0</a>' in page


def test_source_health_panel_and_disabled_banner(engine: Engine) -> None:
    _fill(engine)
    client = client_for(engine, read_caps={"twitter-kota": 100})
    page = client.get("/").text
    banner = page.split('<div class="banner bad" role="alert">')[1].split("</div>")[0]
    assert "fb-pemkot" in banner and "twitter-kota" not in banner
    panel = page.split('id="sumber"')[1].split("</table>")[0]
    limited, disabled = _row(panel, "twitter-kota"), _row(panel, "fb-pemkot")
    assert disabled.startswith('<tr class="disabled">') and "disabled" not in limited[:12]
    assert "dijeda oleh platform" in limited
    assert "Platform meminta jeda karena terlalu banyak permintaan." in limited
    assert "dijeda sampai 01-01-2026 10:00 WITA" in limited
    assert "40 / 100" in limited and "40%" in limited
    assert "app.call_count: 57" in limited
    assert "dimatikan: token/kredensial ditolak" in disabled
    assert "Token atau kredensial ditolak platform; perlu diperbarui." in disabled
    assert '<td class="num">0</td>' in disabled  # reads of an old month count as none
    assert "token expired &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in disabled
    assert "credentials rejected: &lt;script&gt;" in disabled
    assert LONG in disabled  # whole, in a wrapping block
    assert "Sumber dimatikan" in client.get("/triage").text
    # Once the token is renewed the banner goes.
    with session_scope(engine) as s:
        health = s.get(SourceHealth, "fb-pemkot")
        assert health is not None
        health.state, health.disabled_reason = "ok", None
    assert "Sumber dimatikan" not in client.get("/").text
    assert "Sumber dimatikan" not in client.get("/triage").text


def test_dead_letter_retry_puts_the_row_back_in_the_queue(engine: Engine) -> None:
    ids = _fill(engine)
    client = client_for(engine)
    with Session(engine) as s:
        dead = s.exec(select(Outbox).where(Outbox.status == OutboxStatus.DEAD)).one()
    panel = client.get("/").text.split('id="pengiriman"')[1].split("</table>")[0]
    assert f'<a href="/complaints/{ids[9]}">' in panel
    assert "550 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x" in panel
    assert f'action="/deliveries/{dead.id}/retry"' in panel
    assert LONG in panel
    path = f"/deliveries/{dead.id}/retry"
    assert client.post(path).status_code == 403  # no CSRF token
    with Session(engine) as s:
        assert s.exec(select(Outbox.status).where(Outbox.id == dead.id)).one() == OutboxStatus.DEAD
    token = csrf_token(client, "/")
    retried = post(client, path, token)
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/?done=retried&outbox={dead.id}#pengiriman"
    assert (
        f"Notifikasi #{dead.id} dimasukkan lagi ke antrean pengiriman."
        in client.get(retried.headers["location"]).text
    )
    with Session(engine) as s:
        row = s.get(Outbox, dead.id)
        assert row is not None
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
        assert row.next_attempt_at <= utcnow()
    again = post(client, path, token)
    assert again.status_code == 404
    assert "tidak ada atau tidak sedang gagal" in again.text
    assert "Pengiriman gagal (0)" in again.text


def test_viewers_see_aggregates_only_and_agencies_their_inbox(engine: Engine) -> None:
    _fill(engine)
    viewer = client_for(engine, "lihat1", "viewer")
    page = viewer.get("/")
    assert page.status_code == 200
    text = page.text
    assert "keluhan rahasia" not in text  # no complaint text
    for link in ("/complaints/", "/inbox/", "/deliveries/", 'href="/triage"'):
        assert link not in text
    assert "Pengiriman gagal (1)" in text and "Lewat tenggat (1)" in text
    assert "Sumber dimatikan" in text
    for src in _images(text):
        assert viewer.get(src).status_code == 200
    assert "<script>alert" not in text and "<img src=x" not in text
    assert 'href="javascript:' not in text
    agency = client_for(engine, "pdam1", "agency", agency="PDAM")
    home = agency.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/inbox/PDAM")
    assert agency.get("/dashboard/charts/status.svg").status_code == 403


def test_chart_cache_keeps_a_chart_for_its_ttl() -> None:
    now = [100.0]
    cache = TtlCache(ttl=60, max_entries=2, clock=lambda: now[0])
    made: list[str] = []

    def make(value: str) -> bytes:
        made.append(value)
        return value.encode()

    assert cache.get_or_make("a", lambda: make("a1")) == b"a1"
    now[0] += 59
    assert cache.get_or_make("a", lambda: make("a2")) == b"a1"  # still fresh
    now[0] += 2
    assert cache.get_or_make("a", lambda: make("a3")) == b"a3"  # expired: made again
    cache.get_or_make("b", lambda: make("b1"))
    cache.get_or_make("c", lambda: make("c1"))  # full: old entries dropped, never unbounded
    assert len(cache._entries) <= 2
    assert made == ["a1", "a3", "b1", "c1"]


def test_chart_window_is_in_denpasar_days_and_long_windows_go_weekly() -> None:
    # 17:00 UTC on the 27th is already 01:00 WITA on the 28th.
    since, days = window(2, now=datetime(2026, 11, 27, 17, 0, tzinfo=UTC))
    assert since == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # midnight WITA on the 27th
    assert days == ["2026-11-27", "2026-11-28"]
    _, year = window(10, now=datetime(2026, 1, 10, 4, 0, tzinfo=UTC))
    counts = {"2026-01-01": {"A": 1}, "2026-01-03": {"A": 2}, "2026-01-08": {"B": 1}}
    assert by_week(counts, year) == {"2026-01-01": {"A": 3}, "2026-01-08": {"B": 1}}


def test_quarantine_panel_counts_each_sources_records_with_the_latest_reason(
    engine: Engine,
) -> None:
    client = client_for(engine)
    assert 'id="karantina"' not in client.get("/").text  # nothing held: no panel
    with session_scope(engine) as s:
        quarantine(
            session=s,
            source="x-kota",
            rejected=[
                Rejected(reason="created_at: 0001-01-01T00:00:00+00:00 is out of range"),
                Rejected(reason=f"platform: unknown platform {SCRIPT!r} 081234567890"),
            ],
        )
        quarantine(session=s, source="berkas", rejected=[Rejected(reason="not valid JSON")])
    page = client.get("/").text
    panel = page.split('id="karantina"')[1].split("</table>")[0]
    assert "aduan quarantine retry" in panel and "disisihkan" in panel
    berkas, kota = _row(panel, "berkas"), _row(panel, "x-kota")
    assert '<td class="num">1</td>' in berkas and "not valid JSON" in berkas
    assert '<td class="num">2</td>' in kota and "unknown platform" in kota
    assert "<script>" not in kota and "081234567890" not in kota  # escaped and masked
    assert "WITA" in kota
