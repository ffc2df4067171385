"""Reply entries in a complaint's history, and which round of its event a reply answers.

What becomes of a reply to a citizen (approved, and whether edited; discarded; sent,
with the account and the platform's reply id; to write by hand; blocked or not sent,
and why) is written as a ``status_change`` row of kind ``balasan`` in the transaction
that changes the reply. Such a row leaves the status as it is (from and to are the
complaint's status at the time) and touches no timestamp or deadline of the complaint;
everything that reads status changes (response times, reopenings, the latest status
note, refusals, the rounds below) reads kind ``status`` rows only.
"""

from datetime import datetime

from sqlalchemy import Table, func, insert, literal, select
from sqlalchemy.engine import Connection

from models.tables import Complaint, StatusChange
from models.vocab import REPLY_EVENT_LABELS, ComplaintStatus, HistoryKind, ReplyEvent

_HISTORY: Table = StatusChange.__table__  # type: ignore[attr-defined]
_COMPLAINTS: Table = Complaint.__table__  # type: ignore[attr-defined]

#: the actor of entries the sender writes: ``balasan:<source>`` (the answering account)
SENDER_PREFIX = "balasan:"


def sender(source: str) -> str:
    """The actor code of what the reply account of *source* did."""
    return SENDER_PREFIX + source


def reply_words(reply_id: int, event: str) -> str:
    """How an entry names its reply: ``Balasan #12 (Tanda terima)``."""
    return f"Balasan #{reply_id} ({REPLY_EVENT_LABELS.get(event, event)})"


def record_reply_entry(
    conn: Connection,
    *,
    complaint_id: int,
    actor: str,
    note: str,
    now: datetime,
    status: str | None = None,
) -> None:
    """Add a ``balasan`` entry to complaint *complaint_id*'s history.

    *status*: the complaint's status when the caller holds it (drafting, in the event's
    transaction); otherwise the stored status is read by the insert itself.
    """
    values = {
        "complaint_id": complaint_id,
        "actor": actor[:200],
        "at": now,
        "note": note,
        "kind": HistoryKind.BALASAN.value,
    }
    if status is not None:
        conn.execute(insert(_HISTORY), [{**values, "from_status": status, "to_status": status}])
        return
    current = _COMPLAINTS.c.status
    rows = select(
        literal(complaint_id, type_=_HISTORY.c.complaint_id.type),
        literal(values["actor"], type_=_HISTORY.c.actor.type),
        literal(now, type_=_HISTORY.c.at.type),
        current,
        current,
        literal(note, type_=_HISTORY.c.note.type),
        literal(values["kind"], type_=_HISTORY.c.kind.type),
    ).where(_COMPLAINTS.c.id == complaint_id)
    conn.execute(
        insert(_HISTORY).from_select(
            ["complaint_id", "actor", "at", "from_status", "to_status", "note", "kind"], rows
        )
    )


def event_status(event: str) -> ComplaintStatus | None:
    """The status whose reaching a reply of *event* announces; None for the acknowledgement."""
    if event == ReplyEvent.DITERIMA:
        return None
    return ComplaintStatus(event)


def occurrence(conn: Connection, *, complaint_id: int, event: str) -> int:
    """Which round of *event* a reply drafted now answers: 0 the first time.

    Counted from the complaint's status changes (flushed, in the caller's transaction,
    which holds the complaint's lock): the times it reached the event's status, less
    one. A reopened complaint worked again, or one a second agency responds to after
    triage, is a new round; the acknowledgement has one round per complaint.
    """
    status = event_status(event)
    if status is None:
        return 0
    reached = conn.execute(
        select(func.count())
        .select_from(_HISTORY)
        .where(
            _HISTORY.c.complaint_id == complaint_id,
            _HISTORY.c.to_status == status,
            _HISTORY.c.kind == HistoryKind.STATUS.value,
        )
    ).scalar_one()
    return max(int(reached) - 1, 0)
