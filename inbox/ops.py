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
from models.tables import Complaint, Mention, Outbox
from models.types import utcnow
from models.vocab import MentionState, SourceState

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


def ops_router(engine: Engine, scheduler_state: SchedulerState | None = None) -> APIRouter:
    """The /healthz and /metrics routes over *engine*."""
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        body: dict[str, Any] = {"scheduler": scheduler_state() if scheduler_state else None}
        try:
            with Session(engine) as session:
                session.connection().execute(text("SELECT 1"))
                body["store"] = "ok"
                body["pending"] = _count(session, Mention.state == MentionState.PENDING)
                body["sources"] = {h.source: _source(h) for h in all_health(session=session)}
        except SQLAlchemyError as err:
            body["store"] = f"unreachable: {type(err).__name__}"
            return JSONResponse(body, status_code=503)
        scheduler_ok = body["scheduler"] is None or body["scheduler"].get("running", False)
        body["status"] = "ok" if scheduler_ok else "degraded"
        return JSONResponse(body, status_code=200 if scheduler_ok else 503)

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoreCollector(engine))
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")

    return router


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
            reads,
            limited,
            complaints,
            mentions,
            triage,
            deliveries,
            retrying,
        )


def _source(h: Any) -> dict[str, Any]:
    return {
        "state": h.state,
        "last_success_at": _iso(h.last_success_at),
        "last_error": h.last_error,
    }


def _count(session: Session, condition: Any) -> int:
    return int(session.exec(select(func.count()).select_from(Mention).where(condition)).one())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
