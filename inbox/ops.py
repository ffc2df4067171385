"""Operations endpoints: ``/healthz`` for probes and ``/metrics`` for Prometheus."""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from models.sources import all_health
from models.store_health import write_probe
from models.tables import Complaint, Mention, Outbox, SourceHealth
from models.types import utcnow
from models.vocab import JobOutcome, MentionState, SourceState, StoreProblem

#: a source health state as a number, for alerting rules (higher is worse)
SOURCE_STATES: dict[str, int] = {
    SourceState.OK: 0,
    SourceState.IDLE: 1,
    SourceState.FAILING: 2,
    SourceState.RATE_LIMITED: 3,
    SourceState.BUDGET_EXHAUSTED: 4,
    SourceState.DISABLED: 5,
}

SchedulerState = Callable[[], dict[str, Any]]
#: a source whose runs failed this many times in a row is reported stuck
STUCK_AFTER_FAILURES = 3
#: store problems that mean writes are refused (not a record's or the network's fault)
_WRITE_REFUSALS = (StoreProblem.DISK_FULL, StoreProblem.READ_ONLY)
_PAUSED = (SourceState.RATE_LIMITED, SourceState.BUDGET_EXHAUSTED, SourceState.DISABLED)


def ops_router(engine: Engine, scheduler_state: SchedulerState | None = None) -> APIRouter:
    """The /healthz and /metrics routes over *engine*."""
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        state = scheduler_state() if scheduler_state else None
        body: dict[str, Any] = {"scheduler": state}
        try:
            with Session(engine) as session:
                session.connection().execute(text("SELECT 1"))
                body["pending"] = _count(session, Mention.state == MentionState.PENDING)
                health = all_health(session=session)
        except SQLAlchemyError as err:
            body["store"] = f"unreachable: {type(err).__name__}"
            body["status"] = "failing"
            return JSONResponse(body, status_code=503)
        jobs: dict[str, Any] = (state or {}).get("jobs") or {}
        body["store"] = _store_state(write_probe(engine), jobs)
        body["sources"] = {h.source: _source(h, jobs.get(f"harvest:{h.source}")) for h in health}
        problems = _problems(body, state, jobs)
        body["problems"] = problems
        # Quarantined records need a person, not a restart: said, without a 503.
        body["warnings"] = _warnings(body)
        body["status"] = "ok" if not problems else "degraded"
        return JSONResponse(body, status_code=200 if not problems else 503)

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoreCollector(engine))
        if scheduler_state is not None:
            registry.register(JobCollector(scheduler_state))
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")

    return router


class JobCollector(Collector):
    """This daemon's scheduled jobs: last outcome, failure streak, skipped ticks."""

    def __init__(self, scheduler_state: SchedulerState) -> None:
        self.scheduler_state = scheduler_state

    def collect(self) -> Iterator[Metric]:
        """One scrape's job metrics."""
        jobs: dict[str, Any] = self.scheduler_state().get("jobs") or {}
        skipped = CounterMetricFamily(
            "aduan_job_skipped",
            "Ticks skipped because the job's previous run was still going",
            labels=["job"],
        )
        failed = GaugeMetricFamily(
            "aduan_job_failed", "1 when the job's last run failed, else 0", labels=["job"]
        )
        streak = GaugeMetricFamily(
            "aduan_job_consecutive_failures", "Failed runs since the last success", labels=["job"]
        )
        for name, job in sorted(jobs.items()):
            skipped.add_metric([name], int(job.get("skipped") or 0))
            failed.add_metric([name], int(job.get("outcome") == JobOutcome.FAILED))
            streak.add_metric([name], int(job.get("consecutive_failures") or 0))
        yield from (skipped, failed, streak)


class StoreCollector(Collector):
    """Reads the figures from the store at scrape time, so every daemon instance agrees."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """One scrape's metrics."""
        with Session(self.engine) as session:
            health = all_health(session=session)
            filed = session.exec(select(Complaint.inbox, func.count()).group_by(Complaint.inbox))
            filed_by_inbox = list(filed)
            states = list(session.exec(select(Mention.state, func.count()).group_by(Mention.state)))
            outbox = list(
                session.exec(
                    select(Outbox.channel, Outbox.status, func.count()).group_by(
                        Outbox.channel, Outbox.status
                    )
                )
            )
            failing = list(
                session.exec(
                    select(Outbox.channel, func.count())
                    .where(Outbox.status == "pending")
                    .where(Outbox.attempts > 0)
                    .group_by(Outbox.channel)
                )
            )
        ingested = CounterMetricFamily(
            "aduan_mentions_ingested", "Mentions stored per source", labels=["source"]
        )
        state = GaugeMetricFamily(
            "aduan_source_state",
            "0 ok, 1 idle, 2 failing, 3 rate limited, 4 budget exhausted, 5 disabled",
            labels=["source"],
        )
        failures = GaugeMetricFamily(
            "aduan_source_consecutive_failures",
            "Failed runs since the last success",
            labels=["source"],
        )
        quarantined = CounterMetricFamily(
            "aduan_source_quarantined",
            "Records a source could not store, kept in the quarantine",
            labels=["source"],
        )
        reads = GaugeMetricFamily(
            "aduan_source_reads_this_month", "Items read this month", labels=["source"]
        )
        limited = GaugeMetricFamily(
            "aduan_source_paused_seconds",
            "Seconds until a rate-limited source resumes",
            labels=["source"],
        )
        now = utcnow()
        for h in health:
            ingested.add_metric([h.source], h.total_ingested)
            state.add_metric(
                [h.source], SOURCE_STATES.get(h.state, SOURCE_STATES[SourceState.FAILING])
            )
            failures.add_metric([h.source], h.consecutive_failures)
            quarantined.add_metric([h.source], h.total_quarantined)
            reads.add_metric([h.source], h.reads_this_month)
            until = h.rate_limited_until
            limited.add_metric([h.source], max((until - now).total_seconds(), 0) if until else 0)
        complaints = CounterMetricFamily(
            "aduan_complaints_filed", "Complaints filed per inbox", labels=["inbox"]
        )
        for inbox, n in filed_by_inbox:
            complaints.add_metric([inbox], n)
        mentions = GaugeMetricFamily(
            "aduan_mentions", "Mentions by routing state", labels=["state"]
        )
        triage = GaugeMetricFamily("aduan_triage_size", "Mentions waiting in triage")
        triage_size = 0
        for name, n in states:
            mentions.add_metric([name], n)
            if name == MentionState.TRIAGE:
                triage_size = n
        triage.add_metric([], triage_size)
        deliveries = GaugeMetricFamily(
            "aduan_deliveries",
            "Notifications by channel and status (pending, sent, dead)",
            labels=["channel", "status"],
        )
        for channel, status, n in outbox:
            deliveries.add_metric([channel, status], n)
        retrying = GaugeMetricFamily(
            "aduan_deliveries_failed",
            "Notifications that failed at least once and are waiting to be retried",
            labels=["channel"],
        )
        for channel, n in failing:
            retrying.add_metric([channel], n)
        yield from (
            ingested,
            state,
            failures,
            quarantined,
            reads,
            limited,
            complaints,
            mentions,
            triage,
            deliveries,
            retrying,
        )


def _store_state(probe: StoreProblem | None, jobs: dict[str, Any]) -> str:
    """ "ok", or why the store refuses writes: the probe's answer, else a job's last failure."""
    if probe is not None and probe is not StoreProblem.BUSY:
        return probe.value
    for job in jobs.values():
        if job.get("outcome") == JobOutcome.FAILED and job.get("problem") in _WRITE_REFUSALS:
            return str(job["problem"])
    return "ok" if probe is None else probe.value


def _problems(
    body: dict[str, Any], state: dict[str, Any] | None, jobs: dict[str, Any]
) -> list[str]:
    """What keeps the daemon from doing its work, one line each."""
    problems = []
    if state is not None and not state.get("running", False):
        problems.append("scheduler not running")
    if body["store"] not in ("ok", StoreProblem.BUSY):
        problems.append(f"store does not accept writes: {body['store']}")
    for name, job in sorted(jobs.items()):
        if job.get("outcome") == JobOutcome.FAILED:
            problems.append(f"job {name} failing: {job.get('problem')}")
    for name, source in sorted(body["sources"].items()):
        if source["stuck"]:
            problems.append(f"source {name} stuck: {source['consecutive_failures']} failed runs")
    return problems


def _warnings(body: dict[str, Any]) -> list[str]:
    """What a person should look at although the daemon works: quarantine growth."""
    return [
        f"source {name} quarantined {source['quarantined_last_run']} records in its last run "
        f"({source['quarantined_total']} since it started): aduan quarantine list"
        for name, source in sorted(body["sources"].items())
        if source["quarantined_last_run"]
    ]


def _source(h: SourceHealth, job: dict[str, Any] | None) -> dict[str, Any]:
    failures = max(h.consecutive_failures, int((job or {}).get("consecutive_failures") or 0))
    return {
        "state": h.state,
        "last_success_at": _iso(h.last_success_at),
        "last_error": h.last_error,
        "last_error_class": h.last_error_class,
        "consecutive_failures": failures,
        # failing run after run: the cursor does not move while input remains (a paused
        # or disabled source has a state of its own and is not stuck)
        "stuck": failures >= STUCK_AFTER_FAILURES and h.state not in _PAUSED,
        "last_run": (job or {}).get("outcome"),
        "quarantined_last_run": h.last_run_quarantined,
        "quarantined_total": h.total_quarantined,
    }


def _count(session: Session, condition: Any) -> int:
    return int(session.exec(select(func.count()).select_from(Mention).where(condition)).one())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
