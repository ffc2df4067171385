"""Agency inbox pages: the list of an inbox's complaints."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from inbox.auth import CurrentUser, access
from inbox.web import TEMPLATES, DbSession
from models.complaints import complaints_for_inbox, mentions_of
from models.tables import Agency

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/inbox/{code}", response_class=HTMLResponse)
def inbox(
    request: Request, code: str, db: DbSession, user: CurrentUser, page: int = 1
) -> HTMLResponse:
    """One inbox's complaints, newest first."""
    agency = db.get(Agency, code)
    # Another agency's inbox looks exactly like one that does not exist.
    if agency is None or not access.can_read_inbox(user, code):
        raise HTTPException(status_code=404, detail="Inbox tidak ditemukan")
    page = max(page, 1)
    complaints = complaints_for_inbox(
        session=db, inbox=code, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    mentions = mentions_of(session=db, complaint_ids=[c.id for c in complaints if c.id])
    return TEMPLATES.TemplateResponse(
        request,
        "inbox.html",
        {
            "agency": agency,
            "complaints": complaints,
            "mentions": mentions,
            "page": page,
            "page_size": PAGE_SIZE,
        },
    )
