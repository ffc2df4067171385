"""The ingestion daemon: scheduled harvest, routing, delivery and retention, plus the web inbox."""

import logging
import signal
import threading
from datetime import UTC, datetime
from typing import Any

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from aduan import jobs
from aduan.config_view import redacted_config
from aduan.log_privacy import install_log_filter
from aduan.settings import Settings, SourceConfig, WebConfig
from aduan.wiring import original_text_roles, policy_for, recipients, reply_policy_for
from inbox.app import create_app
from inbox.log_redaction import redact_access_log
from inbox.sessions import AuthConfig
from models.wita import WITA
from router.route import Classifier

log = logging.getLogger(__name__)

#: how late the daily retention job may still start after its hour (a restart, a stall)
RETENTION_GRACE_SECONDS = 6 * 3600


class _Job:
    """A scheduled job that logs a failure once per streak instead of a traceback every tick."""

    def __init__(self, name: str, work: Any) -> None:
        self.name = name
        self.work = work
        self.failing = False

    def __call__(self) -> None:
        try:
            self.work()
        except SQLAlchemyError as err:
            if not self.failing:
                log.error("job %s: store unavailable (%s); retrying on later ticks", self.name, err)
            self.failing = True
            return
        except Exception:
            if not self.failing:
                log.exception("job %s failed; retrying on later ticks", self.name)
            self.failing = True
            return
        if self.failing:
            log.info("job %s recovered", self.name)
        self.failing = False


def build_scheduler(
    settings: Settings, engine: Engine, predictor: Classifier
) -> BackgroundScheduler:
    """A scheduler with one harvest job per enabled source and the routing job."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60},
    )
    now = datetime.now(UTC)
    for source in settings.sources:
        if not source.enabled:
            continue
        scheduler.add_job(
            _Job(f"harvest:{source.name}", _harvester(engine, source)),
            "interval",
            seconds=source.schedule.interval_seconds,
            id=f"harvest:{source.name}",
            next_run_time=now,
        )
    config, targets = settings.delivery, recipients(settings)
    replies = reply_policy_for(settings)
    scheduler.add_job(
        _Job(
            "deliver",
            lambda: jobs.deliver(engine=engine, config=config, targets=targets, replies=replies),
        ),
        "interval",
        seconds=settings.delivery.schedule.interval_seconds,
        id="deliver",
        next_run_time=now,
    )
    scheduler.add_job(
        _Job("route", lambda: jobs.route(settings=settings, engine=engine, classifier=predictor)),
        "interval",
        seconds=settings.routing.schedule.interval_seconds,
        id="route",
        next_run_time=now,
    )
    # Daily, at a quiet hour in Denpasar; a daemon down at that hour runs it when it
    # is back within the grace time, and an interrupted run resumes the next day.
    scheduler.add_job(
        _Job("retention", lambda: jobs.retention(settings=settings, engine=engine)),
        "cron",
        hour=settings.privacy.retention.hour,
        minute=0,
        timezone=WITA,
        id="retention",
        misfire_grace_time=RETENTION_GRACE_SECONDS,
    )
    return scheduler


def scheduler_state(scheduler: BackgroundScheduler) -> dict[str, Any]:
    """Whether the scheduler runs, and when each job runs next (for /healthz)."""
    return {
        "running": bool(scheduler.running),
        "jobs": {
            job.id: job.next_run_time.isoformat() if job.next_run_time else None
            for job in scheduler.get_jobs()
        },
    }


def _harvester(engine: Engine, source: SourceConfig) -> Any:
    return lambda: jobs.harvest(engine=engine, source=source)


def web_server_config(web: WebConfig, app: Any, *, log_level: str = "warning") -> uvicorn.Config:
    """How uvicorn serves *app*: address, port, and which proxies' headers it believes.

    uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise, so a
    process on the same machine could pose as any address (and dodge the sign-in
    limits). Only ``web.trusted_proxies`` are believed; with none, the TCP peer is the
    client. The access log never shows an ``api_key`` (``inbox.log_redaction``).
    """
    trusted = [str(network) for network in web.trusted_proxies]
    config = uvicorn.Config(
        app,
        host=web.host,
        port=web.port,
        log_level=log_level,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or "",
        server_header=False,
        # uvicorn's own handlers would bypass the privacy filter on the root's;
        # without a config of its own its records propagate to the root.
        log_config=None,
    )
    redact_access_log()
    return config


def run_daemon(
    settings: Settings,
    engine: Engine,
    predictor: Classifier,
    *,
    serve_web: bool = True,
    auth_config: AuthConfig | None = None,
) -> None:
    """Run until SIGINT or SIGTERM; the web inbox runs in the same process if enabled."""
    # Whoever embeds the daemon, its logs pass the personal-data and secrets filter.
    install_log_filter()
    jobs.record_config(settings=settings, engine=engine)
    scheduler = build_scheduler(settings, engine, predictor)
    stop = threading.Event()
    # uvicorn handles SIGINT/SIGTERM itself, then re-raises the signal to the handler
    # it found: this one, so the process ends with status 0 after a clean shutdown.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    log.info("daemon started: %d jobs", len(scheduler.get_jobs()))
    try:
        if serve_web and settings.web.enabled:
            assert auth_config is not None, "the web inbox needs its sign-in settings"
            app = create_app(
                engine,
                scheduler_state=lambda: scheduler_state(scheduler),
                auth_config=auth_config,
                policy=policy_for(settings),
                read_caps={
                    s.name: s.monthly_read_cap for s in settings.sources if s.monthly_read_cap
                },
                config_view=redacted_config(settings),
                original_text_roles=original_text_roles(settings),
                api_docs=settings.web.api_docs,
                tracking_per_minute=settings.public.tracking_per_minute,
            )
            config = web_server_config(settings.web, app)
            uvicorn.Server(config).run()
        else:
            stop.wait()
    finally:
        log.info("stopping: waiting for running jobs to finish")
        scheduler.shutdown(wait=True)
