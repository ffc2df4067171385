"""The daemon's jobs, also run one-off by the CLI: harvest, route, deliver, retention."""

import gc
import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan.settings import Settings, SourceConfig
from aduan.wiring import (
    alert_rules_for,
    collector_for,
    contacts,
    escalation_policy_for,
    policy_for,
    retention_policy_for,
    spike_rules_for,
    watched_sources,
)
from harvester.runner import RunResult, record_idle, run_source
from lifecycle.escalation import EscalationResult, escalate_due, overdue_digests
from lifecycle.incidents import IncidentResult, detect_incidents
from lifecycle.source_alerts import AlertResult, check_sources
from models.access_log import latest_access, record_access, record_access_now
from models.locks import try_lock
from models.retention import Progress, RetentionCounts, apply_retention
from models.types import utcnow
from models.vocab import AccessAction
from notify.delivery import DeliveryResult, deliver_due
from notify.digest import send_digests
from notify.replies import ReplyPolicy
from notify.settings import DeliverySettings, Recipient
from router.arrival import RouteOnArrival
from router.route import Classifier, RouteResult, route_pending

log = logging.getLogger(__name__)


def harvest(
    *,
    engine: Engine,
    source: SourceConfig,
    dry_run: bool = False,
    arrival: RouteOnArrival | None = None,
) -> RunResult:
    """One run of *source*; a source with missing secrets is recorded idle, not run.

    With *arrival*, the new mentions are routed as they are stored (``router.arrival``).
    """
    missing = source.missing_secrets()
    if missing:
        reason = "missing secret: set environment variable " + ", ".join(missing)
        if not dry_run:
            record_idle(engine=engine, source=source.name, platform=source.platform, reason=reason)
        return RunResult(source.name, skipped_reason=reason)
    with try_lock(engine, f"harvest:{source.name}") as mine:
        if not mine:
            # Another daemon instance is harvesting this source right now.
            return RunResult(source.name, skipped_reason="another instance is harvesting it")
        result = run_source(
            engine=engine,
            source=source.name,
            platform=source.platform,
            collector=collector_for(source),
            monthly_read_cap=source.monthly_read_cap,
            dry_run=dry_run,
            arrival=arrival,
        )
    if result.routed:
        log.info(
            "source %s: stored %d new mentions, %d of them routed as they arrived",
            source.name,
            result.stored,
            result.routed,
        )
    elif result.stored:
        log.info("source %s: stored %d new mentions", source.name, result.stored)
    return result


def arrival_for(settings: Settings, classifier: Classifier) -> RouteOnArrival | None:
    """Routing on arrival for the daemon's harvests, unless ``routing.on_arrival`` is off."""
    if not settings.routing.on_arrival:
        return None
    return RouteOnArrival(
        classifier=classifier,
        policy=lambda: policy_for(settings),
        batch_size=settings.routing.batch_size,
    )


def ready_to_route(settings: Settings) -> None:
    """What the daemon does once its classifier is loaded, before its first job.

    Builds the routing policy (gazetteer, holidays, the place libraries) and imports what
    batch classification multiplies with, so the first batch does not pay for them; then
    collects and freezes everything loaded so far (``gc.freeze``). The model, the
    gazetteer and the imported modules (about 175,000 objects) live as long as the
    process, and without freezing every full collection walks them again: 10-12 % of
    routing's CPU in the pipeline benchmark.
    """
    from classifier.csr import ready_for_batches

    policy_for(settings)
    ready_for_batches(settings.routing.batch_size)
    gc.collect()
    gc.freeze()


def route(*, settings: Settings, engine: Engine, classifier: Classifier) -> RouteResult:
    """Route every pending mention."""
    result = route_pending(
        engine=engine,
        classifier=classifier,
        policy=policy_for(settings),
        batch_size=settings.routing.batch_size,
    )
    if result.total:
        log.info("routed %d mentions: %s", result.total, result.outcome())
    return result


def deliver(
    *,
    engine: Engine,
    config: DeliverySettings,
    targets: Mapping[str, Recipient],
    further: Mapping[str, Recipient] | None = None,
    replies: ReplyPolicy | None = None,
) -> DeliveryResult:
    """Send due notifications and replies to citizens, then any daily digest that is due.

    *further*: escalation, head-of-agency and admin contacts (``aduan.wiring.contacts``).
    """
    result = deliver_due(
        engine=engine, settings=config, agencies=targets, contacts=further, replies=replies
    )
    digests = send_digests(engine=engine, settings=config, agencies=targets)
    return DeliveryResult(
        sent=result.sent + digests.sent,
        retried=result.retried + digests.retried,
        dead=result.dead + digests.dead,
    )


def escalate(
    *, settings: Settings, engine: Engine, now: datetime | None = None
) -> EscalationResult:
    """Announce missed deadlines (once each) and queue today's overdue digests."""
    policy = escalation_policy_for(settings)
    people = contacts(settings)
    result = escalate_due(engine=engine, policy=policy, contacts=people, now=now)
    if settings.escalation.overdue_digest:
        result.outbox_rows += overdue_digests(
            engine=engine, policy=policy, contacts=people, now=now
        )
    return result


def source_alerts(
    *, settings: Settings, engine: Engine, now: datetime | None = None
) -> AlertResult:
    """Open and close source alerts to the administrators (once per episode)."""
    return check_sources(
        engine=engine,
        sources=watched_sources(settings),
        rules=alert_rules_for(settings),
        contacts=contacts(settings),
        now=now,
    )


def incidents(*, settings: Settings, engine: Engine, now: datetime | None = None) -> IncidentResult:
    """Open, update and close incidents (bursts of reports at one place)."""
    with try_lock(engine, "incidents") as mine:
        if not mine:
            return IncidentResult()  # another daemon instance is looking right now
        return detect_incidents(
            engine=engine,
            rules=spike_rules_for(settings),
            kominfo_inbox=settings.routing.triage_inbox,
            contacts=contacts(settings),
            now=now,
        )


def retention(
    *,
    settings: Settings,
    engine: Engine,
    actor: str = "system",
    now: datetime | None = None,
    progress: Progress | None = None,
) -> RetentionCounts:
    """Remove personal data past its retention period; recorded in the access log.

    One daemon instance at a time (a lock); another finds the lock taken and returns
    zero counts. Batches commit one by one, so a run stopped half-way resumes next time.
    """
    policy = retention_policy_for(settings)
    with try_lock(engine, "retention") as mine:
        if not mine:
            return RetentionCounts()
        counts = apply_retention(
            engine=engine, policy=policy, now=now or utcnow(), progress=progress
        )
    if counts.total:
        cfg = settings.privacy.retention.model_dump(exclude={"batch_size", "hour"})
        record_access_now(
            engine,
            actor=actor,
            action=AccessAction.RETENTION,
            target="retention",
            details={"removed": counts.as_dict(), "days": cfg},
        )
        log.info("retention: %s", ", ".join(f"{k} {v}" for k, v in counts.as_dict().items()))
    return counts


def record_config(*, settings: Settings, engine: Engine) -> bool:
    """Record in the access log that the config file changed since the last start.

    The file's SHA-256 is compared with the one last recorded; True if an entry was added.
    """
    try:
        digest = hashlib.sha256(settings.config_path.read_bytes()).hexdigest()
    except OSError:
        return False
    with Session(engine) as session:
        last = latest_access(session=session, action=AccessAction.CONFIG_CHANGED)
        before = last.details.get("sha256") if last is not None else None
        if before == digest:
            return False
        record_access(
            session=session,
            actor="system",
            action=AccessAction.CONFIG_CHANGED,
            target=f"config:{settings.config_path.name}",
            details={"path": str(settings.config_path), "sha256": digest, "previous": before},
        )
        session.commit()
    log.info("configuration %s changed since the last start (recorded)", settings.config_path)
    return True
