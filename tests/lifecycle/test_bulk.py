"""Bulk actions: all or nothing, each item's change recorded, refusals named, a limit."""

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lifecycle.bulk import MAX_BULK, BulkInputError, bulk_apply
from models.tables import Complaint, ComplaintAssignment, ComplaintNote, StatusChange
from tests.support.web import add_complaint, add_user


def _statuses(engine: Engine, ids: list[int]) -> list[str]:
    with Session(engine) as s:
        rows = s.exec(
            select(Complaint).where(col(Complaint.id).in_(ids)).order_by(col(Complaint.id))
        )
        return [c.status for c in rows]


def _count(engine: Engine, table: type) -> int:
    with Session(engine) as s:
        return len(s.exec(select(table)).all())


def test_a_status_change_for_all_records_each_with_the_note(engine: Engine) -> None:
    ids = [add_complaint(engine, n) for n in range(1, 6)]
    result = bulk_apply(
        engine=engine, ids=ids, action="status", to_status="respon_awal", note="dicek", actor="ops"
    )
    assert result.ok and sorted(result.changed) == ids
    assert result.summary() == "5 pengaduan diubah."
    assert _statuses(engine, ids) == ["respon_awal"] * 5
    with Session(engine) as s:
        changes = s.exec(select(StatusChange).where(StatusChange.to_status == "respon_awal"))
        assert sorted((c.complaint_id, c.note, c.actor) for c in changes) == [
            (i, "dicek", "ops") for i in ids
        ]


def test_one_invalid_transition_refuses_the_whole_request(engine: Engine) -> None:
    ids = [add_complaint(engine, n) for n in range(1, 8)]
    done = [add_complaint(engine, n, status="selesai") for n in range(8, 11)]
    before = _count(engine, StatusChange)
    result = bulk_apply(
        engine=engine, ids=ids + done, action="status", to_status="respon_awal", actor="ops"
    )
    assert not result.ok and result.changed == []
    assert result.refused == [(i, "tidak bisa dari Selesai ke Respon awal") for i in done]
    assert result.summary() == "Ditolak untuk 3 dari 10 pengaduan; tidak ada yang diubah."
    assert _statuses(engine, ids) == ["baru"] * 7
    assert _count(engine, StatusChange) == before


def test_another_inboxs_complaint_is_refused_like_a_missing_one(engine: Engine) -> None:
    pdam = add_complaint(engine, 1, inbox="PDAM")
    lpju = add_complaint(engine, 2, inbox="LPJU")
    result = bulk_apply(
        engine=engine,
        ids=[pdam, lpju, 987_654],
        action="catatan",
        note="cek",
        actor="ayu",
        agency_code="PDAM",
    )
    assert result.refused == [
        (lpju, "pengaduan tidak ditemukan"),
        (987_654, "pengaduan tidak ditemukan"),
    ]
    assert _count(engine, ComplaintNote) == 0


def test_bulk_assign_and_note_record_each_item(engine: Engine) -> None:
    add_user(engine, "ayu", "agency", agency="PDAM")
    add_user(engine, "citra", "agency", agency="LPJU")
    ids = [add_complaint(engine, n) for n in range(1, 4)]
    assert bulk_apply(engine=engine, ids=ids, action="petugas", assignee="ayu", actor="ops").ok
    assert _count(engine, ComplaintAssignment) == 3
    refused = bulk_apply(engine=engine, ids=ids, action="petugas", assignee="citra", actor="ops")
    assert [cid for cid, _ in refused.refused] == ids
    assert all("bukan petugas inbox PDAM" in why for _, why in refused.refused)
    assert _count(engine, ComplaintAssignment) == 3
    assert bulk_apply(engine=engine, ids=ids + ids, action="catatan", note="x", actor="ops").ok
    assert _count(engine, ComplaintNote) == 3  # duplicates in the selection count once


@pytest.mark.parametrize(
    ("ids", "action", "fields", "message"),
    [
        ([], "catatan", {"note": "x"}, "minimal satu"),
        (list(range(1, MAX_BULK + 2)), "catatan", {"note": "x"}, "paling banyak"),
        ([1], "hapus", {}, "Pilih tindakan"),
        ([1], "status", {"to_status": "entah"}, "status tujuan"),
        ([1], "catatan", {"note": "  "}, "Catatan kosong"),
    ],
)
def test_a_request_that_cannot_be_tried_is_refused_before_the_store(
    engine: Engine, ids: list[int], action: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(BulkInputError, match=message):
        bulk_apply(engine=engine, ids=ids, action=action, actor="ops", **fields)
