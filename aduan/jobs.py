"""The daemon's jobs, also run one-off by the CLI: harvest a source, route pending mentions."""

import logging
from collections.abc import Mapping

from sqlalchemy.engine import Engine

from aduan.settings import Settings, SourceConfig
from aduan.wiring import collector_for, policy_for
from harvester.runner import RunResult, record_idle, run_source
from models.locks import try_lock
from notify.delivery import DeliveryResult, deliver_due
from notify.digest import send_digests
from notify.settings import DeliverySettings, Recipient
from router.route import Classifier, RouteResult, route_pending

log = logging.getLogger(__name__)


def harvest(*, engine: Engine, source: SourceConfig, dry_run: bool = False) -> RunResult:
    """One run of *source*; a source with missing secrets is recorded idle, not run."""
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
        )
    if result.stored:
        log.info("source %s: stored %d new mentions", source.name, result.stored)
    return result


def route(*, settings: Settings, engine: Engine, classifier: Classifier) -> RouteResult:
    """Route every pending mention."""
    result = route_pending(
        engine=engine,
        classifier=classifier,
        policy=policy_for(settings),
        batch_size=settings.routing.batch_size,
    )
    if result.total:
        log.info(
            "routed %d mentions: %d filed, %d joined a complaint, %d to triage, %d not complaints",
            result.total,
            result.filed,
            result.attached,
            result.triaged,
            result.not_complaint,
        )
    return result


def deliver(
    *, engine: Engine, config: DeliverySettings, targets: Mapping[str, Recipient]
) -> DeliveryResult:
    """Send due notifications, then any daily digest that is due."""
    result = deliver_due(engine=engine, settings=config, agencies=targets)
    digests = send_digests(engine=engine, settings=config, agencies=targets)
    return DeliveryResult(
        sent=result.sent + digests.sent,
        retried=result.retried + digests.retried,
        dead=result.dead + digests.dead,
    )
