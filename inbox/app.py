"""The FastAPI application: pages, REST and Open311 APIs, sign-in and operations."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from inbox import api, dashboard_pages, inbox_pages, open311, triage_pages
from inbox.auth import AuthConfig
from inbox.login import install_auth
from inbox.ops import SchedulerState, ops_router
from inbox.web import ENGINE_ATTR, POLICY_ATTR, TEMPLATES
from router.policy import RoutingPolicy

STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    engine: Engine,
    scheduler_state: SchedulerState | None = None,
    *,
    auth_config: AuthConfig,
    policy: RoutingPolicy | None = None,
) -> FastAPI:
    """The web app over the store behind *engine*; *scheduler_state* feeds /healthz.

    /healthz and /metrics stay open for probes and scrapers (no complaint content);
    every page needs a signed-in user with the right permission, every API call a
    token. *policy* (inboxes, triage inbox, deadlines) is needed by the actions that
    move complaints between inboxes; without it those answer 503.
    """
    app = FastAPI(
        title="aduan",
        summary="Pengaduan warga dari media sosial / citizen complaints from social media",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    setattr(app.state, ENGINE_ATTR, engine)
    setattr(app.state, POLICY_ATTR, policy)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(ops_router(engine, scheduler_state))
    install_auth(app, engine=engine, config=auth_config, templates=TEMPLATES)
    for module in (dashboard_pages, inbox_pages, triage_pages, api, open311):
        app.include_router(module.router)
    return app
