"""Read helpers for the complaint page and the inbox export."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, col, select

from models.complaint_search import ComplaintFilter, matching
from models.tables import Complaint, ComplaintMention, Mention


@dataclass(frozen=True)
class LinkedMention:
    """A mention reporting a complaint, with why and when it was linked."""

    mention: Mention
    #: origin | reply | duplicate | manual
    reason: str
    linked_at: datetime


def linked_mentions(*, session: Session, complaint_id: int) -> list[LinkedMention]:
    """The mentions reporting a complaint, oldest post first."""
    stmt = (
        select(Mention, ComplaintMention)
        .join(ComplaintMention, col(ComplaintMention.mention_id) == col(Mention.id))
        .where(ComplaintMention.complaint_id == complaint_id)
        .order_by(col(Mention.created_at), col(Mention.id))
    )
    return [LinkedMention(m, link.reason, link.linked_at) for m, link in session.exec(stmt)]


def origin_mentions(*, session: Session, complaints: list[Complaint]) -> dict[int, Mention]:
    """The first mention of each complaint, by complaint id."""
    ids = {c.origin_mention_id for c in complaints}
    if not ids:
        return {}
    # The platform's raw answer (often the largest column) is not shown in lists.
    raw = cast(QueryableAttribute[Any], Mention.raw)  # SQLModel types it as its value
    stmt = select(Mention).where(col(Mention.id).in_(ids)).options(defer(raw))
    found = {m.id: m for m in session.exec(stmt)}
    return {c.id: found[c.origin_mention_id] for c in complaints if c.id is not None}


#: every inbox's kecamatan, and one inbox's (built once: every list page asks)
_KECAMATAN = (
    select(Complaint.kecamatan)
    .where(col(Complaint.kecamatan).is_not(None))
    .distinct()
    .order_by(col(Complaint.kecamatan))
)
_INBOX_KECAMATAN = _KECAMATAN.where(col(Complaint.inbox) == bindparam("inbox"))


def kecamatan_choices(*, session: Session, inbox: str | None) -> list[str]:
    """The kecamatan named by an inbox's complaints (every inbox's: None), for the filter."""
    if inbox is None:
        return [k for k in session.exec(_KECAMATAN) if k]
    return [k for k in session.exec(_INBOX_KECAMATAN, params={"inbox": inbox}) if k]


#: rows read from the store at a time when walking a whole result
BATCH = 500


def all_matching(
    *, session: Session, filter: ComplaintFilter, now: datetime, limit: int
) -> Iterator[list[Complaint]]:
    """Every complaint matching *filter* (its page aside), at most *limit*, in batches.

    One query in the inbox's order, read ``BATCH`` rows at a time (a server-side cursor
    on PostgreSQL), so the export lists exactly what the inbox shows without holding
    the whole result in memory.
    """
    stmt = matching(filter, now).limit(limit).execution_options(yield_per=BATCH)
    for rows in session.exec(stmt).partitions(BATCH):
        yield list(rows)


def complaints_by_ids(
    *, session: Session, ids: list[int], inbox: str | None = None
) -> list[Complaint]:
    """The complaints of *ids* that exist (in *inbox* only, when given), by id."""
    if not ids:
        return []
    stmt = select(Complaint).where(col(Complaint.id).in_(ids))
    if inbox is not None:
        stmt = stmt.where(Complaint.inbox == inbox)
    return list(session.exec(stmt.order_by(col(Complaint.id))))
