"""Confidential complaints: reporting a neighbour, domestic violence, corruption.

An operator marks a complaint confidential (and can unmark it); both are recorded in
the access log. A confidential complaint is seen only by its own inbox's agency users
and by Kominfo staff (admin, operator): never by the viewer role, never through
Open311 or a public page, and its text and authors are never put in a notification.

Anything that shows complaints to the public filters with ``publicly_visible()`` in
SQL (or ``is_public`` for one complaint already loaded).
"""

from sqlalchemy import ColumnElement
from sqlmodel import Session, col

from models.access_log import record_access
from models.exceptions import NotFound
from models.tables import Complaint
from models.types import utcnow
from models.vocab import AccessAction

#: what notifications and public pages say instead of a confidential complaint's text
CONFIDENTIAL_NOTICE = "(pengaduan rahasia: teks dan pelapor hanya dapat dibaca di aduan)"


def publicly_visible() -> ColumnElement[bool]:
    """SQL condition: complaints the public (Open311, a tracking page) may know about."""
    return col(Complaint.confidential).is_(False)


def is_public(complaint: Complaint) -> bool:
    """Whether *complaint* may be shown outside the city's own staff."""
    return not complaint.confidential


def set_confidential(
    *, session: Session, complaint_id: int, confidential: bool, actor: str
) -> Complaint:
    """Mark or unmark a complaint confidential, recorded in the access log; NotFound if none."""
    complaint = session.get(Complaint, complaint_id, with_for_update=True)
    if complaint is None:
        raise NotFound(f"no complaint with id {complaint_id}")
    if complaint.confidential != confidential:
        complaint.confidential = confidential
        complaint.updated_at = utcnow()
        session.add(complaint)
        action = AccessAction.CONFIDENTIAL if confidential else AccessAction.NOT_CONFIDENTIAL
        record_access(
            session=session,
            actor=actor,
            action=action,
            target=f"complaint:{complaint_id}",
            details={"inbox": complaint.inbox},
        )
    return complaint
