"""Read queries behind the REST and Open311 APIs: latest changes, agency names, requests."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.confidential import publicly_visible
from models.tables import Agency, Complaint, StatusChange


def latest_changes(*, session: Session, complaint_ids: Sequence[int]) -> dict[int, StatusChange]:
    """The newest history entry of each complaint, by complaint id."""
    if not complaint_ids:
        return {}
    newest = (
        select(func.max(StatusChange.id))
        .where(col(StatusChange.complaint_id).in_(complaint_ids))
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
