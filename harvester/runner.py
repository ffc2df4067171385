"""One harvest run of one source: fetch, store with the cursor, record health."""

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlmodel import Session

from harvester.base import Batch, Collector
from harvester.exceptions import (
    BudgetExhausted,
    CredentialsRejected,
    RateLimited,
    SourceError,
)
from harvester.records import clean_payload
from models.db import session_scope
from models.exceptions import InvalidMention
from models.mentions import insert_mentions
from models.quarantine import Rejected, quarantine
from models.sources import get_cursor, get_health, month_key, save_cursor
from models.tables import MentionIn, SourceHealth
from models.types import utcnow
from models.vocab import SourceState
from models.wita import format_wita

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What one run did, for the CLI and logs."""

    source: str
    fetched: int = 0
    stored: int = 0
    #: records set aside in the quarantine (see ``aduan quarantine list``)
    quarantined: int = 0
    skipped_reason: str | None = None
    error: str | None = None
    #: on a dry run, what would have been stored
    preview: list[MentionIn] = field(default_factory=list)
    #: of those stored, how many were routed as they were stored (``router.arrival``)
    routed: int = 0


class Storing(Protocol):
    """One batch's storing, prepared by an ``Arrival`` (``router.arrival.Turn``)."""

    def store(self, session: Session) -> int:
        """Store the batch in *session*'s transaction; how many mentions were new."""
        ...

    @property
    def routed(self) -> int:
        """How many of them were routed as they were stored."""
        ...


class Arrival(Protocol):
    """Routing as mentions arrive (``router.arrival.RouteOnArrival``)."""

    def turn(
        self, engine: Engine, mentions: Sequence[MentionIn]
    ) -> AbstractContextManager[Storing]:
        """Prepare storing *mentions*; held until the block ends, which commits them."""
        ...


def run_source(
    *,
    engine: Engine,
    source: str,
    platform: str,
    collector: Collector,
    monthly_read_cap: int | None = None,
    dry_run: bool = False,
    arrival: Arrival | None = None,
) -> RunResult:
    """Run *collector* once for *source* and store what it returns.

    The mentions and the new cursor are committed in one transaction: the cursor can
    never move past mentions that were not stored. Health is recorded in the same
    transaction, or afterwards when the fetch itself failed. With *arrival*, the new
    mentions are routed in that transaction too; should that fail for any reason, it is
    rolled back and they are stored for the routing job, as without it.
    """
    now = utcnow()
    with session_scope(engine) as session:
        health = get_health(session=session, source=source, platform=platform)
        _roll_month(health, now)
        if health.state == SourceState.DISABLED:
            return RunResult(source, skipped_reason=f"disabled: {health.disabled_reason}")
        if health.rate_limited_until is not None and health.rate_limited_until > now:
            until = format_wita(health.rate_limited_until)
            return RunResult(source, skipped_reason=f"{health.state} until {until}")
        budget = None
        if monthly_read_cap is not None:
            budget = monthly_read_cap - health.reads_this_month
            if budget <= 0 and not dry_run:
                cap = BudgetExhausted(
                    f"monthly read cap of {monthly_read_cap} reached; reading resumes next month"
                )
                _apply_failure(health, cap, now)
                return RunResult(source, skipped_reason=cap.explain())
        cursor = get_cursor(session=session, source=source)
    try:
        batch = collector.collect(cursor, read_budget=budget)
    except SourceError as err:
        if not dry_run:
            with session_scope(engine) as session:
                health = get_health(session=session, source=source, platform=platform)
                _apply_failure(health, err, utcnow())
        return RunResult(source, error=f"{type(err).__name__}: {err.explain()}")
    if dry_run:
        return RunResult(
            source,
            fetched=len(batch.mentions),
            quarantined=len(batch.rejected),
            preview=batch.mentions,
        )
    mentions, refused = list(batch.mentions), list(batch.rejected)
    arrived = _arrive(engine, source, platform, batch, arrival) if arrival is not None else None
    routed = 0
    try:
        if arrived is not None:
            stored, routed = arrived
        else:
            stored = _commit(engine, source, platform, batch, mentions, refused)
    except _StoreRefused:
        # One record the store refuses (a check only the database makes) must not fail
        # the others: find it without storing anything, then commit the rest with it
        # quarantined. No savepoints: pysqlite's would commit the outer transaction.
        mentions, more = _probe(engine, source, mentions)
        refused.extend(more)
        try:
            stored = _commit(engine, source, platform, batch, mentions, refused)
        except _StoreRefused as again:
            # Each record passed alone but not together: fail the run as the store said.
            raise (again.__cause__ or again) from None
    if refused:
        log.warning(
            "source %s: %d records quarantined (first: %s); see aduan quarantine list",
            source,
            len(refused),
            refused[0].reason,
        )
    error = None
    if batch.interrupted is not None:
        error = f"{type(batch.interrupted).__name__}: {batch.interrupted.explain()}"
    return RunResult(
        source,
        fetched=len(batch.mentions),
        stored=stored,
        quarantined=len(refused),
        error=error,
        routed=routed,
    )


class _StoreRefused(Exception):
    """The store refused a batch for its data (not for being unavailable)."""


def refused_by_store(err: BaseException) -> bool:
    """Whether *err* is the store refusing a record's data rather than failing itself.

    A refused value (too long, out of range, a control character, a bad parameter) is
    the record's fault and sends it to the quarantine; a connection, lock or disk error
    is the store's and fails the run, storing nothing.
    """
    if isinstance(err, InvalidMention):
        return True
    if isinstance(err, DBAPIError):
        return isinstance(err, DataError | IntegrityError)
    return isinstance(err, StatementError | ValueError | OverflowError)


def _insert(session: Session, mentions: list[MentionIn]) -> int:
    try:
        return insert_mentions(session=session, mentions=mentions)
    except Exception as err:
        if refused_by_store(err):
            raise _StoreRefused(str(err)) from err
        raise


def _arrive(
    engine: Engine, source: str, platform: str, batch: Batch, arrival: Arrival
) -> tuple[int, int] | None:
    """Store *batch* routed as it arrives: (stored, routed), or None when that failed and
    nothing was stored (the runner then stores it for the routing job)."""
    mentions, refused = list(batch.mentions), list(batch.rejected)
    committed: tuple[int, int] | None = None
    try:
        with arrival.turn(engine, mentions) as storing:
            stored = _commit(engine, source, platform, batch, mentions, refused, storing)
            committed = stored, storing.routed
    except Exception as err:  # any failure: the routing job's own path takes the batch
        if committed is not None:  # after the commit (releasing the lock): done all the same
            log.warning(
                "source %s: stored and routed, then %s: %s", source, type(err).__name__, err
            )
            return committed
        log.log(
            logging.INFO if refused_by_store(err) else logging.WARNING,
            "source %s: routing on arrival failed (%s: %s); storing the batch for the routing job",
            source,
            type(err).__name__,
            err,
        )
        return None
    return committed


def _commit(
    engine: Engine,
    source: str,
    platform: str,
    batch: Batch,
    mentions: list[MentionIn],
    refused: list[Rejected],
    storing: Storing | None = None,
) -> int:
    """Store *mentions* (routed, with *storing*), quarantine *refused*, move the cursor:
    one transaction."""
    with session_scope(engine) as session:
        stored = _insert(session, mentions) if storing is None else storing.store(session)
        quarantine(session=session, source=source, rejected=refused)
        save_cursor(session=session, source=source, cursor=batch.cursor)
        health = get_health(session=session, source=source, platform=platform)
        _apply_success(health, batch, stored, len(refused), utcnow())
        if batch.interrupted is not None:
            _apply_failure(health, batch.interrupted, utcnow())
    return stored


def _probe(
    engine: Engine, source: str, mentions: list[MentionIn]
) -> tuple[list[MentionIn], list[Rejected]]:
    """Split *mentions* into those the store takes and those it refuses, storing none."""
    good: list[MentionIn] = []
    bad: list[Rejected] = []
    for m in mentions:
        with Session(engine) as session:
            try:
                _insert(session, [m])
            except _StoreRefused as err:
                bad.append(rejected_by_store(m, err.__cause__ or err))
            else:
                good.append(m)
            finally:
                session.rollback()
    return good, bad


def rejected_by_store(mention: MentionIn, err: BaseException) -> Rejected:
    """A quarantine entry for *mention*, which the store refused with *err*."""
    detail = getattr(err, "orig", None) or err
    first_line = str(detail).strip().splitlines()[0] if str(detail).strip() else ""
    reason = f"refused by the store: {type(detail).__name__}: {first_line}"
    fields = mention.model_dump(exclude={"raw"})
    return Rejected(
        reason=reason[:500],
        fields=clean_payload(fields),
        raw=clean_payload(mention.raw),
        platform=mention.platform,
        platform_id=mention.platform_id,
    )


def _roll_month(health: SourceHealth, now: datetime) -> None:
    month = month_key(now)
    if health.reads_month != month:
        health.reads_month, health.reads_this_month = month, 0
        if health.state == SourceState.BUDGET_EXHAUSTED:
            health.state, health.rate_limited_until = SourceState.OK, None


def _apply_success(
    health: SourceHealth, batch: Batch, stored: int, quarantined: int, now: datetime
) -> None:
    if health.consecutive_failures:
        log.info(
            "source %s recovered after %d failed runs", health.source, health.consecutive_failures
        )
    _roll_month(health, now)
    health.reads_this_month += batch.reads
    health.state = SourceState.OK
    health.last_success_at = now
    health.consecutive_failures = 0
    health.rate_limited_until = None
    health.last_run_ingested = stored
    health.total_ingested += stored
    health.last_run_quarantined = quarantined
    health.total_quarantined += quarantined
    if batch.usage:
        health.usage = batch.usage
    health.updated_at = now


def _apply_failure(health: SourceHealth, err: SourceError, now: datetime) -> None:
    if health.consecutive_failures == 0:
        log.warning("source %s failing: %s: %s", health.source, type(err).__name__, err.explain())
    else:
        log.debug("source %s still failing: %s", health.source, err.explain())
    health.consecutive_failures += 1
    health.last_error_at = now
    health.last_error = err.explain()
    health.last_error_class = type(err).__name__
    health.updated_at = now
    health.state = SourceState.FAILING
    if err.usage:
        health.usage = err.usage
    if isinstance(err, RateLimited):
        health.state = SourceState.RATE_LIMITED
        health.rate_limited_until = err.reset_at
    elif isinstance(err, BudgetExhausted):
        health.state = SourceState.BUDGET_EXHAUSTED
        health.rate_limited_until = _next_month(now)
    elif isinstance(err, CredentialsRejected):
        health.state = SourceState.DISABLED
        health.disabled_reason = f"credentials rejected: {err.explain()}"
        log.error("source %s disabled: %s", health.source, err.explain())


def record_idle(*, engine: Engine, source: str, platform: str, reason: str) -> None:
    """Record that *source* cannot run (e.g. a missing secret), logging it once."""
    with session_scope(engine) as session:
        health = get_health(session=session, source=source, platform=platform)
        if health.state != SourceState.IDLE or health.last_error != reason:
            log.warning("source %s left idle: %s", source, reason)
        health.state = SourceState.IDLE
        health.last_error = reason
        health.last_error_class = "MissingSecret"
        health.updated_at = utcnow()


def enable_source(*, engine: Engine, source: str) -> bool:
    """Clear a disabled or backed-off state (after renewing a token); False if unknown."""
    with session_scope(engine) as session:
        health = session.get(SourceHealth, source)
        if health is None:
            return False
        health.state = SourceState.OK if health.last_success_at else SourceState.IDLE
        health.disabled_reason = None
        health.rate_limited_until = None
        health.consecutive_failures = 0
        health.updated_at = utcnow()
        return True


def _next_month(now: datetime) -> datetime:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if first.month == 12:
        return first.replace(year=first.year + 1, month=1)
    return first.replace(month=first.month + 1)
