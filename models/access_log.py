"""The access log: who read personal data, exported it, erased it, or changed who may.

Entries are only ever added (``record_access``) and, past their retention period,
deleted in batches (``purge_access_log``); the store refuses an UPDATE. Details hold
what a data protection officer needs to answer "who saw this": an export's filters
and row count, a view's complaint id, an erasure's counts. They never hold the
personal data itself.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.tables import AccessLogEntry

#: entries shown per page, and read per batch when exporting or purging
PAGE_SIZE = 100
BATCH = 1000


def record_access(
    *,
    session: Session,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AccessLogEntry:
    """Add one entry in the caller's transaction (so it is kept only if the action is)."""
    entry = AccessLogEntry(
        actor=actor[:200], action=action, target=target[:300], details=dict(details or {})
    )
    session.add(entry)
    return entry


def record_access_now(
    engine: Engine,
    *,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Add one entry in its own transaction (for reads, which change nothing else)."""
    with Session(engine) as session:
        record_access(session=session, actor=actor, action=action, target=target, details=details)
        session.commit()


@dataclass(frozen=True)
class AccessQuery:
    """Which entries the admin's page or export asks for; None means any."""

    actor: str | None = None
    action: str | None = None
    #: a target, or the start of one ("complaint:" for every complaint)
    target: str | None = None
    #: at or after (inclusive) and before (exclusive)
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1


def _matching(query: AccessQuery) -> Any:
    stmt = select(AccessLogEntry)
    if query.actor:
        stmt = stmt.where(AccessLogEntry.actor == query.actor)
    if query.action:
        stmt = stmt.where(AccessLogEntry.action == query.action)
    if query.target:
        # A prefix match, with LIKE's wildcards in the value taken literally.
        escaped = query.target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(col(AccessLogEntry.target).like(escaped + "%", escape="\\"))
    if query.since is not None:
        stmt = stmt.where(col(AccessLogEntry.at) >= query.since)
    if query.until is not None:
        stmt = stmt.where(col(AccessLogEntry.at) < query.until)
    return stmt


def search_access_log(*, session: Session, query: AccessQuery) -> tuple[list[AccessLogEntry], int]:
    """One page of matching entries, newest first, and how many match in all."""
    stmt = _matching(query)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    page = max(query.page, 1)
    rows = session.exec(
        stmt.order_by(col(AccessLogEntry.at).desc(), col(AccessLogEntry.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return list(rows), int(total)


def all_access_entries(*, session: Session, query: AccessQuery) -> Iterator[AccessLogEntry]:
    """Every matching entry, oldest first, read in batches (for the CSV export)."""
    last = 0
    while True:
        stmt = (
            _matching(query)
            .where(col(AccessLogEntry.id) > last)
            .order_by(col(AccessLogEntry.id))
            .limit(BATCH)
        )
        rows = list(session.exec(stmt))
        if not rows:
            return
        yield from rows
        last = rows[-1].id or last


def access_actors(*, session: Session) -> list[str]:
    """Everyone with an entry, for the page's filter."""
    stmt = select(AccessLogEntry.actor).distinct().order_by(col(AccessLogEntry.actor))
    return list(session.exec(stmt))


def count_access_older(*, session: Session, before: datetime) -> int:
    """How many entries are older than *before* (what retention would delete)."""
    stmt = select(func.count()).where(col(AccessLogEntry.at) < before)
    return int(session.exec(stmt).one())


def purge_access_log(engine: Engine, *, before: datetime, batch_size: int = BATCH) -> int:
    """Delete entries older than *before*, *batch_size* per transaction; how many went."""
    removed = 0
    while True:
        with engine.begin() as conn:
            ids = select(col(AccessLogEntry.id)).where(col(AccessLogEntry.at) < before)
            ids = ids.order_by(col(AccessLogEntry.id)).limit(batch_size)
            chosen = list(conn.scalars(ids))
            if not chosen:
                return removed
            conn.execute(delete(AccessLogEntry).where(col(AccessLogEntry.id).in_(chosen)))
        removed += len(chosen)


def latest_access(*, session: Session, action: str) -> AccessLogEntry | None:
    """The newest entry of *action*, if any."""
    stmt = (
        select(AccessLogEntry)
        .where(AccessLogEntry.action == action)
        .order_by(col(AccessLogEntry.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()
