"""Workload of an agency's petugas: open complaints, overdue ones, median age.

Counted over the inbox's open complaints (baru, respon awal, ditindaklanjuti) when
asked, so the page always shows the present. Every active agency user of the inbox has
a line (zero included, so a supervisor sees who is free); complaints without a petugas
have their own line; a petugas who has since left the agency or been disabled keeps a
line while complaints are still assigned to them.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from lifecycle.assignment import OPEN_STATUSES, assignable_users
from lifecycle.reports import missed_step
from models.tables import Complaint, User


@dataclass(frozen=True)
class WorkloadRow:
    """One petugas's line (``user_id`` None: complaints nobody is assigned)."""

    user_id: int | None
    username: str | None
    display_name: str
    open: int
    overdue: int
    #: median days since filing of the open complaints; None when there are none
    median_age_days: float | None


def workload(*, session: Session, inbox: str, now: datetime) -> list[WorkloadRow]:
    """The petugas lines of *inbox* by most open complaints, then the unassigned line."""
    # The five columns only, not whole complaints: a large inbox has thousands open.
    stmt = sa_select(
        col(Complaint.assignee_id),
        col(Complaint.created_at),
        col(Complaint.status),
        col(Complaint.respond_by),
        col(Complaint.follow_up_by),
    ).where(col(Complaint.inbox) == inbox, col(Complaint.status).in_(OPEN_STATUSES))
    ages: dict[int | None, list[float]] = {}
    late: dict[int | None, int] = {}
    for assignee, created, status, respond_by, follow_up_by in session.connection().execute(stmt):
        ages.setdefault(assignee, []).append((now - created).total_seconds() / 86400)
        missed = missed_step(status, respond_by, follow_up_by, now)
        late[assignee] = late.get(assignee, 0) + (missed is not None)
    users = {u.id: u for u in assignable_users(session=session, inbox=inbox)}
    gone = [i for i in ages if i is not None and i not in users]
    if gone:
        users.update({u.id: u for u in session.exec(select(User).where(col(User.id).in_(gone)))})

    def row(user_id: int | None) -> WorkloadRow:
        user = users.get(user_id) if user_id is not None else None
        found = ages.get(user_id, [])
        return WorkloadRow(
            user_id,
            user.username if user else None,
            (user.display_name or user.username) if user else "",
            len(found),
            late.get(user_id, 0),
            round(statistics.median(found), 1) if found else None,
        )

    rows = [row(i) for i in users]
    rows.sort(key=lambda r: (-r.open, -r.overdue, r.username or ""))
    return [*rows, row(None)]
