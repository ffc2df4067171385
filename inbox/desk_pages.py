"""The agency desk: "Pengaduan saya", the complaints a petugas is assigned.

An agency user sees the open complaints of their own inbox they are petugas of (with
``semua=1`` the finished ones too); Kominfo staff are nobody's petugas and get the page
with an explanation. Viewers read no complaints (403). The navigation shows the count.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from inbox.access import Forbidden, Permission, access
from inbox.auth import CurrentUser, signed_in_user
from inbox.web import TEMPLATES, DbSession, store_engine
from lifecycle.assignment import MY_LIMIT, count_mine, my_complaints
from lifecycle.reports import overdue_step
from models.types import utcnow
from models.vocab import OVERDUE_LABELS, STATUS_LABELS, Role

router = APIRouter(include_in_schema=False)


def my_open_count(request: Request) -> int | None:
    """The navigation's count of the signed-in agency user's open complaints; else None."""
    user = signed_in_user(request)
    if user is None or user.role != Role.AGENCY:
        return None
    with Session(store_engine(request)) as db:
        return count_mine(session=db, user=user)


TEMPLATES.env.globals["my_open_count"] = my_open_count


@router.get("/pengaduan-saya", response_class=HTMLResponse)
def my_complaints_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    """The complaints the signed-in petugas is assigned, oldest first."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise Forbidden()
    everything = request.query_params.get("semua") == "1"
    now = utcnow()
    rows = [
        (c, overdue_step(c, now))
        for c in my_complaints(session=db, user=user, open_only=not everything)
    ]
    context = {
        "rows": rows,
        "everything": everything,
        "is_petugas": user.role == Role.AGENCY,
        "limit": MY_LIMIT,
        "statuses": STATUS_LABELS,
        "overdue_labels": OVERDUE_LABELS,
    }
    return TEMPLATES.TemplateResponse(request, "my_complaints.html", context)
