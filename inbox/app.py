"""The FastAPI application: pages, REST and Open311 APIs, sign-in and operations."""

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from inbox import (
    admin_pages,
    api,
    bulk_export,
    complaint_pages,
    dashboard_charts,
    dashboard_pages,
    delivery_pages,
    desk_pages,
    inbox_pages,
    open311,
    privacy_pages,
    reply_pages,
    tracking_pages,
    triage_pages,
    view_pages,
)
from inbox.api_docs import OPENAPI_URL
from inbox.api_docs import router as api_docs_router
from inbox.log_redaction import redact_access_log
from inbox.login import install_auth
from inbox.ops import SchedulerState, ops_router
from inbox.security_headers import SecurityHeaders
from inbox.sessions import AuthConfig
from inbox.source_status import READ_CAPS_ATTR
from inbox.web import (
    CALENDAR_ATTR,
    DEFAULT_ORIGINAL_ROLES,
    ENGINE_ATTR,
    ORIGINAL_ROLES_ATTR,
    POLICY_ATTR,
    TEMPLATES,
)
from lifecycle.deadlines import WorkingCalendar
from router.policy import RoutingPolicy

STATIC_DIR = Path(__file__).parent / "static"
#: every router of pages and APIs (sign-in and /healthz, /metrics are added apart);
#: tests/inbox/test_route_access.py checks each of their routes against every role
ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        dashboard_pages,
        dashboard_charts,
        delivery_pages,
        inbox_pages,
        complaint_pages,
        desk_pages,
        bulk_export,
        view_pages,
        triage_pages,
        admin_pages,
        privacy_pages,
        reply_pages,
        tracking_pages,
        api,
        open311,
    )
)


def create_app(
    engine: Engine,
    scheduler_state: SchedulerState | None = None,
    *,
    auth_config: AuthConfig,
    policy: RoutingPolicy | None = None,
    read_caps: Mapping[str, int] | None = None,
    config_view: Mapping[str, Any] | None = None,
    original_text_roles: Collection[str] | None = None,
    api_docs: bool = False,
    calendar: WorkingCalendar | None = None,
    tracking_per_minute: int = tracking_pages.DEFAULT_PER_MINUTE,
) -> FastAPI:
    """The web app over the store behind *engine*; *scheduler_state* feeds /healthz.

    /healthz and /metrics stay open for probes and scrapers (no complaint content);
    every page needs a signed-in user with the right permission, every API call a
    token. *policy* (inboxes, triage inbox, deadlines) is needed by the actions that
    move complaints between inboxes; without it those answer 503. *read_caps* are the
    configured monthly read caps per source, shown beside each source's reads.
    *config_view* (``aduan.config_view.redacted_config``) is the admin's read-only view
    of the running configuration; without it that page says it is not available.
    *original_text_roles* may ask for citizens' unmasked text (default: admin, operator).
    *api_docs* serves the OpenAPI document (``/api/openapi.json``, open to anyone: it
    describes the API, it holds no data) and Swagger UI (``/api/docs``, from vendored
    files); both are off by default. *calendar* counts response times in working
    hours (default: Indonesia's). *tracking_per_minute*: look-ups of the public
    tracking page /lacak per client address and minute.
    """
    app = FastAPI(
        title="aduan",
        summary="Pengaduan warga dari media sosial / citizen complaints from social media",
        # FastAPI's own docs page loads Swagger UI from a CDN with an inline script;
        # ours (inbox.api_docs) is served from /static under the site's CSP.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL if api_docs else None,
    )
    setattr(app.state, ENGINE_ATTR, engine)
    setattr(app.state, POLICY_ATTR, policy)
    setattr(app.state, CALENDAR_ATTR, calendar)
    setattr(app.state, READ_CAPS_ATTR, dict(read_caps or {}))
    setattr(app.state, tracking_pages.TRACKING_RATE_ATTR, tracking_per_minute)
    setattr(app.state, admin_pages.CONFIG_VIEW_ATTR, config_view)
    roles = (
        DEFAULT_ORIGINAL_ROLES if original_text_roles is None else frozenset(original_text_roles)
    )
    setattr(app.state, ORIGINAL_ROLES_ATTR, roles)
    app.add_middleware(SecurityHeaders)
    # Whoever serves the app (the daemon, a test) logs no api_key.
    redact_access_log()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(ops_router(engine, scheduler_state))
    install_auth(app, engine=engine, config=auth_config, templates=TEMPLATES)
    if api_docs:
        app.include_router(api_docs_router)
    for router in ROUTERS:
        app.include_router(router)
    return app
