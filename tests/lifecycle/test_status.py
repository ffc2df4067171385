"""The complaint lifecycle: allowed changes, history, locking, isolation, bounces, reports."""

import itertools
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lifecycle.deadlines import SP4N_LAPOR, WorkingCalendar, deadline_fn
from lifecycle.reports import (
    YearlyRow,
    count_overdue,
    overdue,
    overdue_step,
    report_total,
    yearly_report,
)
from lifecycle.status import (
    TRANSITIONS,
    bounced,
    bukan_wewenang,
    change_status,
    history,
    latest_bounce,
    lock_complaint,
    reassign,
    skipped_steps,
)
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.corrections import all_corrections
from models.db import session_scope
from models.exceptions import InvalidTransition, NotFound
from models.mentions import insert_mentions
from models.tables import Complaint, Mention, Outbox
from models.vocab import ComplaintStatus as S
from models.wita import WITA
from tests.support.factories import agencies, mention
from tests.support.routing import POLICY

CALENDAR = WorkingCalendar("ID")
#: the two-agency policy, with working-day deadlines
DEADLINE_POLICY = replace(POLICY, deadlines=deadline_fn(CALENDAR, SP4N_LAPOR))
# Every (from, to) the lifecycle knows, and those it allows.
ALLOWED = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
FORBIDDEN = sorted(set(itertools.product(list(S), list(S))) - set(ALLOWED))


def to_previous(from_: S, to: S) -> S:
    """The status the last history row comes from: the last step skipped, else *from_*."""
    skipped = skipped_steps(from_, to)
    return skipped[-1] if skipped else from_


def _file(engine: Engine, n: int = 1, *, inbox: str = "PDAM", **fields: Any) -> int:
    """File mention n as a complaint, then set *fields* directly (status, times, ...)."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=[mention(n)])
        m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()
        c = file_complaint(
            session=s,
            mention=m,
            category=inbox if inbox != "KOMINFO" else "OTHER",
            inbox=inbox,
            confidence=0.9,
            routed_by="model:x",
        )
        assert c is not None and c.id is not None
        for key, value in fields.items():
            setattr(c, key, value)
        s.add(c)
        return c.id


def _get(engine: Engine, cid: int) -> Complaint:
    with Session(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None
        return c


def _history(engine: Engine, cid: int) -> list[tuple[str | None, str, str, str]]:
    with Session(engine) as s:
        return [
            (h.from_status, h.to_status, h.actor, h.note)
            for h in history(session=s, complaint_id=cid)
        ]


def _move(engine: Engine, cid: int, to: S, **kw: Any) -> Complaint:
    """Make the change from the complaint's status to *to* through the right function."""
    if to == S.BUKAN_WEWENANG:
        return bukan_wewenang(
            engine=engine,
            policy=DEADLINE_POLICY,
            complaint_id=cid,
            actor="pdam1",
            reason="pipa milik provinsi",
            suggested_category="PUPR",
            **kw,
        )
    if to == S.BARU:
        return reassign(
            engine=engine,
            policy=DEADLINE_POLICY,
            complaint_id=cid,
            category="LPJU",
            actor="kominfo1",
        )
    return change_status(
        engine=engine, complaint_id=cid, to_status=to, actor="pdam1", note="catatan", **kw
    )


# --- the transition table -----------------------------------------------------------------


def test_the_table() -> None:
    assert (
        sorted(
            [
                (S.BARU, S.RESPON_AWAL),
                (S.BARU, S.DITINDAKLANJUTI),
                (S.BARU, S.BUKAN_WEWENANG),
                (S.RESPON_AWAL, S.DITINDAKLANJUTI),
                (S.RESPON_AWAL, S.SELESAI),
                (S.RESPON_AWAL, S.BUKAN_WEWENANG),
                (S.DITINDAKLANJUTI, S.SELESAI),
                (S.DITINDAKLANJUTI, S.BUKAN_WEWENANG),
                (S.SELESAI, S.DITINDAKLANJUTI),
                (S.BUKAN_WEWENANG, S.BARU),
            ]
        )
        == ALLOWED
    )
    assert (S.BARU, S.SELESAI) in FORBIDDEN


@pytest.mark.parametrize(("from_", "to"), ALLOWED)
def test_every_allowed_change_is_made_and_recorded(engine: Engine, from_: S, to: S) -> None:
    cid = _file(engine, status=from_)
    changed = _move(engine, cid, to)
    assert changed.status == to
    stored = _get(engine, cid)
    assert stored.status == to
    rows = _history(engine, cid)
    assert rows[-1][:2] == (to_previous(from_, to), to)
    assert rows[len(rows) - 1 - len(skipped_steps(from_, to)) :][0][0] == from_
    assert stored.updated_at > stored.created_at


@pytest.mark.parametrize(("from_", "to"), FORBIDDEN)
def test_every_other_change_is_refused_naming_both_statuses(
    engine: Engine, from_: S, to: S
) -> None:
    cid = _file(engine, status=from_)
    with pytest.raises(InvalidTransition) as err:
        _move(engine, cid, to)
    assert f"{from_} → {to}" in str(err.value)
    assert "tidak diizinkan" in str(err.value) or "hanya" in str(err.value)
    assert _get(engine, cid).status == from_
    assert len(_history(engine, cid)) == 1  # only the filing


def test_statuses_reachable_only_through_their_own_functions(engine: Engine) -> None:
    cid = _file(engine)
    with pytest.raises(InvalidTransition, match=r"only through bukan_wewenang\(\)"):
        change_status(engine=engine, complaint_id=cid, to_status="bukan_wewenang", actor="x")
    cid2 = _file(engine, 2, status=S.BUKAN_WEWENANG, inbox="KOMINFO")
    with pytest.raises(InvalidTransition, match=r"only through reassign\(\)"):
        change_status(engine=engine, complaint_id=cid2, to_status="baru", actor="x")
    with pytest.raises(ValueError, match="not a valid ComplaintStatus"):
        change_status(engine=engine, complaint_id=cid, to_status="done", actor="x")


# --- history and timestamps ---------------------------------------------------------------


def test_a_full_lifecycle_leaves_its_history_and_times(engine: Engine) -> None:
    cid = _file(engine)
    c = change_status(
        engine=engine,
        complaint_id=cid,
        to_status="respon_awal",
        actor="pdam1",
        note="sudah kami terima",
    )
    assert c.responded_at is not None and c.followed_up_at is None
    c = change_status(
        engine=engine,
        complaint_id=cid,
        to_status="ditindaklanjuti",
        actor="pdam2",
        note="petugas ke lokasi",
    )
    assert c.followed_up_at is not None and c.resolved_at is None
    c = change_status(engine=engine, complaint_id=cid, to_status="selesai", actor="pdam2")
    assert c.resolved_at is not None
    stored = _get(engine, cid)
    assert stored.responded_at <= stored.followed_up_at <= stored.resolved_at  # type: ignore[operator]
    assert _history(engine, cid) == [
        (None, "baru", "model:x", "diajukan otomatis"),
        ("baru", "respon_awal", "pdam1", "sudah kami terima"),
        ("respon_awal", "ditindaklanjuti", "pdam2", "petugas ke lokasi"),
        ("ditindaklanjuti", "selesai", "pdam2", ""),
    ]
    with Session(engine) as s:
        rows = history(session=s, complaint_id=cid)
    assert all(r.at.tzinfo is not None for r in rows)
    assert [r.at for r in rows] == sorted(r.at for r in rows)


def test_a_field_follow_up_is_also_a_response(engine: Engine) -> None:
    # Skipping respon awal is allowed (the city counts a follow-up as the initial
    # response too); the response is recorded at the same moment, in the history too.
    late = datetime.now(UTC) - timedelta(days=1)
    cid = _file(engine, respond_by=late, follow_up_by=late + timedelta(days=5))
    c = change_status(
        engine=engine, complaint_id=cid, to_status="ditindaklanjuti", actor="a", note="ke lokasi"
    )
    assert c.responded_at is not None and c.responded_at == c.followed_up_at
    with Session(engine) as s:
        rows = history(session=s, complaint_id=cid)
        stored = s.get(Complaint, cid)
        assert stored is not None and overdue_step(stored, datetime.now(UTC)) is None
    steps = [(r.from_status, r.to_status, r.note) for r in rows]
    assert steps == [
        (None, S.BARU, "diajukan otomatis"),
        (S.BARU, S.RESPON_AWAL, "dicatat bersamaan dengan perubahan ke ditindaklanjuti"),
        (S.RESPON_AWAL, S.DITINDAKLANJUTI, "ke lokasi"),
    ]
    assert rows[1].at == rows[2].at == c.responded_at
    # The yearly report counts it as followed up in the field (which includes the response).
    with Session(engine) as s:
        year = c.created_at.astimezone(WITA).year
        (row,) = yearly_report(session=s, year=year)
    assert (row.received, row.ditindaklanjuti_lapangan, row.belum_tindak_lanjut) == (1, 1, 0)


def test_resolving_straight_after_a_response_records_the_follow_up(engine: Engine) -> None:
    cid = _file(engine)
    change_status(engine=engine, complaint_id=cid, to_status="respon_awal", actor="a")
    change_status(engine=engine, complaint_id=cid, to_status="selesai", actor="a")
    with Session(engine) as s:
        steps = [r.to_status for r in history(session=s, complaint_id=cid)]
    assert steps == [S.BARU, S.RESPON_AWAL, S.DITINDAKLANJUTI, S.SELESAI]


def test_resolving_after_a_response_counts_as_followed_up(engine: Engine) -> None:
    cid = _file(engine)
    change_status(engine=engine, complaint_id=cid, to_status="respon_awal", actor="a")
    c = change_status(engine=engine, complaint_id=cid, to_status="selesai", actor="a")
    assert c.followed_up_at == c.resolved_at


def test_reopening_needs_a_note_and_clears_the_resolution(engine: Engine) -> None:
    cid = _file(engine)
    change_status(engine=engine, complaint_id=cid, to_status="ditindaklanjuti", actor="a")
    first = change_status(engine=engine, complaint_id=cid, to_status="selesai", actor="a")
    for note in ("", "   "):
        with pytest.raises(InvalidTransition, match="needs a note"):
            change_status(
                engine=engine, complaint_id=cid, to_status="ditindaklanjuti", actor="a", note=note
            )
    c = change_status(
        engine=engine,
        complaint_id=cid,
        to_status="ditindaklanjuti",
        actor="b",
        note="air mati lagi kata warga",
    )
    assert c.resolved_at is None and c.followed_up_at == first.followed_up_at
    assert _history(engine, cid)[-1] == (
        "selesai",
        "ditindaklanjuti",
        "b",
        "air mati lagi kata warga",
    )


# --- concurrency --------------------------------------------------------------------------


def test_a_change_waits_for_the_lock_and_sees_the_result(engine: Engine) -> None:
    """Without the row lock the second change would read 'baru' and overwrite the first."""
    cid = _file(engine)
    outcome: list[object] = []

    def second() -> None:
        try:
            outcome.append(
                change_status(
                    engine=engine, complaint_id=cid, to_status="respon_awal", actor="late"
                )
            )
        except InvalidTransition as err:
            outcome.append(err)

    with session_scope(engine) as s:
        c = lock_complaint(session=s, complaint_id=cid)
        c.status = S.DITINDAKLANJUTI
        s.add(c)
        s.flush()
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second change did not wait for the lock"
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], InvalidTransition)
    assert "ditindaklanjuti → respon_awal" in str(outcome[0])
    assert _get(engine, cid).status == S.DITINDAKLANJUTI


def test_racing_changes_serialise_one_wins(engine: Engine) -> None:
    cid = _file(engine)
    barrier = threading.Barrier(6)
    results: list[str] = []

    def worker(i: int) -> None:
        barrier.wait()
        try:
            change_status(
                engine=engine, complaint_id=cid, to_status="respon_awal", actor=f"staff{i}"
            )
            results.append("ok")
        except InvalidTransition:
            results.append("refused")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["ok"] + ["refused"] * 5
    assert [h[:2] for h in _history(engine, cid)] == [(None, "baru"), ("baru", "respon_awal")]


# --- agency isolation ---------------------------------------------------------------------


def test_another_agencys_complaint_is_indistinguishable_from_a_missing_one(
    engine: Engine,
) -> None:
    cid = _file(engine, inbox="PDAM")
    missing = cid + 1000
    calls = [
        lambda i: change_status(
            engine=engine,
            complaint_id=i,
            to_status="respon_awal",
            actor="lpju1",
            agency_code="LPJU",
        ),
        lambda i: bukan_wewenang(
            engine=engine,
            policy=DEADLINE_POLICY,
            complaint_id=i,
            actor="lpju1",
            reason="bukan kami",
            suggested_category="PDAM",
            agency_code="LPJU",
        ),
    ]
    for call in calls:
        with pytest.raises(NotFound) as other:
            call(cid)
        with pytest.raises(NotFound) as absent:
            call(missing)
        assert type(other.value) is type(absent.value)
        assert str(other.value) == f"no complaint with id {cid}"
        assert str(absent.value) == f"no complaint with id {missing}"
    stored = _get(engine, cid)
    assert (stored.status, stored.inbox) == (S.BARU, "PDAM")
    assert len(_history(engine, cid)) == 1
    with Session(engine) as s:
        assert all_corrections(session=s) == []
    # Its own agency may act on it.
    c = change_status(
        engine=engine, complaint_id=cid, to_status="respon_awal", actor="pdam1", agency_code="PDAM"
    )
    assert c.status == S.RESPON_AWAL


# --- bukan wewenang and triage ------------------------------------------------------------


def test_bukan_wewenang_without_a_reason_is_refused(engine: Engine) -> None:
    cid = _file(engine)
    for reason in ("", "  \n "):
        with pytest.raises(InvalidTransition, match="needs a reason"):
            bukan_wewenang(
                engine=engine,
                policy=DEADLINE_POLICY,
                complaint_id=cid,
                actor="pdam1",
                reason=reason,
                suggested_category="PUPR",
            )
    with pytest.raises(ValueError, match="unknown category 'JALAN'"):
        bukan_wewenang(
            engine=engine,
            policy=DEADLINE_POLICY,
            complaint_id=cid,
            actor="pdam1",
            reason="jalan",
            suggested_category="JALAN",
        )
    stored = _get(engine, cid)
    assert (stored.status, stored.inbox) == (S.BARU, "PDAM")
    with Session(engine) as s:
        assert all_corrections(session=s) == []


def test_bukan_wewenang_returns_to_triage_with_a_correction(engine: Engine) -> None:
    cid = _file(engine, 3)
    c = bukan_wewenang(
        engine=engine,
        policy=DEADLINE_POLICY,
        complaint_id=cid,
        actor="pdam1",
        reason=" lubang di jalan, bukan pipa ",
        suggested_category="PUPR",
        agency_code="PDAM",
    )
    assert (c.status, c.inbox, c.category) == (S.BUKAN_WEWENANG, "KOMINFO", "PDAM")
    with Session(engine) as s:
        (corr,) = all_corrections(session=s)
        origin = s.get(Mention, _get(engine, cid).origin_mention_id)
        assert origin is not None
        assert (corr.mention_id, corr.category, corr.kind, corr.actor, corr.text) == (
            origin.id,
            "PUPR",
            "bukan_wewenang",
            "pdam1",
            origin.text,
        )
        bounce = latest_bounce(session=s, complaint_id=cid)
        assert bounce is not None
        assert (bounce.actor, bounce.suggested_category) == ("pdam1", "PUPR")
        assert bounce.note == (
            "bukan wewenang PDAM: lubang di jalan, bukan pipa (saran kategori: Jalan dan drainase)"
        )
        assert bounce.reason == "bukan wewenang PDAM: lubang di jalan, bukan pipa"
        assert [x.id for x in bounced(session=s)] == [cid]
        assert latest_bounce(session=s, complaint_id=cid + 1) is None
    # The agency no longer sees it; triage does.
    with pytest.raises(NotFound):
        change_status(
            engine=engine,
            complaint_id=cid,
            to_status="respon_awal",
            actor="pdam1",
            agency_code="PDAM",
        )


def test_reassign_sets_category_inbox_and_fresh_deadlines(engine: Engine) -> None:
    old = datetime(2026, 1, 5, 1, tzinfo=UTC)
    cid = _file(engine, respond_by=old, follow_up_by=old + timedelta(days=7))
    change_status(engine=engine, complaint_id=cid, to_status="respon_awal", actor="pdam1")
    bukan_wewenang(
        engine=engine,
        policy=DEADLINE_POLICY,
        complaint_id=cid,
        actor="pdam1",
        reason="lampu jalan, bukan air",
        suggested_category="LPJU",
    )
    c = reassign(
        engine=engine, policy=DEADLINE_POLICY, complaint_id=cid, category="LPJU", actor="kominfo1"
    )
    assert (c.status, c.category, c.inbox) == (S.BARU, "LPJU", "LPJU")
    assert c.routed_by == "triage:kominfo1" and c.confidence is None
    assert c.responded_at is None and c.followed_up_at is None
    assert (c.respond_by, c.follow_up_by) == CALENDAR.deadlines_for(c.updated_at)
    assert c.respond_by is not None and c.respond_by > c.updated_at
    assert _history(engine, cid)[-2:] == [
        (
            "respon_awal",
            "bukan_wewenang",
            "pdam1",
            "bukan wewenang PDAM: lampu jalan, bukan air (saran kategori: Penerangan jalan umum)",
        ),
        (
            "bukan_wewenang",
            "baru",
            "kominfo1",
            "dialihkan ke LPJU (kategori Penerangan jalan umum)",
        ),
    ]
    with Session(engine) as s:
        kinds = [(x.kind, x.category) for x in all_corrections(session=s)]
        outbox = s.exec(select(Outbox)).all()
    assert kinds == [("bukan_wewenang", "LPJU"), ("recategorise", "LPJU")]
    assert [(o.agency_code, o.channel, o.payload["event"]) for o in outbox] == [
        ("LPJU", "email", "complaint.reassigned")
    ]
    # The new agency can act on it now.
    c = change_status(
        engine=engine, complaint_id=cid, to_status="respon_awal", actor="lpju1", agency_code="LPJU"
    )
    assert c.status == S.RESPON_AWAL


def test_reassign_takes_new_complaints_waiting_in_triage_only(engine: Engine) -> None:
    waiting = _file(engine, 1, inbox="KOMINFO")
    c = reassign(
        engine=engine,
        policy=DEADLINE_POLICY,
        complaint_id=waiting,
        category="PDAM",
        actor="kominfo1",
        note="air, bukan lainnya",
    )
    assert (c.status, c.inbox) == (S.BARU, "PDAM")
    assert _history(engine, waiting)[-1] == (
        "baru",
        "baru",
        "kominfo1",
        "dialihkan ke PDAM (kategori Air minum): air, bukan lainnya",
    )
    in_agency = _file(engine, 2, inbox="PDAM")
    with pytest.raises(InvalidTransition, match="can be reassigned"):
        reassign(
            engine=engine,
            policy=DEADLINE_POLICY,
            complaint_id=in_agency,
            category="LPJU",
            actor="kominfo1",
        )
    with pytest.raises(ValueError, match="NOT_COMPLAINT has no inbox"):
        reassign(
            engine=engine,
            policy=DEADLINE_POLICY,
            complaint_id=waiting,
            category="NOT_COMPLAINT",
            actor="kominfo1",
        )
    with pytest.raises(NotFound):
        reassign(
            engine=engine, policy=DEADLINE_POLICY, complaint_id=9999, category="PDAM", actor="k"
        )


def test_the_policy_counts_deadlines_from_the_filing_time() -> None:
    filed = datetime(2026, 11, 20, 11, tzinfo=UTC)  # Friday 19:00 WITA
    details = DEADLINE_POLICY.deadline_details(filed)
    assert details["respond_by"] == datetime(2026, 11, 25, 15, 59, 59, 999999, tzinfo=UTC)
    assert details["follow_up_by"] == datetime(2026, 12, 2, 15, 59, 59, 999999, tzinfo=UTC)


# --- overdue and the yearly report ----------------------------------------------------------


def _deadlined(engine: Engine, n: int, filed: datetime, **fields: Any) -> int:
    respond_by, follow_up_by = CALENDAR.deadlines_for(filed)
    return _file(
        engine, n, created_at=filed, respond_by=respond_by, follow_up_by=follow_up_by, **fields
    )


def test_overdue_and_counts(engine: Engine) -> None:
    mon = datetime(2026, 11, 2, 2, tzinfo=UTC)  # Monday 10:00 WITA; respond by Thu 5 Nov
    late_response = _deadlined(engine, 1, mon)
    late_follow_up = _deadlined(engine, 2, mon - timedelta(days=14), status=S.RESPON_AWAL)
    answered = _deadlined(engine, 3, mon, status=S.RESPON_AWAL)
    done = _deadlined(engine, 4, mon - timedelta(days=30), status=S.SELESAI)
    _deadlined(engine, 5, mon - timedelta(days=30), status=S.DITINDAKLANJUTI)
    _deadlined(engine, 6, mon - timedelta(days=30), status=S.BUKAN_WEWENANG, inbox="KOMINFO")
    lamp = _deadlined(engine, 7, mon - timedelta(days=1), inbox="LPJU")
    fresh = _deadlined(engine, 8, datetime(2026, 11, 5, 2, tzinfo=UTC))
    _file(engine, 9)  # no deadlines at all: never overdue

    due = _get(engine, late_response).respond_by
    assert due == datetime(2026, 11, 5, 15, 59, 59, 999999, tzinfo=UTC)
    with Session(engine) as s:
        # On the last moment of the day it is not late yet.
        assert late_response not in [c.id for c in overdue(session=s, now=due)]
        now = due + timedelta(microseconds=1)
        found = overdue(session=s, now=now)
        assert [c.id for c in found] == [late_follow_up, lamp, late_response]
        assert [c.id for c in overdue(session=s, now=now, inbox="PDAM")] == [
            late_follow_up,
            late_response,
        ]
        assert [c.id for c in overdue(session=s, now=now, limit=1)] == [late_follow_up]
        assert count_overdue(session=s, now=now) == {"PDAM": 2, "LPJU": 1}
        steps = {c.id: overdue_step(c, now) for c in found}
        assert steps == {
            late_follow_up: "ditindaklanjuti",
            lamp: "respon_awal",
            late_response: "respon_awal",
        }
        for cid in (answered, done, fresh):
            c = s.get(Complaint, cid)
            assert c is not None and overdue_step(c, now) is None
        assert count_overdue(session=s, now=datetime(2026, 1, 1, tzinfo=UTC)) == {}


def test_yearly_report_counts_in_the_citys_shape(engine: Engine) -> None:
    at = datetime(2026, 3, 10, 2, tzinfo=UTC)
    t = at + timedelta(days=1)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("PDAM", {"status": S.SELESAI, "responded_at": t, "followed_up_at": t, "resolved_at": t}),
        ("PDAM", {"status": S.DITINDAKLANJUTI, "responded_at": t, "followed_up_at": t}),
        # legacy row: resolved without timestamps still counts as followed up
        ("PDAM", {"status": S.SELESAI}),
        ("PDAM", {"status": S.RESPON_AWAL, "responded_at": t}),
        ("PDAM", {"status": S.BARU}),
        ("PDAM", {"status": S.BARU}),
        # reopened: followed up once, still counted as followed up in the field
        ("LPJU", {"status": S.DITINDAKLANJUTI, "responded_at": t, "followed_up_at": t}),
        ("LPJU", {"status": S.RESPON_AWAL}),
        ("KOMINFO", {"status": S.BUKAN_WEWENANG, "responded_at": t}),
    ]
    for n, (inbox, fields) in enumerate(cases):
        _file(engine, n, inbox=inbox, created_at=at + timedelta(hours=n), **fields)
    # Year boundaries are WITA: 31 Dec 2026 17:00 UTC is 1 Jan 2027 01:00 WITA.
    _file(engine, 50, created_at=datetime(2026, 12, 31, 17, tzinfo=UTC))
    _file(engine, 51, created_at=datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    _file(engine, 52, created_at=datetime(2025, 12, 31, 16, 0, tzinfo=UTC))  # 1 Jan 00:00 WITA
    _file(engine, 53, created_at=datetime(2025, 12, 31, 15, 59, tzinfo=UTC))  # still 2025

    with Session(engine) as s:
        rows = yearly_report(session=s, year=2026)
        assert rows == [
            YearlyRow(
                "KOMINFO",
                received=1,
                ditindaklanjuti_lapangan=0,
                respon_awal=0,
                belum_tindak_lanjut=0,
                bukan_wewenang=1,
            ),
            YearlyRow(
                "LPJU", received=2, ditindaklanjuti_lapangan=1, respon_awal=1, belum_tindak_lanjut=0
            ),
            YearlyRow(
                "PDAM", received=8, ditindaklanjuti_lapangan=3, respon_awal=1, belum_tindak_lanjut=4
            ),
        ]
        total = report_total(rows)
        assert (
            total.received,
            total.ditindaklanjuti_lapangan,
            total.respon_awal,
            total.belum_tindak_lanjut,
            total.bukan_wewenang,
        ) == (11, 4, 2, 4, 1)
        assert [(r.inbox, r.received) for r in yearly_report(session=s, year=2027)] == [("PDAM", 1)]
        assert [(r.inbox, r.received) for r in yearly_report(session=s, year=2025)] == [("PDAM", 1)]
        assert yearly_report(session=s, year=2020) == []
    assert datetime(2026, 12, 31, 17, tzinfo=UTC).astimezone(WITA).year == 2027


def test_overdue_uses_sql_not_a_python_scan(engine: Engine) -> None:
    """The queries filter in the database: only matching rows are loaded."""
    base = datetime(2026, 6, 2, 2, tzinfo=UTC)
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=[mention(i) for i in range(200)])
        ids = s.exec(select(Mention.id).order_by(col(Mention.id))).all()
        for i, mid in enumerate(ids):
            assert mid is not None
            respond_by, follow_up_by = CALENDAR.deadlines_for(base + timedelta(days=i % 40))
            s.add(
                Complaint(
                    origin_mention_id=mid,
                    category="PDAM",
                    inbox="PDAM",
                    routed_by="bulk",
                    respond_by=respond_by,
                    follow_up_by=follow_up_by,
                )
            )
    now = datetime(2026, 6, 20, tzinfo=UTC)
    with Session(engine) as s:
        found = overdue(session=s, now=now)
        assert found and all(c.respond_by is not None and c.respond_by < now for c in found)
        assert count_overdue(session=s, now=now) == {"PDAM": len(found)}
        assert len(s.identity_map) == len(found)
