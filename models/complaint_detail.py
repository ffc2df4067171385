"""Read queries behind the REST and Open311 APIs: latest changes, agency names, requests."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.confidential import publicly_visible
from models.tables import Agency, Complaint, StatusChange
from models.vocab import HistoryKind


def latest_changes(*, session: Session, complaint_ids: Sequence[int]) -> dict[int, StatusChange]:
    """The newest status change of each complaint, by complaint id (reply entries left out)."""
    if not complaint_ids:
        return {}
    newest = (
        select(func.max(StatusChange.id))
        .where(col(StatusChange.complaint_id).in_(complaint_ids))
        .where(StatusChange.kind == HistoryKind.STATUS)
        .group_by(col(StatusChange.complaint_id))
    )
    rows = session.exec(select(StatusChange).where(col(StatusChange.id).in_(newest)))
    return {row.complaint_id: row for row in rows}


def agency_names(*, session: Session) -> dict[str, str]:
    """Every stored inbox's name, by code."""
    return {code: name for code, name in session.exec(select(Agency.code, Agency.name))}


@dataclass(frozen=True)
class RequestQuery:
    """Which complaints an Open311 ``requests`` call asks for; empty tuples mean any."""

    #: the inbox an agency user is confined to; None for every inbox
    inbox: str | None
    ids: tuple[int, ...] = ()
    #: public numbers (``DPS-26-00123``), canonical form
    numbers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    #: filed at or after (inclusive) and before (exclusive)
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = 1000


def service_requests(*, session: Session, query: RequestQuery) -> list[Complaint]:
    """The complaints matching *query*, newest filed first, one page of them.

    Confidential complaints are never among them: Open311 is an exit to the public.
    """
    stmt = select(Complaint).where(publicly_visible())
    if query.inbox is not None:
        stmt = stmt.where(Complaint.inbox == query.inbox)
    if query.ids:
        stmt = stmt.where(col(Complaint.id).in_(query.ids))
    if query.numbers:
        stmt = stmt.where(col(Complaint.public_number).in_(query.numbers))
    if query.categories:
        stmt = stmt.where(col(Complaint.category).in_(query.categories))
    if query.statuses:
        stmt = stmt.where(col(Complaint.status).in_(query.statuses))
    if query.start is not None:
        stmt = stmt.where(col(Complaint.created_at) >= query.start)
    if query.end is not None:
        stmt = stmt.where(col(Complaint.created_at) < query.end)
    stmt = stmt.order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
    size = max(query.page_size, 1)
    return list(session.exec(stmt.offset((max(query.page, 1) - 1) * size).limit(size)))


@dataclass(frozen=True)
class TrackedComplaint:
    """What the public tracking page may show of a complaint: no text, author or staff."""

    number: str
    status: str
    #: None for a confidential complaint (its inbox would say too much)
    agency: str | None
    filed_at: datetime
    updated_at: datetime
    responded_at: datetime | None
    followed_up_at: datetime | None
    resolved_at: datetime | None
    confidential: bool
    #: (when, status, note) of each step, oldest first; empty for a confidential one
    steps: tuple[tuple[datetime, str, str], ...]


def track(*, session: Session, number: str) -> TrackedComplaint | None:
    """The public view of the complaint numbered *number* (canonical form), or None."""
    complaint = session.exec(select(Complaint).where(Complaint.public_number == number)).first()
    if complaint is None or complaint.id is None:
        return None
    public = session.exec(
        select(Complaint.id).where(Complaint.id == complaint.id, publicly_visible())
    ).first()
    steps: tuple[tuple[datetime, str, str], ...] = ()
    agency = None
    if public is not None:
        rows = session.exec(
            select(StatusChange)
            .where(StatusChange.complaint_id == complaint.id)
            # Reply entries name staff and platform ids: not for the public.
            .where(StatusChange.kind == HistoryKind.STATUS)
            .order_by(col(StatusChange.at), col(StatusChange.id))
        )
        steps = tuple((r.at, str(r.to_status), r.note) for r in rows)
        agency = session.exec(select(Agency.name).where(Agency.code == complaint.inbox)).first()
        agency = agency or complaint.inbox
    return TrackedComplaint(
        number=complaint.public_number,
        status=str(complaint.status),
        agency=agency,
        filed_at=complaint.created_at,
        updated_at=complaint.updated_at,
        responded_at=complaint.responded_at,
        followed_up_at=complaint.followed_up_at,
        resolved_at=complaint.resolved_at,
        confidential=public is None,
        steps=steps,
    )
