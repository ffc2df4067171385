"""Aggregates for the Kominfo dashboard, computed in SQL."""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.tables import Complaint, Mention, Outbox
from models.vocab import OutboxStatus


def volume_by_day(
    *, session: Session, since: datetime, by: str, inbox: str | None = None
) -> dict[str, dict[str, int]]:
    """Complaints per day (UTC date, ISO text) per category, inbox or platform."""
    day = func.date(Complaint.created_at)
    key = {
        "category": col(Complaint.category),
        "inbox": col(Complaint.inbox),
        "platform": col(Mention.platform),
    }[by]
    stmt = (
        select(day, key, func.count())
        .select_from(Complaint)
        .join(Mention, col(Mention.id) == col(Complaint.origin_mention_id))
        .where(col(Complaint.created_at) >= since)
        .group_by(day, key)
    )
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


def dead_letters(*, session: Session, limit: int = 50) -> list[Outbox]:
    """Notifications that gave up, newest first, for the delivery panel."""
    stmt = (
        select(Outbox)
        .where(Outbox.status == OutboxStatus.DEAD)
        .order_by(col(Outbox.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt))
