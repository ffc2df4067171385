"""The Kominfo triage queue page."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from inbox.auth import Permission, require_permission
from inbox.web import TEMPLATES, DbSession
from models.mentions import triage_queue
from models.tables import User

router = APIRouter(include_in_schema=False)


@router.get("/triage", response_class=HTMLResponse)
def triage(
    request: Request,
    db: DbSession,
    user: Annotated[User, Depends(require_permission(Permission.TRIAGE))],
) -> HTMLResponse:
    """Mentions the model was unsure of, oldest first."""
    return TEMPLATES.TemplateResponse(
        request, "triage.html", {"items": triage_queue(session=db, limit=200)}
    )
