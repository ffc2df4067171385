"""A complaint's petugas: the one agency user working it, and the history of who it was.

Only an active agency user of the complaint's own inbox can be its petugas, so an
agency user can assign only to colleagues and Kominfo staff only to users of that
agency. Every change (assign, reassign, unassign) locks the complaint like a status
change and writes a ``ComplaintAssignment`` row in the same transaction.

Users have no e-mail address or webhook in the store, so the petugas is not notified
through the outbox; they find the complaint under "Pengaduan saya".
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from lifecycle.status import lock_complaint
from models.db import session_scope
from models.exceptions import AssignmentRefused
from models.tables import Complaint, ComplaintAssignment, User
from models.types import utcnow
from models.vocab import ComplaintStatus, Role

#: a petugas's list: the statuses still being worked
OPEN_STATUSES = (
    ComplaintStatus.BARU,
    ComplaintStatus.RESPON_AWAL,
    ComplaintStatus.DITINDAKLANJUTI,
)
#: the most complaints "Pengaduan saya" shows at once
MY_LIMIT = 200


def assignable_users(*, session: Session, inbox: str) -> list[User]:
    """The active agency users of *inbox*, by username: who may be its petugas."""
    stmt = (
        select(User)
        .where(User.role == Role.AGENCY, User.agency_code == inbox, col(User.active).is_(True))
        .order_by(col(User.username))
    )
    return list(session.exec(stmt))


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
) -> ComplaintAssignment | None:
    """Make *assignee* (a username; None: nobody) the petugas of a locked *complaint*.

    Returns the history row, or None when the petugas stays the same (nothing written).
    Raises AssignmentRefused for a user who may not work it.
    """
    assert complaint.id is not None
    target = _petugas(session, complaint, assignee) if assignee else None
    to_id = target.id if target else None
    if to_id == complaint.assignee_id:
        return None
    now = now or utcnow()
    row = ComplaintAssignment(
        complaint_id=complaint.id,
        from_user_id=complaint.assignee_id,
        to_user_id=to_id,
        actor=actor,
        at=now,
    )
    session.add(row)
    complaint.assignee_id = to_id
    complaint.updated_at = now
    session.add(complaint)
    return row


def assign(
    *,
    engine: Engine,
    complaint_id: int,
    assignee: str | None,
    actor: str,
    agency_code: str | None = None,
) -> Complaint:
    """Assign, reassign or unassign (*assignee* None) the complaint's petugas.

    With *agency_code* (the acting agency user's), a complaint of another inbox raises
    NotFound like a missing id. AssignmentRefused names why a petugas cannot take it.
    """
    with session_scope(engine) as session:
        complaint = lock_complaint(
            session=session, complaint_id=complaint_id, agency_code=agency_code
        )
        assign_in_session(session=session, complaint=complaint, assignee=assignee, actor=actor)
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
    stmt = (
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.assignee_id == user.id, Complaint.inbox == user.agency_code)
        .where(col(Complaint.status).in_(OPEN_STATUSES))
    )
    return int(session.exec(stmt).one())
