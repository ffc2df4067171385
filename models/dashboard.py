"""Aggregates for the Kominfo dashboard, computed in SQL.

Days are Denpasar days (WITA, UTC+8 all year): a complaint posted at 07:00 WITA
counts on that day, not on the UTC day before.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.tables import Complaint, Mention, Outbox
from models.vocab import OutboxStatus
from models.wita import WITA, WITA_NAME, WITA_OFFSET_HOURS


def wita_day(session: Session, column: Any) -> Any:
    """SQL: the WITA calendar date of a UTC timestamp column, on either store."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(WITA_NAME, column))
    # SQLite keeps the UTC time as text without a zone.
    return func.date(column, f"+{WITA_OFFSET_HOURS} hours")


def volume_by_day(
    *, session: Session, since: datetime, by: str, inbox: str | None = None
) -> dict[str, dict[str, int]]:
    """Complaints per WITA day (ISO text) per category, inbox or platform.

    Days without complaints are absent; the chart fills them in.
    """
    day = wita_day(session, col(Complaint.created_at))
    key = {
        "category": col(Complaint.category),
        "inbox": col(Complaint.inbox),
        "platform": col(Mention.platform),
    }[by]
    stmt = (
        select(day, key, func.count())
        .select_from(Complaint)
        .where(col(Complaint.created_at) >= since)
        .group_by(day, key)
    )
    if by == "platform":
        # The join costs; only the platform needs the mention.
        stmt = stmt.join(Mention, col(Mention.id) == col(Complaint.origin_mention_id))
    if inbox is not None:
        stmt = stmt.where(Complaint.inbox == inbox)
    out: dict[str, dict[str, int]] = {}
    for d, k, n in session.exec(stmt):
        out.setdefault(str(d), {})[str(k)] = int(n)
    return dict(sorted(out.items()))


def top_places(
    *, session: Session, since: datetime, limit: int = 10, inbox: str | None = None
) -> list[tuple[str, int]]:
    """The desa/kelurahan (or kecamatan when no desa) with most complaints."""
    place = func.coalesce(Complaint.desa, Complaint.kecamatan)
    stmt = (
        select(place, func.count())
        .where(col(Complaint.created_at) >= since)
        .where(place.is_not(None))
        .group_by(place)
        .order_by(func.count().desc(), place)
        .limit(limit)
    )
    if inbox is not None:
        stmt = stmt.where(Complaint.inbox == inbox)
    return [(str(p), int(n)) for p, n in session.exec(stmt)]


def status_totals(*, session: Session, inbox: str | None = None) -> dict[str, int]:
    """Complaints per status."""
    stmt = select(Complaint.status, func.count()).group_by(Complaint.status)
    if inbox is not None:
        stmt = stmt.where(Complaint.inbox == inbox)
    return {s: int(n) for s, n in session.exec(stmt)}


def complaint_years(*, session: Session) -> tuple[int, int] | None:
    """The first and last WITA year with a complaint, or None when there are none.

    min/max of the bare column read the ends of its index; the WITA year is taken here.
    """
    stmt = select(func.min(Complaint.created_at), func.max(Complaint.created_at))
    first, last = session.exec(stmt).one()
    if first is None or last is None:
        return None
    return _wita_year(first), _wita_year(last)


def _wita_year(value: Any) -> int:
    # Aggregates bypass the column type: SQLite gives back its text, without a zone.
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(WITA).year


def dead_letters(*, session: Session, limit: int = 50) -> list[Outbox]:
    """Notifications that gave up, newest first, for the delivery panel."""
    stmt = (
        select(Outbox)
        .where(Outbox.status == OutboxStatus.DEAD)
        .order_by(col(Outbox.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt))


def count_dead_letters(*, session: Session) -> int:
    """How many notifications gave up (all of them, not only those listed)."""
    stmt = select(func.count()).select_from(Outbox).where(Outbox.status == OutboxStatus.DEAD)
    return int(session.exec(stmt).one())
