"""The web inbox built from the settings: embedded in the daemon, or served on its own.

``aduan run`` serves it in the daemon's process (the single-machine default); ``aduan
web --workers N`` serves it alone in N uvicorn worker processes, each of which builds
its app with ``app_from_environment`` (the factory named by ``FACTORY``) from the
config file named by ``$ADUAN_CONFIG``. Everything the workers must agree on lives in
the store or in signed cookies: sessions, CSRF tokens, sign-in attempts and the
tracking page's look-ups (``models.lookup_limits``), and the cookie key is read from
the same variable or key file by each.
"""

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from aduan.config_view import redacted_config
from aduan.log_privacy import install_log_filter
from aduan.settings import Settings, load_settings
from aduan.wiring import (
    auth_config_for,
    calendar_for,
    engine_for,
    original_text_roles,
    policy_for,
)
from inbox.app import create_app
from inbox.ops import ops_router
from inbox.security_headers import SecurityHeaders
from inbox.sessions import AuthConfig

log = logging.getLogger(__name__)

#: the import string uvicorn's worker processes build the app from
FACTORY = "aduan.web_app:app_from_environment"


def build_web_app(
    settings: Settings,
    engine: Engine,
    *,
    auth_config: AuthConfig,
    scheduler_state: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    """The web inbox over *engine* as *settings* configure it; *scheduler_state* (the
    embedded daemon's jobs) feeds /healthz, which without it reports the store only."""
    return create_app(
        engine,
        scheduler_state=scheduler_state,
        auth_config=auth_config,
        policy=policy_for(settings),
        read_caps={s.name: s.monthly_read_cap for s in settings.sources if s.monthly_read_cap},
        config_view=redacted_config(settings),
        original_text_roles=original_text_roles(settings),
        api_docs=settings.web.api_docs,
        calendar=calendar_for(settings),
        tracking_per_minute=settings.public.tracking_per_minute,
    )


def health_app(engine: Engine, scheduler_state: Callable[[], dict[str, Any]]) -> FastAPI:
    """Only /healthz and /metrics, for a daemon whose inbox ``aduan web`` serves."""
    app = FastAPI(title="aduan", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders)
    app.include_router(ops_router(engine, scheduler_state))
    return app


def app_from_environment() -> FastAPI:
    """One ``aduan web`` worker's app: the config of ``$ADUAN_CONFIG`` (set by the command),
    over a store the command has already migrated."""
    root = logging.getLogger()
    if not root.handlers:  # a fresh worker process: log like the command, filtered
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    install_log_filter()
    settings = load_settings(None)
    app = build_web_app(settings, engine_for(settings), auth_config=auth_config_for(settings))
    log.info("web worker ready")
    return app
