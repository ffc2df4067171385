"""The web inbox pages on both stores: filters, search, sorting, pages, counts, escaping."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from inbox import inbox_pages
from inbox.app import create_app
from lifecycle.status import change_status
from models.db import session_scope
from models.retention import remove_text_and_author
from models.tables import Complaint
from models.types import utcnow
from models.vocab import SORT_LABELS
from tests.support.web import (
    AUTH,
    EVIL,
    LONG,
    add_complaint,
    filled_inbox,
    signed_in,
)


def listed(page: str) -> list[int]:
    """The complaint ids a list page shows, in order."""
    return [int(i) for i in re.findall(r'<a href="/complaints/(\d+)">#', page)]


def _inbox(engine: Engine) -> dict[int, int]:
    """Four PDAM complaints and one LPJU; mention number -> complaint id."""
    now = utcnow()
    day = timedelta(days=1)
    rows: list[tuple[int, dict[str, Any]]] = [
        (
            1,
            {
                "mention_fields": {"text": "air mati 100% di sesetan"},
                "created": datetime(2026, 11, 20, 16, 30, tzinfo=UTC),  # 21 Nov in WITA
                "kecamatan": "Denpasar Selatan",
                "respond_by": now - timedelta(hours=1),
            },
        ),
        (
            2,
            {
                "mention_fields": {"text": "air keruh di ubung", "platform": "facebook"},
                "created": datetime(2026, 11, 19, 10, 0, tzinfo=UTC),
                "status": "respon_awal",
                "kecamatan": "Denpasar Utara",
                "respond_by": now + 2 * day,
                "follow_up_by": now + 5 * day,
                "reporters": 3,
            },
        ),
        (
            3,
            {
                "mention_fields": {"text": "pipa_bocor di panjer", "platform": "instagram"},
                "created": datetime(2026, 11, 22, 2, 0, tzinfo=UTC),
                "category": "OTHER",
                "respond_by": now + day,
                "reporters": 2,
            },
        ),
        (
            4,
            {
                "mention_fields": {"text": "pipa bocor sesetan"},
                "status": "selesai",
                "created": datetime(2026, 11, 10, 2, 0, tzinfo=UTC),
                "kecamatan": "Denpasar Selatan",
                "respond_by": now - 10 * day,
            },
        ),
        (
            5,
            {
                "mention_fields": {"text": "lampu mati"},
                "inbox": "LPJU",
                "created": datetime(2026, 11, 21, 2, 0, tzinfo=UTC),
            },
        ),
    ]
    return {n: add_complaint(engine, n, **kw) for n, kw in rows}


def test_overview_lists_inboxes_with_counts(engine: Engine) -> None:
    page = filled_inbox(engine).get("/")
    assert page.status_code == 200
    assert 'href="/inbox/LPJU"' in page.text
    assert 'Triase: <a href="/triage">1</a>' in page.text


def test_inbox_page_shows_complaints_escaped(engine: Engine) -> None:
    client = filled_inbox(engine)
    page = client.get("/inbox/LPJU")
    assert page.status_code == 200
    assert "<script>" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in page.text
    assert "javascript:" not in page.text  # an unsafe link is shown as text, not linked
    assert "A" * 290 in page.text and LONG not in page.text  # long text is cut in lists
    pdam = client.get("/inbox/PDAM")
    assert 'href="https://x.com/a/status/1002"' in pdam.text
    assert "WITA" in pdam.text
    # The same text as CSV: escaping is not needed there, but formulas and bad links are cut.
    export = client.get("/inbox/LPJU/export.csv").text
    texts = {row[-2]: row for row in csv.reader(io.StringIO(export.removeprefix("\ufeff")))}
    assert EVIL in texts and "lampu " + LONG in texts and "javascript:" not in export
    assert texts[EVIL][-1] == ""  # the javascript: link is left out


def test_triage_page_lists_unsure_mentions(engine: Engine) -> None:
    page = filled_inbox(engine).get("/triage")
    assert "bingung &lt;i&gt;ini&lt;/i&gt;" in page.text


def test_unknown_inbox_is_404(engine: Engine) -> None:
    client = filled_inbox(engine)
    assert client.get("/inbox/NOPE").status_code == 404
    assert client.get("/inbox/NO%00PE").status_code == 404
    assert client.get("/inbox/NOPE/export.csv").status_code == 404


def test_pages_need_a_signed_in_user(engine: Engine) -> None:
    anonymous = TestClient(create_app(engine, auth_config=AUTH))
    for path in ("/", "/inbox/PDAM", "/triage", "/inbox/PDAM/export.csv", "/complaints/1"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    assert anonymous.get("/triage", follow_redirects=False).headers["location"] == (
        "/login?next=%2Ftriage"
    )


def test_agency_users_see_only_their_inbox(engine: Engine) -> None:
    filled_inbox(engine)
    client = signed_in(engine, "pdam1", "agency", agency="PDAM")
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/inbox/PDAM")
    assert client.get("/inbox/PDAM").status_code == 200
    assert client.get("/inbox/LPJU").status_code == 404  # looks like a missing inbox
    assert client.get("/inbox/LPJU/export.csv").status_code == 404
    assert client.get("/inbox/PDAM/export.csv").status_code == 200
    assert client.get("/triage").status_code == 403


def test_filters_and_search_narrow_the_list(engine: Engine) -> None:
    ids = _inbox(engine)
    client = signed_in(engine)

    def shown(query: str) -> list[int]:
        page = client.get("/inbox/PDAM?" + query)
        assert page.status_code == 200, page.text
        return listed(page.text)

    assert shown("") == [ids[3], ids[1], ids[2], ids[4]]  # newest first, LPJU not here
    assert shown("status=baru") == [ids[3], ids[1]]
    assert shown("category=OTHER") == [ids[3]]
    assert shown("kecamatan=Denpasar+Selatan") == [ids[1], ids[4]]
    assert shown("platform=facebook") == [ids[2]]
    assert shown("overdue=1") == [ids[1]]
    # Dates are WITA days: complaint 1 was filed on 20 Nov UTC, 21 Nov in Denpasar.
    assert shown("dari=2026-11-21") == [ids[3], ids[1]]
    assert shown("sampai=2026-11-20") == [ids[2], ids[4]]
    assert shown("dari=2026-11-21&sampai=2026-11-21") == [ids[1]]
    assert shown("status=baru&kecamatan=Denpasar+Selatan&platform=twitter") == [ids[1]]
    assert shown("kecamatan=Denpasar+Timur") == []
    # Text search: any case, and % and _ are text, not wildcards.
    assert listed(client.get("/inbox/PDAM", params={"q": "SESETAN"}).text) == [ids[1], ids[4]]
    assert listed(client.get("/inbox/PDAM", params={"q": "100%"}).text) == [ids[1]]
    assert listed(client.get("/inbox/PDAM", params={"q": "pipa_bocor"}).text) == [ids[3]]
    assert listed(client.get("/inbox/PDAM", params={"q": "pipa%bocor"}).text) == []
    assert listed(client.get("/inbox/PDAM", params={"q": "_"}).text) == [ids[3]]
    assert listed(client.get("/inbox/PDAM", params={"q": "lampu"}).text) == []  # LPJU's
    # The form shows the filters it was sent, and the export link carries them.
    page = client.get(
        "/inbox/PDAM",
        params={
            "q": 'air "mati"',
            "status": "baru",
            "overdue": "1",
            "dari": "2026-11-21",
            "kecamatan": "Denpasar Selatan",
            "sort": "deadline",
            "platform": "twitter",
        },
    ).text
    assert 'name="q" value="air &#34;mati&#34;"' in page
    assert '<option value="baru" selected>' in page
    assert '<option value="Denpasar Selatan" selected>' in page
    assert '<option value="twitter" selected>' in page
    assert '<option value="deadline" selected>' in page
    assert 'name="overdue" value="1" checked' in page
    assert 'name="dari" value="2026-11-21"' in page
    assert 'href="/inbox/PDAM/export.csv?q=air+%22mati%22&amp;status=baru' in page


def test_sorting_and_pages(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _inbox(engine)
    client = signed_in(engine)
    order = {s: listed(client.get(f"/inbox/PDAM?sort={s}").text) for s in SORT_LABELS}
    assert order["newest"] == [ids[3], ids[1], ids[2], ids[4]]
    assert order["oldest"] == [ids[4], ids[2], ids[1], ids[3]]
    assert order["deadline"] == [ids[4], ids[1], ids[3], ids[2]]
    assert order["reporters"] == [ids[2], ids[3], ids[4], ids[1]]
    monkeypatch.setattr(inbox_pages, "PAGE_SIZE", 2)
    first = client.get("/inbox/PDAM?sort=oldest").text
    assert listed(first) == [ids[4], ids[2]]
    assert "Halaman 1 dari 2" in first and "4 pengaduan" in first
    assert 'href="/inbox/PDAM?sort=oldest&amp;page=2" rel="next"' in first
    second = client.get("/inbox/PDAM?sort=oldest&page=2").text
    assert listed(second) == [ids[1], ids[3]]
    assert 'href="/inbox/PDAM?sort=oldest" rel="prev"' in second
    assert 'rel="next"' not in second
    assert listed(client.get("/inbox/PDAM?sort=oldest&page=3").text) == []


def test_status_counts_and_rows(engine: Engine) -> None:
    ids = _inbox(engine)
    client = signed_in(engine)
    page = client.get("/inbox/PDAM").text
    for label, n in (
        ("Semua", 4),
        ("Baru", 2),
        ("Respon awal", 1),
        ("Selesai", 1),
        ("Ditindaklanjuti", 0),
        ("Bukan wewenang", 0),
    ):
        assert f"{label} ({n})</a>" in page, label
    assert 'href="/inbox/PDAM?status=respon_awal"' in page
    # Counts follow the other filters, and their links keep them.
    searched = client.get("/inbox/PDAM?q=sesetan&status=baru").text
    assert "Baru (1)</a>" in searched and "Selesai (1)</a>" in searched
    assert "Respon awal (0)</a>" in searched
    assert 'href="/inbox/PDAM?q=sesetan&amp;status=selesai"' in searched
    assert 'href="/inbox/PDAM?q=sesetan" class="current">Semua' not in searched
    # Each row: its page, how many reported it, the next deadline, and whether it is late.
    rows = {
        int(i): row
        for i, row in re.findall(
            r'<tr[^>]*>\s*<td><a href="/complaints/(\d+)">#'
            r"(.*?)</tr>",
            page,
            re.S,
        )
    }
    assert "3 pelapor" in rows[ids[2]] and "1 pelapor" in rows[ids[1]]
    assert "Terlambat respon awal" in rows[ids[1]]
    assert "Terlambat" not in rows[ids[2]] and "Terlambat" not in rows[ids[4]]
    assert "WITA" in rows[ids[2]]  # follow_up_by, the deadline of its next step
    assert '<tr class="overdue">' in page


BAD_PARAMETERS = [
    ("dari=2026-13-01", "Tanggal “dari” tidak valid"),
    ("sampai=kemarin", "Tanggal “sampai” tidak valid"),
    ("dari=0001-01-01", "Tanggal “dari” tidak valid"),
    ("dari=2026-11-22&sampai=2026-11-21", "harus sebelum"),
    ("sort=sideways", "Urutan tidak dikenal"),
    ("status=hilang", "Status tidak dikenal"),
    ("category=NASI", "Kategori tidak dikenal"),
    ("platform=myspace", "Platform tidak dikenal"),
]


def test_bad_parameters_are_explained_never_a_crash(engine: Engine) -> None:
    ids = _inbox(engine)
    client = signed_in(engine)
    for query, message in BAD_PARAMETERS:
        page = client.get("/inbox/PDAM?" + query)
        assert page.status_code == 400 and message in page.text, query
        assert listed(page.text) == [] and "Perbaiki filter" in page.text
        export = client.get("/inbox/PDAM/export.csv?" + query)
        assert export.status_code == 400 and message in export.text, query
    # An unreadable page number means the first page; NUL characters are dropped.
    for number in ("abc", "-5", "0", "1e9", "99999999999999999999"):
        response = client.get("/inbox/PDAM", params={"page": number})
        assert response.status_code == 200, number
        expected = [] if len(number) > 10 else [ids[3], ids[1], ids[2], ids[4]]  # past the end
        assert listed(response.text) == expected, number
    nul = client.get("/inbox/PDAM", params={"q": "air\x00"})
    assert nul.status_code == 200 and listed(nul.text) == [ids[1], ids[2]]
    assert client.get("/inbox/PDAM", params={"kecamatan": "\x00"}).status_code == 200


def test_operators_list_new_complaints_across_every_inbox(engine: Engine) -> None:
    ids = _inbox(engine)
    client = signed_in(engine)
    home = client.get("/").text
    assert '<a href="/complaints?status=baru">Pengaduan baru</a>' in home  # in the header
    new = client.get("/complaints?status=baru")
    assert new.status_code == 200 and "Pengaduan di semua inbox" in new.text
    # Both inboxes' new complaints, newest first, with their inbox; the counts per status.
    assert listed(new.text) == [ids[3], ids[5], ids[1]]
    assert '<a href="/inbox/LPJU">LPJU</a>' in new.text
    assert ">Baru (3)</a>" in new.text and ">Selesai (1)</a>" in new.text
    assert ">Semua (5)</a>" in new.text
    # Every filter of the inbox page works here, and an inbox filter besides.
    lpju = client.get("/complaints?status=baru&inbox=LPJU").text
    assert listed(lpju) == [ids[5]] and 'value="LPJU" selected' in lpju
    assert listed(client.get("/complaints?platform=instagram").text) == [ids[3]]
    assert listed(client.get("/complaints?q=air").text) == [ids[1], ids[2]]
    unknown = client.get("/complaints?inbox=NOPE")
    assert unknown.status_code == 400 and "Inbox tidak dikenal." in unknown.text
    # Agency staff have their own inbox only.
    agency = signed_in(engine, "pdam1", "agency", agency="PDAM")
    sent = agency.get("/complaints?status=baru", follow_redirects=False)
    assert (sent.status_code, sent.headers["location"]) == (303, "/inbox/PDAM")


def test_a_row_shown_again_shows_what_changed(engine: Engine) -> None:
    """Rows are rendered once per distinct content and kept (``row_markup``): a change to
    anything a row shows (status, overdue mark, place, the citizen's text erased) shows
    at once, and an equal row elsewhere is the same HTML."""
    ids = _inbox(engine)
    client = signed_in(engine, "staf.pdam", "agency", agency="PDAM")
    first = client.get("/inbox/PDAM").text
    assert "air mati 100% di sesetan" in first and "Terlambat respon awal" in first
    change_status(engine=engine, complaint_id=ids[1], to_status="respon_awal", actor="staf.pdam")
    with session_scope(engine) as s:
        complaint = s.get(Complaint, ids[1])
        assert complaint is not None
        complaint.kecamatan = "Denpasar Timur"
        s.add(complaint)
        remove_text_and_author(s.connection(), [complaint.origin_mention_id], utcnow())
    again = client.get("/inbox/PDAM").text
    row = again.split(f'<a href="/complaints/{ids[1]}">#')[1].split("</tr>")[0]
    assert "air mati" not in again and "[teks dihapus]" in row
    assert "status-respon_awal" in row and "Denpasar Timur" in row
    assert "Terlambat respon awal" not in row
    # The same complaint on the list of every inbox: its row there has the inbox column.
    operator = signed_in(engine)
    everywhere = operator.get("/complaints").text
    assert '<a href="/inbox/PDAM">PDAM</a>' in everywhere.split(f"/complaints/{ids[1]}")[2]


def test_an_inbox_page_takes_one_connection_and_asks_each_thing_once(engine: Engine) -> None:
    """The page, its navigation and the sign-in look-up read through one pooled
    connection, and no statement is sent twice (the inbox list was read twice, and the
    complaints' first posts with a statement of their own)."""
    _inbox(engine)
    client = signed_in(engine, "staf.pdam", "agency", agency="PDAM")
    assert client.get("/inbox/PDAM").status_code == 200
    checkouts: list[object] = []
    statements: list[str] = []

    def on_checkout(*_: object) -> None:
        checkouts.append(1)

    def on_execute(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        page = client.get("/inbox/PDAM")
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "before_cursor_execute", on_execute)
    assert page.status_code == 200 and listed(page.text)
    assert len(checkouts) == 1
    assert len(statements) == len(set(statements)), statements
    assert not [s for s in statements if "FROM agency ORDER BY" in " ".join(s.split())]
    assert not [s for s in statements if "FROM mention WHERE mention.id IN" in " ".join(s.split())]


def test_an_inbox_page_hands_three_calls_to_the_thread_pool(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FastAPI runs every plain ``def`` dependency in its thread pool: the checks that do no
    I/O (the authenticator, the sign-in's presence, the user, the engine, permissions) are
    ``async``, so a page hands over only the sign-in look-up, its own work and closing
    its session (there were eight hand-overs, each dearer than the check it ran)."""
    _inbox(engine)
    client = signed_in(engine, "staf.pdam", "agency", agency="PDAM")
    assert client.get("/inbox/PDAM").status_code == 200
    handed: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(func, "__name__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    page = client.get("/inbox/PDAM")
    assert page.status_code == 200 and listed(page.text)
    assert len(handed) == 3, handed
