"""The ingestion daemon: scheduled harvest, routing, delivery and retention, plus the web inbox."""

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import uvicorn
from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from aduan import jobs
from aduan.log_privacy import install_log_filter
from aduan.settings import Settings, SourceConfig, WebConfig
from aduan.shutdown import install_stop_handlers
from aduan.web_app import build_web_app, health_app
from aduan.wiring import contacts, recipients, reply_policy_for
from inbox.log_redaction import redact_access_log
from inbox.sessions import AuthConfig
from models.sources import record_source_failure
from models.store_health import describe, store_problem
from models.vocab import JobOutcome, StoreProblem
from models.wita import WITA
from router.arrival import RouteOnArrival
from router.route import Classifier

log = logging.getLogger(__name__)

#: how late the daily retention job may still start after its hour (a restart, a stall)
RETENTION_GRACE_SECONDS = 6 * 3600


#: what a failed job's log line says for each kind of store problem
_STORE_PROBLEM_LOG: dict[StoreProblem, str] = {
    StoreProblem.UNAVAILABLE: "job %s: store unavailable (%s); retrying on later ticks",
    StoreProblem.DISK_FULL: "job %s: store refuses writes, disk full (%s); "
    "free space, the job retries on later ticks",
    StoreProblem.READ_ONLY: "job %s: store is read-only (%s); retrying on later ticks",
    StoreProblem.DATA_ERROR: "job %s: data error, the store refused a record (%s); "
    "retrying on later ticks",
    StoreProblem.BUSY: "job %s: store busy, another writer held it too long (%s); "
    "retrying on later ticks",
    StoreProblem.OTHER: "job %s: store error (%s); retrying on later ticks",
}
#: at most one "ticks skipped" line per job in this many seconds
SKIP_LOG_SECONDS = 60.0
#: the message APScheduler logs on every skipped tick; counted and logged by TrackedJob instead
_SKIP_MESSAGE = 'Execution of job "%s" skipped: maximum number of running instances reached'


class _QuietSkips(logging.Filter):
    """Drops APScheduler's own line per skipped tick (the job logs a summary instead)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_SKIP_MESSAGE)


_SCHEDULER_LOG = logging.getLogger("apscheduler.scheduler")
_SCHEDULER_LOG.addFilter(_QuietSkips())


class TrackedJob:
    """A scheduled job that records its last outcome (for /healthz and /metrics) and logs
    a failure once per streak instead of a traceback every tick."""

    def __init__(
        self,
        name: str,
        work: Any,
        *,
        on_error: Callable[[BaseException], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.work = work
        self.on_error = on_error
        self.clock = clock
        self.failing = False
        self.outcome = JobOutcome.NOT_RUN
        #: a StoreProblem, or the exception's class for any other failure
        self.problem: str | None = None
        self.error: str | None = None
        self.last_run_at: datetime | None = None
        self.last_ok_at: datetime | None = None
        self.consecutive_failures = 0
        #: ticks skipped because the previous run was still going
        self.skipped = 0
        self._skips_unlogged = 0
        self._skips_logged_at: float | None = None

    def __call__(self) -> None:
        self.last_run_at = datetime.now(UTC)
        try:
            self.work()
        except SQLAlchemyError as err:
            problem = store_problem(err)
            detail = describe(err)
            if not self.failing or self.problem != problem:
                log.error(_STORE_PROBLEM_LOG[problem], self.name, detail)
            self._failed(err, problem, detail)
            return
        except Exception as err:
            if not self.failing:
                log.exception("job %s failed; retrying on later ticks", self.name)
            self._failed(err, type(err).__name__, f"{type(err).__name__}: {err}"[:500])
            return
        if self.failing:
            log.info("job %s recovered", self.name)
        self.failing = False
        self.outcome, self.problem, self.error = JobOutcome.OK, None, None
        self.consecutive_failures = 0
        self.last_ok_at = datetime.now(UTC)

    def _failed(self, err: BaseException, problem: str, detail: str) -> None:
        self.failing = True
        self.outcome, self.problem, self.error = JobOutcome.FAILED, problem, detail
        self.consecutive_failures += 1
        if self.on_error is not None:
            try:
                self.on_error(err)
            except Exception as record_err:  # the store that just failed may refuse this too
                log.debug("job %s: could not record the failure: %s", self.name, record_err)

    def skipped_tick(self) -> None:
        """Count a tick skipped because the last run still goes; log once a minute at most."""
        self.skipped += 1
        self._skips_unlogged += 1
        now = self.clock()
        if self._skips_logged_at is not None and now - self._skips_logged_at < SKIP_LOG_SECONDS:
            return
        log.warning(
            "job %s: still running, %d tick(s) skipped (%d in all); it runs again when done",
            self.name,
            self._skips_unlogged,
            self.skipped,
        )
        self._skips_logged_at, self._skips_unlogged = now, 0

    def state(self) -> dict[str, Any]:
        """The last outcome, for /healthz and /metrics."""
        return {
            "outcome": self.outcome.value,
            "problem": self.problem,
            "error": self.error,
            "last_run_at": _iso(self.last_run_at),
            "last_ok_at": _iso(self.last_ok_at),
            "consecutive_failures": self.consecutive_failures,
            "skipped": self.skipped,
        }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


#: the routing job's id; a harvest that stored something asks it to run at once
ROUTE_JOB = "route"


class RouteSoon:
    """The routing job's work, which a harvest can ask to run right away.

    A harvest that stored mentions calls ``kick``: the route job is moved to now, so
    they reach their inbox (or triage) within a second or two instead of waiting for
    the next tick; the job's own schedule stays as the fallback. A kick while routing
    runs makes that run go round once more (the scheduler would only count a skipped
    tick). It stays one APScheduler job, so its outcome, failures and skipped ticks
    are reported as before, and ``router.route.route_pending`` still takes the route
    lock batch by batch, so routers of several instances keep taking turns.
    """

    def __init__(self, work: Callable[[], object]) -> None:
        self.work = work
        self.scheduler: BaseScheduler | None = None
        self._lock = threading.Lock()
        self._running = False
        self._again = False

    def __call__(self) -> None:
        with self._lock:
            self._running = True
        try:
            while True:
                with self._lock:
                    self._again = False
                self.work()
                with self._lock:
                    if not self._again:
                        return
        finally:
            with self._lock:
                self._running = False

    def kick(self) -> None:
        """Route as soon as possible: now, or once more right after the run going on."""
        with self._lock:
            if self._running:
                self._again = True
                return
        if self.scheduler is None:
            return
        try:
            self.scheduler.modify_job(ROUTE_JOB, next_run_time=datetime.now(UTC))
        except JobLookupError:
            log.debug("no routing job to run (the scheduler is stopping)")


def harvest_jitter(interval_seconds: float) -> float:
    """How far (seconds, either way) a harvest's tick is moved at random: a quarter of its
    interval, at most 30 s. Instances sharing a store take a source by a try-lock and skip
    it when another holds it; started in the same second with the same schedule, their
    ticks would stay in step and the first one would take the source every time."""
    return min(interval_seconds / 4, 30.0)


def build_scheduler(
    settings: Settings, engine: Engine, predictor: Classifier
) -> BackgroundScheduler:
    """A scheduler with one harvest job per enabled source and the routing job."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60},
        logger=_SCHEDULER_LOG,
    )
    scheduler.add_listener(lambda event: _skipped(scheduler, event.job_id), EVENT_JOB_MAX_INSTANCES)
    now = datetime.now(UTC)
    route_soon = RouteSoon(
        lambda: jobs.route(settings=settings, engine=engine, classifier=predictor)
    )
    route_soon.scheduler = scheduler
    after_store = route_soon.kick if settings.routing.after_harvest else None
    arrival = jobs.arrival_for(settings, predictor)
    for source in settings.sources:
        if not source.enabled:
            continue
        scheduler.add_job(
            TrackedJob(
                f"harvest:{source.name}",
                _harvester(engine, source, after_store=after_store, arrival=arrival),
                on_error=_source_failure(engine, source),
            ),
            "interval",
            seconds=source.schedule.interval_seconds,
            jitter=harvest_jitter(source.schedule.interval_seconds),
            id=f"harvest:{source.name}",
            next_run_time=now,
        )
    config, targets, further = settings.delivery, recipients(settings), contacts(settings)
    replies = reply_policy_for(settings)
    scheduler.add_job(
        TrackedJob(
            "deliver",
            lambda: jobs.deliver(
                engine=engine, config=config, targets=targets, further=further, replies=replies
            ),
        ),
        "interval",
        seconds=settings.delivery.schedule.interval_seconds,
        id="deliver",
        next_run_time=now,
    )
    # On its schedule, and at once after a harvest that stored something (RouteSoon).
    scheduler.add_job(
        TrackedJob(ROUTE_JOB, route_soon),
        "interval",
        seconds=settings.routing.schedule.interval_seconds,
        id=ROUTE_JOB,
        next_run_time=now,
    )
    # The watchers of issue 14, each on its own schedule when turned on.
    watchers = (
        ("escalate", settings.escalation, jobs.escalate),
        ("source-alerts", settings.alerts, jobs.source_alerts),
        ("incidents", settings.incidents, jobs.incidents),
    )
    for name, section, job in watchers:
        if not section.enabled:
            continue
        scheduler.add_job(
            TrackedJob(name, partial(job, settings=settings, engine=engine)),
            "interval",
            seconds=section.schedule.interval_seconds,
            id=name,
            next_run_time=now,
        )
    # Daily, at a quiet hour in Denpasar; a daemon down at that hour runs it when it
    # is back within the grace time, and an interrupted run resumes the next day.
    scheduler.add_job(
        TrackedJob("retention", lambda: jobs.retention(settings=settings, engine=engine)),
        "cron",
        hour=settings.privacy.retention.hour,
        minute=0,
        timezone=WITA,
        id="retention",
        misfire_grace_time=RETENTION_GRACE_SECONDS,
    )
    return scheduler


def scheduler_state(scheduler: BackgroundScheduler) -> dict[str, Any]:
    """Whether the scheduler runs, and each job's next run and last outcome (for /healthz)."""
    jobs: dict[str, Any] = {}
    for job in scheduler.get_jobs():
        # a job added before the scheduler starts has no next run time yet
        entry = {"next_run": _iso(getattr(job, "next_run_time", None))}
        if isinstance(job.func, TrackedJob):
            entry.update(job.func.state())
        jobs[job.id] = entry
    return {"running": bool(scheduler.running), "jobs": jobs}


def _skipped(scheduler: BackgroundScheduler, job_id: str) -> None:
    job = scheduler.get_job(job_id)
    if job is not None and isinstance(job.func, TrackedJob):
        job.func.skipped_tick()


def _source_failure(engine: Engine, source: SourceConfig) -> Callable[[BaseException], None]:
    """Records an error the harvester did not handle in the source's health (not 'idle')."""

    def record(err: BaseException) -> None:
        problem = store_problem(err) if isinstance(err, SQLAlchemyError) else None
        detail = describe(err) if problem else ""
        record_source_failure(
            engine=engine,
            source=source.name,
            platform=source.platform,
            error_class="StoreError" if problem else type(err).__name__,
            message=f"{problem.value}: {detail}" if problem else f"{type(err).__name__}: {err}",
        )

    return record


def _harvester(
    engine: Engine,
    source: SourceConfig,
    *,
    after_store: Callable[[], None] | None = None,
    arrival: RouteOnArrival | None = None,
) -> Callable[[], None]:
    """One harvest of *source*, routing its new mentions as they arrive with *arrival*;
    *after_store* is called when it stored mentions left for the routing job."""

    def run() -> None:
        result = jobs.harvest(engine=engine, source=source, arrival=arrival)
        if result.stored > result.routed and after_store is not None:
            after_store()

    return run


def web_server_config(
    web: WebConfig,
    app: Any,
    *,
    log_level: str = "warning",
    host: str | None = None,
    port: int | None = None,
    workers: int = 1,
) -> uvicorn.Config:
    """How uvicorn serves *app*: address, port, and which proxies' headers it believes.

    *app* is the app itself, or for several *workers* the import string of a factory
    (``aduan.web_app.FACTORY``) each worker process builds its own app with. *host* and
    *port* override the config's.

    uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise, so a
    process on the same machine could pose as any address (and dodge the sign-in
    limits). Only ``web.trusted_proxies`` are believed; with none, the TCP peer is the
    client. The access log never shows an ``api_key`` (``inbox.log_redaction``).
    """
    trusted = [str(network) for network in web.trusted_proxies]
    config = uvicorn.Config(
        app,
        host=web.host if host is None else host,
        port=web.port if port is None else port,
        workers=workers,
        factory=isinstance(app, str),
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


def _exit_when(stop: threading.Event, server: uvicorn.Server) -> None:
    stop.wait()
    server.should_exit = True


def run_daemon(
    settings: Settings,
    engine: Engine,
    predictor: Classifier,
    *,
    serve_web: bool = True,
    auth_config: AuthConfig | None = None,
    stop: threading.Event | None = None,
    health_port: int | None = None,
) -> None:
    """Run until SIGINT or SIGTERM (or *stop* is set); the web inbox runs in the same
    process if enabled, else /healthz and /metrics alone on *health_port* if given.
    A *stop* already set (a signal during start-up) ends it at once."""
    # Whoever embeds the daemon, its logs pass the personal-data and secrets filter.
    install_log_filter()
    # uvicorn handles SIGINT/SIGTERM itself, then re-raises the signal to the handler
    # it found: this one, so the process ends with status 0 after a clean shutdown.
    stop = install_stop_handlers(stop)
    if stop.is_set():
        log.info("stopped during start-up, before any job ran")
        return
    jobs.record_config(settings=settings, engine=engine)
    scheduler = build_scheduler(settings, engine, predictor)
    scheduler.start()
    log.info("daemon started: %d jobs", len(scheduler.get_jobs()))
    try:
        port = None
        if serve_web and settings.web.enabled:
            assert auth_config is not None, "the web inbox needs its sign-in settings"
            app = build_web_app(
                settings,
                engine,
                auth_config=auth_config,
                scheduler_state=lambda: scheduler_state(scheduler),
            )
        elif health_port is not None:
            # The inbox is served elsewhere (`aduan web`); this daemon's jobs still report.
            app, port = health_app(engine, lambda: scheduler_state(scheduler)), health_port
        else:
            app = None
        if app is not None:
            server = uvicorn.Server(web_server_config(settings.web, app, port=port))
            # a stop asked for before uvicorn put its own handlers in place
            threading.Thread(
                target=_exit_when, args=(stop, server), name="stop-watcher", daemon=True
            ).start()
            server.run()
        else:
            stop.wait()
    finally:
        log.info("stopping: waiting for running jobs to finish")
        scheduler.shutdown(wait=True)
