"""Reply entries in a complaint's history leave every figure read from the history as it was.

Approving, discarding, sending and blocking replies add ``balasan`` rows to
``status_change``; response times, reopen counts, overdue lists and steps (what
escalation reads), the latest refusal, Open311's latest status note and the public
tracking page must come out the same with and without them.
"""

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from lifecycle.reports import count_overdue, overdue, overdue_step, response_times
from lifecycle.status import bukan_wewenang, change_status, history, latest_bounce
from models.complaint_detail import latest_changes, track
from models.db import session_scope
from models.replies import approve, discard, mark_sent, mark_unsent
from models.tables import Complaint
from models.types import utcnow
from models.vocab import HistoryKind, ReplyStatus
from models.wita import WITA
from tests.support.lifecycle import CALENDAR
from tests.support.replies import file_with_ack, number_of, policy, replies_in
from tests.support.routing import POLICY

REPLIES = policy(mode="review")
ROUTING = replace(POLICY, replies=REPLIES)


def _work(engine: Engine) -> dict[str, int]:
    """Four complaints: closed then reopened and closed again, overdue twice, refused."""
    ids = {name: file_with_ack(engine, REPLIES, n) for n, name in enumerate("abcd", start=1)}
    now = utcnow()
    with session_scope(engine) as s:
        for name, (respond, follow) in {
            "a": (2, 5),
            "b": (-2, -1),  # its follow-up is overdue after its initial response
            "c": (-3, 4),  # its initial response is overdue
            "d": (1, 3),
        }.items():
            c = s.get(Complaint, ids[name])
            assert c is not None
            c.respond_by, c.follow_up_by = (
                now + timedelta(hours=respond),
                now + timedelta(days=follow),
            )
            s.add(c)

    def move(name: str, status: str, note: str = "") -> None:
        change_status(
            engine=engine,
            complaint_id=ids[name],
            to_status=status,
            actor="pdam",
            note=note,
            replies=REPLIES,
        )

    move("a", "respon_awal")
    move("a", "selesai", "pipa diganti")
    move("a", "ditindaklanjuti", "air mati lagi")  # reopened
    move("a", "selesai", "pipa utama diganti")
    move("b", "respon_awal", "dijadwalkan")
    move("d", "respon_awal")
    bukan_wewenang(
        engine=engine,
        policy=ROUTING,
        complaint_id=ids["d"],
        actor="pdam",
        reason="jaringan milik desa",
        suggested_category="LPJU",
    )
    return ids


def _figures(engine: Engine, ids: dict[str, int], numbers: list[str]) -> dict[str, Any]:
    """Everything computed from the complaints' histories and timestamps."""
    later = utcnow() + timedelta(hours=1)
    year = later.astimezone(WITA).year
    with Session(engine) as s:
        complaints = [s.get(Complaint, i) for i in ids.values()]
        bounce = latest_bounce(session=s, complaint_id=ids["d"])
        assert bounce is not None
        return {
            "response_times": response_times(session=s, calendar=CALENDAR, year=year, now=later),
            "yearly": response_times(
                session=s, calendar=CALENDAR, year=year, now=later, by_month=False
            ),
            "overdue": [c.id for c in overdue(session=s, now=later)],
            "overdue_counts": count_overdue(session=s, now=later),
            "complaints": [
                (
                    c.status,
                    c.responded_at,
                    c.followed_up_at,
                    c.resolved_at,
                    c.respond_by,
                    c.follow_up_by,
                    c.updated_at,
                    overdue_step(c, later),
                )
                for c in complaints
                if c is not None
            ],
            "bounce": (bounce.actor, bounce.at, bounce.note, bounce.suggested_category),
            "latest": {
                k: (v.id, v.to_status, v.note)
                for k, v in latest_changes(session=s, complaint_ids=list(ids.values())).items()
            },
            "tracked": [track(session=s, number=n) for n in numbers],
        }


def test_reply_entries_leave_response_times_deadlines_and_notes_unchanged(
    engine: Engine,
) -> None:
    ids = _work(engine)
    numbers = [number_of(engine, i) for i in ids.values()]
    before = _figures(engine, ids, numbers)
    assert before["overdue"] == [ids["b"], ids["c"]] and before["overdue_counts"] == {"PDAM": 2}
    with Session(engine) as s:
        status_rows = {i: len(history(session=s, complaint_id=i)) for i in ids.values()}
    drafts = [r for r in replies_in(engine) if r.status == ReplyStatus.DRAFT]
    # four acknowledgements; a's respon_awal, selesai, and reopened ditindaklanjuti and
    # selesai; b's and d's respon_awal
    assert len(drafts) == 4 + 4 + 1 + 1
    discarded, *approved = drafts
    assert discarded.id is not None
    discard(engine=engine, reply_id=discarded.id, actor="kominfo")
    for n, reply in enumerate(approved):
        assert reply.id is not None
        approve(engine=engine, reply_id=reply.id, actor="kominfo")
        if n % 2:
            mark_sent(engine, reply.id, f"18610000000000{n:05d}", utcnow())
        else:
            mark_unsent(engine, reply.id, ReplyStatus.BLOCKED, "Graph 368: diblokir sementara")
    after = _figures(engine, ids, numbers)
    assert after == before
    with Session(engine) as s:
        entries = {
            i: [h for h in history(session=s, complaint_id=i) if h.kind == HistoryKind.BALASAN]
            for i in ids.values()
        }
        for i, rows in entries.items():
            assert len(history(session=s, complaint_id=i)) == status_rows[i] + len(rows)
            assert all(h.from_status == h.to_status for h in rows)
    # one entry per action: the discard, each approval, then each sending or blocking
    assert sum(len(rows) for rows in entries.values()) == 1 + 2 * len(approved)
    # d was refused before its replies were approved: its entries stand at bukan_wewenang,
    # and the refusal triage reads is still the agency's
    assert entries[ids["d"]] and {h.to_status for h in entries[ids["d"]]} == {"bukan_wewenang"}
