"""The FastAPI application: overview, agency inboxes and the triage queue."""

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.auth import (
    Access,
    AuthConfig,
    CurrentUser,
    Forbidden,
    Permission,
    landing_page,
    require_permission,
)
from inbox.filters import safe_url, wita
from inbox.login import install_auth
from inbox.ops import SchedulerState, ops_router
from models.agencies import list_agencies
from models.complaints import complaints_for_inbox, count_by_inbox_status, mentions_of
from models.mentions import count_by_state, triage_queue
from models.sources import all_health
from models.tables import Agency, User
from models.vocab import ComplaintStatus

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["wita"] = wita
TEMPLATES.env.filters["safe_url"] = safe_url
PAGE_SIZE = 50


def create_app(
    engine: Engine,
    scheduler_state: SchedulerState | None = None,
    *,
    auth_config: AuthConfig,
) -> FastAPI:
    """The web app over the store behind *engine*; *scheduler_state* feeds /healthz.

    /healthz and /metrics stay open for probes and scrapers (no complaint content);
    every page needs a signed-in user with the right permission.
    """
    app = FastAPI(title="aduan", summary="Pengaduan warga dari media sosial")
    app.include_router(ops_router(engine, scheduler_state))
    install_auth(app, engine=engine, config=auth_config, templates=TEMPLATES)
    access = Access()

    def session() -> Any:
        with Session(engine) as s:
            yield s

    SessionDep = Annotated[Session, Depends(session)]

    @app.get("/", response_class=HTMLResponse, response_model=None)
    def overview(
        request: Request, db: SessionDep, user: CurrentUser
    ) -> HTMLResponse | RedirectResponse:
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

    @app.get("/inbox/{code}", response_class=HTMLResponse)
    def inbox(
        request: Request, code: str, db: SessionDep, user: CurrentUser, page: int = 1
    ) -> HTMLResponse:
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

    @app.get("/triage", response_class=HTMLResponse)
    def triage(
        request: Request,
        db: SessionDep,
        user: Annotated[User, Depends(require_permission(Permission.TRIAGE))],
    ) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            request, "triage.html", {"items": triage_queue(session=db, limit=200)}
        )

    return app
