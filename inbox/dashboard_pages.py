"""The Kominfo overview page (``/``): complaints per inbox and status, sources."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from inbox.auth import CurrentUser, Forbidden, Permission, access, landing_page
from inbox.web import TEMPLATES, DbSession
from models.agencies import list_agencies
from models.complaints import count_by_inbox_status
from models.mentions import count_by_state
from models.sources import all_health
from models.vocab import ComplaintStatus

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, response_model=None)
def overview(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse | RedirectResponse:
    """Complaints per inbox and status, mention states and source health."""
    if not access.can(user, Permission.DASHBOARD):
        # Agency staff have no city overview: their inbox is their home page.
        home = landing_page(user)
        if home == "/":
            raise Forbidden()
        return RedirectResponse(home, status_code=303)
    counts = count_by_inbox_status(session=db)
    rows = [
        {
            "agency": agency,
            "by_status": {s: counts.get((agency.code, s), 0) for s in ComplaintStatus},
            "total": sum(n for (code, _), n in counts.items() if code == agency.code),
        }
        for agency in list_agencies(session=db)
    ]
    return TEMPLATES.TemplateResponse(
        request,
        "overview.html",
        {
            "rows": rows,
            "statuses": list(ComplaintStatus),
            "mentions": count_by_state(session=db),
            "sources": all_health(session=db),
        },
    )
