"""Writing notifications that must exist once: escalations, alerts, incidents, digests.

A row that announces something "once" is inserted with ``ON CONFLICT DO NOTHING`` on
its unique key, and its outbox rows are written in the same transaction only when the
insert took place. Two daemon instances (or a restart half-way) racing to announce the
same thing therefore write it once: the second finds the key taken and writes nothing.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from models.masking import mask_personal
from models.tables import Complaint, Mention, Outbox
from models.vocab import OutboxStatus

_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]


def insert_once(
    conn: Connection, table: Table, values: dict[str, Any], keys: Sequence[str]
) -> Any | None:
    """Insert *values* into *table* unless a row with the same unique *keys* exists.

    Returns the new row's primary key, or None when the row was there already. No
    error is raised (the transaction stays usable) on either database.
    """
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    pk = next(iter(table.primary_key.columns))
    stmt = make(table).values(values).on_conflict_do_nothing(index_elements=list(keys))
    return conn.execute(stmt.returning(pk)).scalar_one_or_none()


def add_outbox_rows(
    conn: Connection,
    *,
    recipients: Iterable[tuple[str, str | None, Sequence[str]]],
    payload: dict[str, Any],
    now: datetime,
    complaint_id: int | None = None,
) -> int:
    """Queue *payload* for each (recipient, agency code, channels); the rows written."""
    rows = [
        {
            "complaint_id": complaint_id,
            "agency_code": code,
            "recipient": recipient,
            "channel": channel,
            "payload": payload,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for recipient, code, channels in recipients
        for channel in channels
    ]
    if rows:
        conn.execute(insert(_OUTBOX), rows)
    return len(rows)


def add_outbox_once(
    conn: Connection,
    *,
    dedupe_key: str,
    recipient: str,
    agency_code: str | None,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """Queue one row keyed by *dedupe_key*, unless it was queued before; True if written."""
    values = {
        "complaint_id": None,
        "agency_code": agency_code,
        "recipient": recipient,
        "channel": channel,
        "dedupe_key": dedupe_key,
        "payload": payload,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    return insert_once(conn, _OUTBOX, values, ["dedupe_key"]) is not None


def sample_texts(session: Session, complaint_ids: Iterable[int], limit: int = 3) -> list[str]:
    """Up to *limit* first reports of these complaints, masked, on one line each.

    Confidential complaints are never sampled. Read when shown or sent, never stored
    in a notification: an erased text reads as erased from then on.
    """
    ids = sorted(set(complaint_ids))
    if not ids:
        return []
    stmt = (
        select(Mention.text)
        .join(Complaint, col(Complaint.origin_mention_id) == col(Mention.id))
        .where(col(Complaint.id).in_(ids))
        .where(col(Complaint.confidential).is_(False))
        .order_by(col(Mention.created_at))
        .limit(limit)
    )
    return [_clip(mask_personal(" ".join(text.split()))) for text in session.exec(stmt)]


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
