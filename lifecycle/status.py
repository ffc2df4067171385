"""A complaint's status changes: allowed transitions, their history, refusal and reassignment.

Allowed transitions (anything else raises ``InvalidTransition``)::

    baru             -> respon_awal | ditindaklanjuti | bukan_wewenang
    respon_awal      -> ditindaklanjuti | selesai | bukan_wewenang
    ditindaklanjuti  -> selesai | bukan_wewenang
    selesai          -> ditindaklanjuti      reopen: the problem came back; a note is required
    bukan_wewenang   -> baru                 only through ``reassign`` (Kominfo triage)

``baru -> selesai`` is refused: the citizen must have been answered (at least an initial
response) before a complaint is closed, so the history never shows a silent closure.
``bukan_wewenang`` is reached only through ``bukan_wewenang()``, which needs a reason
and a suggested category, and moves the complaint back to the triage inbox.

Skipping a step is allowed where the city counts the later step as including the
earlier one: a field follow-up is also the initial response (``baru ->
ditindaklanjuti``), a resolution is also a follow-up (``respon_awal -> selesai``). The
skipped step is then recorded at the same moment, in the timestamps and in the history
(its own row, "dicatat bersamaan"), so the yearly report, the deadline checks and
anyone reading the history count it. Timestamps record the first time each step was
reached; ``resolved_at`` is cleared on reopening.

Every change locks the complaint's row (``SELECT ... FOR UPDATE`` on PostgreSQL, the
database write lock on SQLite) and writes the complaint and its ``StatusChange`` row in
one transaction, so two concurrent changes serialise: the second sees the first's result.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.corrections import record_correction
from models.db import session_scope
from models.exceptions import InvalidTransition, NotFound
from models.tables import (
    Complaint,
    ComplaintAssignment,
    Correction,
    Mention,
    Outbox,
    StatusChange,
)
from models.types import utcnow
from models.vocab import (
    CATEGORIES,
    NOT_COMPLAINT,
    STATUS_LABELS,
    ComplaintStatus,
    HistoryKind,
    ReplyEvent,
    label,
)
from notify.replies import ReplyPolicy, draft_replies
from router.policy import RoutingPolicy, enter_inbox

#: short alias: the table below reads like the city's own list
S = ComplaintStatus

#: the steps a complaint moves through, in order; skipping ahead records the ones between
MAIN_LINE: tuple[ComplaintStatus, ...] = (S.BARU, S.RESPON_AWAL, S.DITINDAKLANJUTI, S.SELESAI)
#: the note of a step recorded because a later one was reached directly
IMPLIED_NOTE = "dicatat bersamaan dengan perubahan ke {label}"

#: from status -> the statuses it may change to
TRANSITIONS: dict[ComplaintStatus, frozenset[ComplaintStatus]] = {
    S.BARU: frozenset({S.RESPON_AWAL, S.DITINDAKLANJUTI, S.BUKAN_WEWENANG}),
    S.RESPON_AWAL: frozenset({S.DITINDAKLANJUTI, S.SELESAI, S.BUKAN_WEWENANG}),
    S.DITINDAKLANJUTI: frozenset({S.SELESAI, S.BUKAN_WEWENANG}),
    S.SELESAI: frozenset({S.DITINDAKLANJUTI}),
    S.BUKAN_WEWENANG: frozenset({S.BARU}),
}


def check_transition(from_status: str, to_status: str, complaint_id: int | None = None) -> None:
    """Raise InvalidTransition (Indonesian and English, naming both statuses) if not allowed."""
    allowed = TRANSITIONS.get(S(from_status), frozenset())
    if to_status in allowed:
        return
    which = f" (pengaduan/complaint #{complaint_id})" if complaint_id is not None else ""
    options = ", ".join(sorted(allowed)) or "-"
    raise InvalidTransition(
        f"perubahan status tidak diizinkan / status change not allowed: "
        f"{from_status} → {to_status}{which}; dari/from {from_status}: {options}"
    )


def lock_complaint(
    *, session: Session, complaint_id: int, agency_code: str | None = None
) -> Complaint:
    """Load a complaint for changing it, locked until the session's transaction ends.

    With *agency_code*, a complaint of another inbox raises the same NotFound as a
    missing id, so an agency can neither touch nor probe other inboxes. On SQLite the
    lock is the database write lock, taken here when the transaction has not started.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE. Taking the write lock before reading (BEGIN
        # IMMEDIATE) makes a second writer wait (busy timeout) instead of reading a stale
        # status and then failing with "database is locked" when it tries to write.
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None and not dbapi.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    stmt = select(Complaint).where(Complaint.id == complaint_id)
    if agency_code is not None:
        stmt = stmt.where(Complaint.inbox == agency_code)
    complaint = session.exec(stmt.with_for_update()).first()
    if complaint is None:
        raise NotFound(f"no complaint with id {complaint_id}")
    return complaint


def _record(
    session: Session,
    complaint: Complaint,
    to_status: ComplaintStatus,
    actor: str,
    note: str,
    now: datetime,
) -> StatusChange:
    assert complaint.id is not None
    row = StatusChange(
        complaint_id=complaint.id,
        actor=actor,
        at=now,
        from_status=complaint.status,
        to_status=to_status,
        note=note,
    )
    session.add(row)
    complaint.status = to_status
    complaint.updated_at = now
    session.add(complaint)
    return row


def move_inbox(
    session: Session, complaint: Complaint, inbox: str, actor: str, now: datetime
) -> None:
    """Put *complaint* in *inbox*; its petugas (of the old inbox's agency) is released,
    with an assignment history row, since only the new agency's users may work it."""
    if complaint.inbox != inbox and complaint.assignee_id is not None:
        assert complaint.id is not None
        session.add(
            ComplaintAssignment(
                complaint_id=complaint.id,
                from_user_id=complaint.assignee_id,
                to_user_id=None,
                actor=actor,
                at=now,
            )
        )
        complaint.assignee_id = None
    complaint.inbox = inbox


def apply_status(
    session: Session,
    complaint: Complaint,
    to_status: str,
    actor: str,
    note: str,
    now: datetime,
) -> None:
    """``change_status`` on a complaint already locked in *session* (bulk actions use it).

    Raises InvalidTransition, leaving *complaint* unchanged, when the change is not allowed.
    """
    target = S(to_status)
    note = note.strip()
    complaint_id = complaint.id
    check_transition(complaint.status, target, complaint_id)
    if target in (S.BARU, S.BUKAN_WEWENANG):
        # Allowed by the table, but each needs more than a status: a reason and a
        # suggested category, or triage's choice of category and inbox.
        how = "bukan_wewenang()" if target == S.BUKAN_WEWENANG else "reassign()"
        raise InvalidTransition(
            f"{complaint.status} → {target} (pengaduan/complaint #{complaint_id}) "
            f"hanya lewat / only through {how}"
        )
    reopen = complaint.status == S.SELESAI
    if reopen and not note:
        raise InvalidTransition(
            f"membuka kembali pengaduan #{complaint_id} perlu catatan alasan / "
            f"reopening complaint #{complaint_id} needs a note saying why"
        )
    if target in (S.RESPON_AWAL, S.DITINDAKLANJUTI, S.SELESAI):
        complaint.responded_at = complaint.responded_at or now
    if target in (S.DITINDAKLANJUTI, S.SELESAI):
        complaint.followed_up_at = complaint.followed_up_at or now
    if target == S.SELESAI:
        complaint.resolved_at = now
    if reopen:
        complaint.resolved_at = None
    for step in skipped_steps(complaint.status, target):
        implied = IMPLIED_NOTE.format(label=STATUS_LABELS[target].lower())
        _record(session, complaint, step, actor, implied, now)
    _record(session, complaint, target, actor, note, now)


def change_status(
    *,
    engine: Engine,
    complaint_id: int,
    to_status: str,
    actor: str,
    note: str = "",
    agency_code: str | None = None,
    replies: ReplyPolicy | None = None,
) -> Complaint:
    """Move a complaint to *to_status*, recording who, when, from, to and *note*.

    Use ``bukan_wewenang()`` for that status and ``reassign()`` to return one to baru.
    Reopening (selesai -> ditindaklanjuti) needs a note saying why. With *replies*, the
    reporters' replies announcing the new status are drafted in the same transaction.
    """
    with session_scope(engine) as session:
        complaint = lock_complaint(
            session=session, complaint_id=complaint_id, agency_code=agency_code
        )
        apply_status(session, complaint, to_status, actor, note, utcnow())
        session.flush()
        draft_replies(
            session=session,
            policy=replies,
            complaint=complaint,
            event=S(to_status).value,
            note=note,
        )
        return complaint


def skipped_steps(from_status: str, to_status: str) -> list[ComplaintStatus]:
    """The main-line steps between *from_status* and a later *to_status*, in order."""
    if from_status not in MAIN_LINE or to_status not in MAIN_LINE:
        return []
    start, end = MAIN_LINE.index(S(from_status)), MAIN_LINE.index(S(to_status))
    return list(MAIN_LINE[start + 1 : end]) if end > start else []


def _known_category(category: str) -> None:
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; known: {', '.join(CATEGORIES)}")


def bukan_wewenang(
    *,
    engine: Engine,
    policy: RoutingPolicy,
    complaint_id: int,
    actor: str,
    reason: str,
    suggested_category: str,
    agency_code: str | None = None,
) -> Complaint:
    """Refuse a complaint as not the agency's authority and send it back to triage.

    The reason is required. The suggested category becomes a training correction
    (kind ``bukan_wewenang``) for the complaint's origin mention, and is written into
    the history note so triage sees it beside the reason (see ``latest_bounce``).
    """
    reason = reason.strip()
    if not reason:
        raise InvalidTransition(
            f"bukan wewenang perlu alasan (pengaduan #{complaint_id}) / "
            f"refusing complaint #{complaint_id} as not our authority needs a reason"
        )
    _known_category(suggested_category)
    with session_scope(engine) as session:
        complaint = lock_complaint(
            session=session, complaint_id=complaint_id, agency_code=agency_code
        )
        check_transition(complaint.status, S.BUKAN_WEWENANG, complaint_id)
        mention = session.get(Mention, complaint.origin_mention_id)
        assert mention is not None  # a foreign key guarantees it
        record_correction(
            session=session,
            mention=mention,
            category=suggested_category,
            kind="bukan_wewenang",
            actor=actor,
        )
        # The history shows the note as it is: the category by its name, not its code.
        suggestion = label("category", suggested_category)
        note = f"bukan wewenang {complaint.inbox}: {reason} (saran kategori: {suggestion})"
        now = utcnow()
        _record(session, complaint, S.BUKAN_WEWENANG, actor, note, now)
        move_inbox(session, complaint, policy.triage_inbox, actor, now)
        session.flush()
        enter_inbox(session, complaint, policy)
        return complaint


def reassign(
    *,
    engine: Engine,
    policy: RoutingPolicy,
    complaint_id: int,
    category: str,
    actor: str,
    note: str = "",
) -> Complaint:
    """Kominfo triage: give a bounced complaint (or a new one waiting in the triage inbox)
    its category and that category's inbox, back at baru with fresh deadlines.

    The category becomes a training correction (kind ``recategorise``); the new inbox's
    notification channels get outbox rows in the same transaction. Deadlines come from
    ``policy.deadlines`` counted from now (cleared when the policy has none), and the
    response times of the previous inbox are cleared: the new agency starts afresh.
    """
    _known_category(category)
    if category == NOT_COMPLAINT:
        raise ValueError("NOT_COMPLAINT has no inbox; a filed complaint needs a category")
    with session_scope(engine) as session:
        complaint = lock_complaint(session=session, complaint_id=complaint_id)
        waiting_in_triage = complaint.status == S.BARU and complaint.inbox == policy.triage_inbox
        if not waiting_in_triage and complaint.status != S.BUKAN_WEWENANG:
            raise InvalidTransition(
                f"perubahan status tidak diizinkan / status change not allowed: "
                f"{complaint.status} → baru (pengaduan/complaint #{complaint_id} di/in "
                f"{complaint.inbox}); hanya pengaduan bukan_wewenang atau baru di triase yang "
                f"bisa dialihkan / only complaints refused as bukan_wewenang or new in the "
                f"triage inbox can be reassigned"
            )
        was_refused = complaint.status == S.BUKAN_WEWENANG
        mention = session.get(Mention, complaint.origin_mention_id)
        assert mention is not None
        record_correction(
            session=session, mention=mention, category=category, kind="recategorise", actor=actor
        )
        now = utcnow()
        inbox = policy.inbox_for(category)
        complaint.category = category
        move_inbox(session, complaint, inbox, actor, now)
        complaint.confidence = None
        complaint.routed_by = f"triage:{actor}"
        complaint.route_reason = f"dialihkan oleh triase ({actor})"
        complaint.responded_at = complaint.followed_up_at = complaint.resolved_at = None
        complaint.respond_by, complaint.follow_up_by = (
            policy.deadlines(now) if policy.deadlines is not None else (None, None)
        )
        text = f"dialihkan ke {inbox} (kategori {label('category', category)})"
        _record(session, complaint, S.BARU, actor, f"{text}: {note.strip()}" if note else text, now)
        assert complaint.id is not None
        if was_refused:
            # The citizen hears that the right agency has it now.
            session.flush()
            draft_replies(
                session=session,
                policy=policy.replies,
                complaint=complaint,
                event=ReplyEvent.BUKAN_WEWENANG,
            )
        for channel in policy.channels.get(inbox, ()):
            session.add(
                Outbox(
                    complaint_id=complaint.id,
                    agency_code=inbox,
                    channel=channel,
                    payload={"event": "complaint.reassigned", "complaint_id": complaint.id},
                )
            )
        session.flush()
        enter_inbox(session, complaint, policy)
        session.flush()
        return complaint


def history(*, session: Session, complaint_id: int) -> list[StatusChange]:
    """A complaint's history, oldest first: status changes and reply entries (``kind``)."""
    stmt = (
        select(StatusChange)
        .where(StatusChange.complaint_id == complaint_id)
        .order_by(col(StatusChange.at), col(StatusChange.id))
    )
    return list(session.exec(stmt))


@dataclass(frozen=True)
class Bounce:
    """The latest ``bukan_wewenang`` of a complaint, as triage sees it."""

    complaint_id: int
    actor: str
    at: datetime
    #: "bukan wewenang INBOX: reason (saran kategori: NAME)" (older notes: the CODE)
    note: str
    suggested_category: str | None

    @property
    def reason(self) -> str:
        """The note without the suggestion, which is shown apart."""
        return re.sub(r"\s*\(saran kategori: [^()]+\)$", "", self.note)


def latest_bounce(*, session: Session, complaint_id: int) -> Bounce | None:
    """Who refused a complaint last, when, why, and which category they suggested."""
    change = session.exec(
        select(StatusChange)
        .where(StatusChange.complaint_id == complaint_id)
        .where(StatusChange.to_status == S.BUKAN_WEWENANG)
        .where(StatusChange.kind == HistoryKind.STATUS)
        .order_by(col(StatusChange.id).desc())
        .limit(1)
    ).first()
    if change is None:
        return None
    suggestion = session.exec(
        select(Correction.category)
        .join(Complaint, col(Complaint.origin_mention_id) == col(Correction.mention_id))
        .where(Complaint.id == complaint_id)
        .where(Correction.kind == "bukan_wewenang")
        .order_by(col(Correction.id).desc())
        .limit(1)
    ).first()
    return Bounce(complaint_id, change.actor, change.at, change.note, suggestion)


def bounced(*, session: Session, limit: int = 100) -> list[Complaint]:
    """Complaints refused as bukan wewenang and waiting for triage, oldest change first."""
    stmt = (
        select(Complaint)
        .where(Complaint.status == S.BUKAN_WEWENANG)
        .order_by(col(Complaint.updated_at), col(Complaint.id))
        .limit(limit)
    )
    return list(session.exec(stmt))
