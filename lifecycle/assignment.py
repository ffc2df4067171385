"""A complaint's petugas: the one agency user working it, and the history of who it was.

Only an active agency user of the complaint's own inbox can be its petugas, so an
agency user can assign only to colleagues and Kominfo staff only to users of that
agency. Every change (assign, reassign, unassign) locks the complaint like a status
change and writes a ``ComplaintAssignment`` row in the same transaction.

The new petugas is told through the outbox in the same transaction
(``notify.assignee``): an e-mail to their own address and, when the inbox has a
webhook, an event to it; a petugas without an address (and no inbox webhook) is
recorded as not notifiable (``ComplaintAssignment.notified`` "none"), which is no
error: they find the complaint under "Pengaduan saya".
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from lifecycle.status import lock_complaint
from models.db import session_scope
from models.exceptions import AssignmentRefused
from models.tables import Complaint, ComplaintAssignment, Outbox, User
from models.types import utcnow
from models.vocab import ComplaintStatus, OutboxRecipient, OutboxStatus, Role
from notify.assignee import assignment_payload, channels_for, notified_value
from router.policy import RoutingPolicy

_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]

#: a petugas's list: the statuses still being worked
OPEN_STATUSES = (
    ComplaintStatus.BARU,
    ComplaintStatus.RESPON_AWAL,
    ComplaintStatus.DITINDAKLANJUTI,
)
#: the most complaints "Pengaduan saya" shows at once
MY_LIMIT = 200

# Built once: the inbox page asks the first, every agency page's navigation the second.
_ASSIGNABLE = (
    select(User)
    .where(
        User.role == Role.AGENCY,
        col(User.agency_code) == bindparam("inbox"),
        col(User.active).is_(True),
    )
    .order_by(col(User.username))
)
_MINE_OPEN = (
    select(func.count())
    .select_from(Complaint)
    .where(
        col(Complaint.assignee_id) == bindparam("user_id"),
        col(Complaint.inbox) == bindparam("inbox"),
        col(Complaint.status).in_(OPEN_STATUSES),
    )
)


def assignable_users(*, session: Session, inbox: str) -> list[User]:
    """The active agency users of *inbox*, by username: who may be its petugas."""
    return list(session.exec(_ASSIGNABLE, params={"inbox": inbox}))


def _petugas(session: Session, complaint: Complaint, username: str) -> User:
    name = username.strip().lower()
    user = session.exec(select(User).where(User.username == name)).first()
    if user is None:
        raise AssignmentRefused(f"Pengguna {name!r} tidak ada.")
    if user.role != Role.AGENCY or user.agency_code != complaint.inbox:
        raise AssignmentRefused(
            f"Pengguna {name!r} bukan petugas inbox {complaint.inbox}; hanya pengguna "
            "instansi pemilik inbox yang bisa ditugasi."
        )
    if not user.active:
        raise AssignmentRefused(f"Akun {name!r} dinonaktifkan.")
    return user


def assign_in_session(
    *,
    session: Session,
    complaint: Complaint,
    assignee: str | None,
    actor: str,
    now: datetime | None = None,
    policy: RoutingPolicy | None = None,
) -> ComplaintAssignment | None:
    """Make *assignee* (a username; None: nobody) the petugas of a locked *complaint*.

    Returns the history row, or None when the petugas stays the same (nothing written).
    Raises AssignmentRefused for a user who may not work it. The new petugas's
    notifications are queued in the session's transaction (*policy*: the inboxes'
    webhooks and the web inbox's address for the link).
    """
    assert complaint.id is not None
    target = _petugas(session, complaint, assignee) if assignee else None
    to_id = target.id if target else None
    if to_id == complaint.assignee_id:
        return None
    now = now or utcnow()
    notified = None
    if target is not None:
        rows, notified = notice_rows(complaint, target, actor, policy, now)
        if rows:
            session.connection().execute(insert(_OUTBOX), rows)
    row = ComplaintAssignment(
        complaint_id=complaint.id,
        from_user_id=complaint.assignee_id,
        to_user_id=to_id,
        actor=actor,
        at=now,
        notified=notified,
    )
    session.add(row)
    complaint.assignee_id = to_id
    complaint.updated_at = now
    session.add(complaint)
    return row


def notice_rows(
    complaint: Complaint,
    user: User,
    actor: str,
    policy: RoutingPolicy | None,
    now: datetime,
) -> tuple[list[dict[str, Any]], str]:
    """The outbox rows telling *user* that *complaint* is theirs, and what to record
    in ``ComplaintAssignment.notified`` ("none": nobody could be told)."""
    assert complaint.id is not None
    inbox_channels = policy.channels.get(complaint.inbox, ()) if policy else ()
    channels = channels_for(user.email, inbox_channels)
    payload = assignment_payload(
        complaint_id=complaint.id,
        public_number=complaint.public_number,
        category=complaint.category,
        inbox=complaint.inbox,
        assignee=user.username,
        actor=actor,
        base_url=policy.web_base_url if policy else "",
    )
    rows = []
    for channel in channels:
        row_payload = dict(payload)
        if channel == "email":
            row_payload["to"] = user.email
            row_payload["to_name"] = user.display_name or user.username
        rows.append(
            {
                "complaint_id": complaint.id,
                "agency_code": complaint.inbox,
                "recipient": OutboxRecipient.PETUGAS.value,
                "channel": channel,
                "payload": row_payload,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return rows, notified_value(channels)


def assign(
    *,
    engine: Engine,
    complaint_id: int,
    assignee: str | None,
    actor: str,
    agency_code: str | None = None,
    policy: RoutingPolicy | None = None,
) -> Complaint:
    """Assign, reassign or unassign (*assignee* None) the complaint's petugas.

    With *agency_code* (the acting agency user's), a complaint of another inbox raises
    NotFound like a missing id. AssignmentRefused names why a petugas cannot take it.
    The new petugas's notifications are queued in the same transaction (*policy*: see
    ``assign_in_session``).
    """
    with session_scope(engine) as session:
        complaint = lock_complaint(
            session=session, complaint_id=complaint_id, agency_code=agency_code
        )
        assign_in_session(
            session=session, complaint=complaint, assignee=assignee, actor=actor, policy=policy
        )
        session.flush()
        session.refresh(complaint)
        session.expunge(complaint)
        return complaint


@dataclass(frozen=True)
class AssignmentEntry:
    """One line of a complaint's assignment history, with usernames."""

    at: datetime
    actor: str
    from_user: str | None
    to_user: str | None
    #: how the new petugas was told ("email", "email,webhook", "none"); None: unassigned
    notified: str | None = None


def assignment_history(*, session: Session, complaint_id: int) -> list[AssignmentEntry]:
    """Who assigned the complaint to whom, oldest first."""
    rows = list(
        session.exec(
            select(ComplaintAssignment)
            .where(ComplaintAssignment.complaint_id == complaint_id)
            .order_by(col(ComplaintAssignment.at), col(ComplaintAssignment.id))
        )
    )
    ids = {i for r in rows for i in (r.from_user_id, r.to_user_id) if i is not None}
    names = (
        dict(session.exec(select(User.id, User.username).where(col(User.id).in_(ids))).all())
        if ids
        else {}
    )
    return [
        AssignmentEntry(
            r.at,
            r.actor,
            names.get(r.from_user_id) if r.from_user_id else None,
            names.get(r.to_user_id) if r.to_user_id else None,
            r.notified,
        )
        for r in rows
    ]


def username_of(*, session: Session, user_id: int | None) -> str | None:
    """The username of the user *user_id*, or None."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.username if user else None


def my_complaints(
    *, session: Session, user: User, open_only: bool = True, limit: int = MY_LIMIT
) -> list[Complaint]:
    """The complaints *user* is petugas of, in their own inbox, oldest first.

    An agency user moved to another agency keeps their old assignments in the store,
    but sees only those of their current inbox (the list never leaks another inbox).
    """
    if user.id is None or user.role != Role.AGENCY or not user.agency_code:
        return []
    stmt = select(Complaint).where(
        Complaint.assignee_id == user.id, Complaint.inbox == user.agency_code
    )
    if open_only:
        stmt = stmt.where(col(Complaint.status).in_(OPEN_STATUSES))
    stmt = stmt.order_by(col(Complaint.created_at), col(Complaint.id))
    return list(session.exec(stmt.limit(limit)))


def count_mine(*, session: Session, user: User) -> int:
    """How many open complaints *user* is petugas of (the navigation's count)."""
    if user.id is None or user.role != Role.AGENCY or not user.agency_code:
        return 0
    params = {"user_id": user.id, "inbox": user.agency_code}
    return int(session.exec(_MINE_OPEN, params=params).one())
