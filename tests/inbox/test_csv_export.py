"""The inbox CSV export: formula-safe cells, and the filtered list on both stores."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from inbox import inbox_pages
from inbox.csv_export import BOM, COLUMNS, complaint_row, csv_chunks, safe_cell
from models import complaint_view
from models.bidi import BIDI_CONTROLS
from models.export import safe_cell as archive_cell
from models.tables import Complaint, Mention
from tests.support.numbers import number
from tests.support.web import EVIL, add_complaint, signed_in


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1+1", "'  =1+1"),
        ("＝1+1", "'＝1+1"),
        ("air mati = parah", "air mati = parah"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (True, "ya"),
        (False, "tidak"),
        (datetime(2026, 11, 20, 16, 30, tzinfo=UTC), "2026-11-21 00:30"),  # WITA
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_complaint_row_neutralises_every_text_cell() -> None:
    complaint = Complaint(
        id=7,
        origin_mention_id=1,
        category="PDAM",
        inbox="PDAM",
        routed_by="t",
        confidence=0.5,
        kecamatan="=cmd|' /C calc'!A0",
        street="@jalan",
        inside_city=False,
        created_at=datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
    )
    mention = Mention(
        platform="twitter",
        platform_id="1",
        source="t",
        author_name="-Made",
        author_handle="+62811",
        text="=1+2",
        url="javascript:alert(1)",
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    row = dict(zip(COLUMNS, complaint_row(complaint, mention, "respon_awal"), strict=True))
    assert row["kecamatan"] == "'=cmd|' /C calc'!A0" and row["jalan"] == "'@jalan"
    assert (row["penulis"], row["akun"], row["teks"]) == ("'-Made", "'+62811", "'=1+2")
    assert row["tautan"] == ""  # only http(s) links are exported
    assert [row[k] for k in ("keyakinan", "di_luar_kota", "terlambat")] == [
        "0.50",
        "ya",
        "respon_awal",
    ]
    assert row["dibuat_wita"] == "2026-11-20 09:00"


def test_chunks_start_with_bom_and_header() -> None:
    text = "".join(csv_chunks([[["1", 'a "b", c']], [["2", "line\nbreak"]]]))
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert rows == [list(COLUMNS), ["1", 'a "b", c'], ["2", "line\nbreak"]]


def _read(body: str) -> list[dict[str, str]]:
    assert body.startswith(BOM)
    return list(csv.DictReader(io.StringIO(body.removeprefix(BOM))))


def test_export_lists_every_page_of_the_filtered_inbox(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [add_complaint(engine, n, kecamatan="Denpasar Barat") for n in range(1, 6)]
    ids.append(add_complaint(engine, 6, status="selesai", mention_fields={"text": "=SUM(1+1)"}))
    ids.append(add_complaint(engine, 7, mention_fields={"text": EVIL}, inbox="LPJU"))
    monkeypatch.setattr(inbox_pages, "PAGE_SIZE", 2)
    monkeypatch.setattr(complaint_view, "BATCH", 2)  # three batches for five rows
    client = signed_in(engine)
    response = client.get("/inbox/PDAM/export.csv?status=baru&sort=oldest&page=2")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="aduan-PDAM-')
    rows = _read(response.text)
    # Every page, not just page 2; the filter and the order of the list.
    assert [int(r["id"]) for r in rows] == ids[:5]
    assert {r["status"] for r in rows} == {"baru"} and rows[0]["kecamatan"] == "Denpasar Barat"
    assert rows[0]["teks"] == "air mati lagi di sesetan nomor 1"
    assert rows[0]["tautan"] == "https://x.com/warga1/status/1001"
    assert rows[0]["dibuat_wita"] and rows[0]["pelapor"] == "1"
    assert [r["nomor"] for r in rows] == [number(n) for n in range(1, 6)]
    everything = _read(client.get("/inbox/PDAM/export.csv").text)
    assert [r["teks"] for r in everything if r["status"] == "selesai"] == ["'=SUM(1+1)"]
    assert EVIL not in {r["teks"] for r in everything}  # LPJU's complaint is not in PDAM's
    assert "CSV memuat" not in client.get("/inbox/PDAM").text
    monkeypatch.setattr(inbox_pages, "EXPORT_LIMIT", 3)
    assert len(_read(client.get("/inbox/PDAM/export.csv").text)) == 3
    # The page says so when its list is longer than an export can hold.
    assert "CSV memuat 3 pengaduan pertama saja" in client.get("/inbox/PDAM").text


#: an unclosed override, an embedding and an isolate: each reorders what follows it
HOSTILE = "Budi\u202e gnp.exe\u202b x\u2067 y"


def test_csv_cells_carry_no_bidi_controls() -> None:
    complaint = Complaint(
        id=1, origin_mention_id=1, category="PDAM", inbox="PDAM", routed_by="m", desa=HOSTILE
    )
    post = Mention(
        platform="twitter",
        platform_id="1",
        source="t",
        author_name=HOSTILE,
        text=HOSTILE,
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    assert all(BIDI_CONTROLS.isdisjoint(cell) for cell in complaint_row(complaint, post, None))
    assert archive_cell(HOSTILE) == "Budi gnp.exe x y"  # the archive export too
