"""Quarantined records: what a source delivered that the store could not take.

A record is set aside here in the transaction that stores the rest of its batch and
moves the source's cursor past it, so one bad record neither stops its source nor
takes the good records of its batch with it. ``aduan quarantine retry`` checks a
record again (``harvester.quarantine``) and stores it, or keeps it with the new reason.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.tables import QuarantinedRecord
from models.types import utcnow

#: a reason is cut to this many characters (a hostile value can make messages long)
REASON_LIMIT = 2000


@dataclass(frozen=True)
class Rejected:
    """A record a collector or the store refused, with what is needed to retry it."""

    reason: str
    #: the mention fields as built (JSON-safe), {} when the record could not be read
    fields: dict[str, Any] = field(default_factory=dict)
    #: the platform's payload or the file's record
    raw: dict[str, Any] = field(default_factory=dict)
    platform: str = ""
    platform_id: str = ""


def quarantine(*, session: Session, source: str, rejected: Sequence[Rejected]) -> int:
    """Add *rejected* to the quarantine of *source*; call it in the batch's transaction."""
    now = utcnow()
    for r in rejected:
        session.add(
            QuarantinedRecord(
                source=source[:100],
                platform=r.platform[:20],
                platform_id=r.platform_id[:100],
                reason=r.reason[:REASON_LIMIT],
                fields=r.fields,
                raw=r.raw,
                quarantined_at=now,
            )
        )
    return len(rejected)


def list_quarantined(
    *,
    session: Session,
    source: str | None = None,
    ids: Sequence[int] | None = None,
    limit: int | None = None,
) -> list[QuarantinedRecord]:
    """Quarantined records, oldest first; of one source, or with the given ids."""
    stmt = select(QuarantinedRecord).order_by(col(QuarantinedRecord.id))
    if source is not None:
        stmt = stmt.where(QuarantinedRecord.source == source)
    if ids is not None:
        stmt = stmt.where(col(QuarantinedRecord.id).in_(list(ids)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt))


def count_by_source(*, session: Session) -> dict[str, int]:
    """How many records each source has in quarantine now (sources with none left out)."""
    stmt = select(QuarantinedRecord.source, func.count()).group_by(QuarantinedRecord.source)
    return {source: n for source, n in session.exec(stmt)}


@dataclass(frozen=True)
class QuarantineSummary:
    """One source's quarantine, for the dashboard: how many, since when, the latest why."""

    source: str
    held: int
    oldest_at: datetime
    newest_at: datetime
    latest_reason: str


def quarantine_summary(*, session: Session) -> list[QuarantineSummary]:
    """Each source with records in quarantine, by name."""
    stmt = (
        select(
            QuarantinedRecord.source,
            func.count(),
            func.min(QuarantinedRecord.quarantined_at),
            func.max(QuarantinedRecord.id),
        )
        .group_by(QuarantinedRecord.source)
        .order_by(QuarantinedRecord.source)
    )
    out: list[QuarantineSummary] = []
    for source, held, oldest, newest_id in session.exec(stmt).all():
        newest = session.get(QuarantinedRecord, newest_id)
        if newest is None:  # retried away meanwhile
            continue
        out.append(
            QuarantineSummary(
                source=source,
                held=held,
                oldest_at=_aware(oldest) or newest.quarantined_at,
                newest_at=newest.quarantined_at,
                latest_reason=newest.reason,
            )
        )
    return out


def _aware(value: datetime | None) -> datetime | None:
    # An aggregate bypasses the column type: SQLite hands back a naive UTC datetime
    # (or its text), PostgreSQL an aware one.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def still_bad(*, session: Session, record: QuarantinedRecord, reason: str) -> None:
    """Record a failed retry of *record*: the new reason, when, and one more retry."""
    record.reason = reason[:REASON_LIMIT]
    record.retried_at = utcnow()
    record.retries += 1
    session.add(record)


def release(*, session: Session, record: QuarantinedRecord) -> None:
    """Remove *record* from quarantine: it has been stored as a mention."""
    session.delete(record)
