"""Per-source cursors and health records."""

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.db import session_scope
from models.tables import SourceCursor, SourceHealth
from models.types import utcnow
from models.vocab import SourceState


def get_cursor(*, session: Session, source: str) -> dict[str, Any] | None:
    """The stored cursor of *source*, or None before its first successful run."""
    row = session.get(SourceCursor, source)
    return dict(row.cursor) if row is not None else None


def save_cursor(*, session: Session, source: str, cursor: dict[str, Any]) -> None:
    """Store *cursor* for *source*; call it in the transaction that stores the mentions."""
    row = session.get(SourceCursor, source)
    if row is None:
        row = SourceCursor(source=source, cursor=cursor)
    else:
        row.cursor = cursor
        row.updated_at = utcnow()
    session.add(row)


def get_health(*, session: Session, source: str, platform: str) -> SourceHealth:
    """The health record of *source*, created empty on first use (not yet committed)."""
    row = session.get(SourceHealth, source)
    if row is None:
        row = SourceHealth(source=source, platform=platform)
        session.add(row)
    return row


def all_health(*, session: Session) -> list[SourceHealth]:
    """Every source's health record, by name."""
    return list(session.exec(select(SourceHealth).order_by(col(SourceHealth.source))))


def month_key(at: datetime) -> str:
    """The reads-budget month of *at*, e.g. '2026-11'."""
    return at.strftime("%Y-%m")


def record_source_failure(
    *, engine: Engine, source: str, platform: str, error_class: str, message: str
) -> None:
    """Record a run of *source* that ended in an error the harvester did not handle.

    The source shows as failing with the error, not idle or ok; a source that fails
    run after run (no cursor progress) counts its failures and is reported stuck.
    """
    now = utcnow()
    with session_scope(engine) as session:
        health = get_health(session=session, source=source, platform=platform)
        if health.state in (SourceState.IDLE, SourceState.OK):
            health.state = SourceState.FAILING
        health.consecutive_failures += 1
        health.last_error_at = now
        health.last_error = message[:2000]
        health.last_error_class = error_class[:100]
        health.updated_at = now


def current_error(health: SourceHealth) -> str | None:
    """The source's last error while it still stands: None once a later run succeeded.

    The runner keeps ``last_error`` after a recovery (with ``last_error_at``, as
    history); operators are shown it only when it is newer than the last success.
    """
    if not health.last_error:
        return None
    if health.state == SourceState.OK and (
        health.last_error_at is None
        or (health.last_success_at is not None and health.last_success_at >= health.last_error_at)
    ):
        return None
    return health.last_error
