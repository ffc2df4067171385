"""Bulk export from the inbox list: the ticked complaints or the filtered list, as the
inbox's CSV (same columns, masked), CSRF-checked, within MAX_BULK, all or nothing."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inbox.app import create_app
from inbox.csv_export import BOM, COLUMNS
from lifecycle.bulk import MAX_BULK
from models.tables import AccessLogEntry
from tests.support.routing import POLICY
from tests.support.web import AUTH, add_complaint, quick_client

PATH = "/complaints/massal/ekspor.csv"
#: a citizen's post with a phone number the export must mask
PHONE_TEXT = "air mati sejak pagi, hubungi 081234567890"


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    text = response.text
    assert text.startswith(BOM)
    reader = csv.DictReader(io.StringIO(text.removeprefix(BOM)))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def _exports(engine: Engine) -> list[AccessLogEntry]:
    with Session(engine) as s:
        stmt = select(AccessLogEntry).where(AccessLogEntry.action == "export.csv")
        return list(s.exec(stmt.order_by(col(AccessLogEntry.id))))


@pytest.fixture
def desk(engine: Engine) -> dict[str, Any]:
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    out: dict[str, Any] = {
        "ayu": quick_client(engine, app, "ayu", "agency", "PDAM"),
        "citra": quick_client(engine, app, "citra", "agency", "LPJU"),
        "ops": quick_client(engine, app, "ops", "operator"),
        "lihat": quick_client(engine, app, "lihat", "viewer"),
        "pdam": [
            add_complaint(engine, 1, mention_fields={"text": PHONE_TEXT}),
            add_complaint(engine, 2),
            add_complaint(engine, 3, status="selesai"),
        ],
        "lpju": add_complaint(engine, 4, inbox="LPJU", category="LPJU"),
    }
    return out


def _post(who: tuple[TestClient, str], **data: Any) -> Any:
    client, csrf = who
    return client.post(PATH, data={"csrf_token": csrf, **data})


def test_the_ticked_complaints_are_exported_masked_and_logged(
    engine: Engine, desk: dict[str, Any]
) -> None:
    first, second, _ = desk["pdam"]
    response = _post(desk["ayu"], id=[str(second), str(first)], kembali="/inbox/PDAM")
    rows = _rows(response)
    assert [int(r["id"]) for r in rows] == [first, second]
    assert "081234567890" not in response.text  # masked like the inbox's CSV
    assert rows[0]["teks"].startswith("air mati sejak pagi")
    [entry] = _exports(engine)
    assert (entry.actor, entry.target) == ("ayu", "pilihan")
    assert entry.details["ids"] == [first, second] and entry.details["rows"] == 2


def test_the_selection_has_the_same_cells_as_the_inbox_export(
    engine: Engine, desk: dict[str, Any]
) -> None:
    ids = desk["pdam"]
    client, _ = desk["ayu"]
    whole = _rows(client.get("/inbox/PDAM/export.csv"))
    chosen = _rows(_post(desk["ayu"], id=[str(i) for i in ids]))
    assert chosen == sorted(whole, key=lambda r: int(r["id"]))


def test_another_agencys_id_refuses_the_whole_export(engine: Engine, desk: dict[str, Any]) -> None:
    ids = [str(i) for i in desk["pdam"][:2]] + [str(desk["lpju"])]
    response = _post(desk["ayu"], id=ids, kembali="/inbox/PDAM")
    assert response.status_code == 409
    assert "text/html" in response.headers["content-type"]
    assert f"#{desk['lpju']}" in response.text and "pengaduan tidak ditemukan" in response.text
    assert "081234567890" not in response.text and "air mati" not in response.text
    assert _exports(engine) == []
    # Kominfo staff may export any inbox's.
    assert len(_rows(_post(desk["ops"], id=ids))) == 3


def test_it_needs_the_csrf_token_and_the_export_right(engine: Engine, desk: dict[str, Any]) -> None:
    client, _ = desk["ayu"]
    cid = str(desk["pdam"][0])
    assert client.post(PATH, data={"id": cid}).status_code == 403
    assert client.post(PATH, data={"id": cid, "csrf_token": "palsu"}).status_code == 403
    assert _post(desk["lihat"], id=cid).status_code == 403
    assert _exports(engine) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Pilih minimal satu pengaduan."),
        ({"id": ["1", "x1"]}, "Nomor pengaduan tidak sah"),
        ({"id": [str(i) for i in range(1, MAX_BULK + 2)]}, f"paling banyak {MAX_BULK}"),
        ({"cakupan": "semuanya"}, "Pilih yang diunduh"),
        ({"cakupan": "hasil", "kembali": "/pengaduan-saya"}, "tidak dapat diunduh seluruhnya"),
    ],
)
def test_a_request_that_cannot_be_tried_says_why(
    engine: Engine, desk: dict[str, Any], data: dict[str, Any], message: str
) -> None:
    response = _post(desk["ops"], **data)
    assert response.status_code == 400
    assert message in response.text
    assert _exports(engine) == []


def test_the_filtered_list_is_streamed_within_what_the_user_may_see(
    engine: Engine, desk: dict[str, Any]
) -> None:
    first, second, done = desk["pdam"]
    rows = _rows(_post(desk["ayu"], cakupan="hasil", kembali="/inbox/PDAM?status=baru"))
    assert sorted(int(r["id"]) for r in rows) == [first, second]
    # "Every inbox" for an agency user is their own.
    rows = _rows(_post(desk["ayu"], cakupan="hasil", kembali="/complaints"))
    assert sorted(int(r["id"]) for r in rows) == [first, second, done]
    assert _post(desk["ayu"], cakupan="hasil", kembali="/inbox/LPJU").status_code == 404
    # Kominfo staff: the list of every inbox, with its inbox filter.
    rows = _rows(_post(desk["ops"], cakupan="hasil", kembali="/complaints?inbox=LPJU"))
    assert [int(r["id"]) for r in rows] == [desk["lpju"]]
    rows = _rows(_post(desk["ops"], cakupan="hasil", kembali="/complaints"))
    assert len(rows) == 4
    entries = _exports(engine)
    assert [e.target for e in entries] == [
        "inbox:PDAM",
        "inbox:PDAM",
        "inbox:LPJU",
        "inbox:semua",
    ]
    assert entries[0].details["filters"]["status"] == "baru"


def test_the_list_offers_both_exports(engine: Engine, desk: dict[str, Any]) -> None:
    client, _ = desk["ayu"]
    page = client.get("/inbox/PDAM").text
    assert f'formaction="{PATH}"' in page and 'value="pilihan"' in page and 'value="hasil"' in page
