"""Filing complaints and reading them back."""

from typing import Any

from sqlalchemy import Table, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from models.exceptions import InvalidTransition
from models.filing import filed_history_row, filed_outbox_rows, link_row
from models.public_number import DEFAULT_PREFIX, next_number
from models.tables import (
    Complaint,
    ComplaintMention,
    ComplaintMerge,
    Mention,
    Outbox,
    StatusChange,
)
from models.types import utcnow
from models.vocab import ComplaintStatus, MentionState


def file_complaint(
    *,
    session: Session,
    mention: Mention,
    category: str,
    inbox: str,
    confidence: float | None,
    routed_by: str,
    channels: tuple[str, ...] = (),
    details: dict[str, Any] | None = None,
    number_prefix: str = DEFAULT_PREFIX,
) -> Complaint | None:
    """File *mention* as a new complaint in *inbox*; None if it was filed already.

    The complaint, its first history entry, the mention's link and one outbox row per
    notification channel are written in the caller's transaction, so a crash leaves
    all or none. The complaint row is inserted with ``ON CONFLICT (origin_mention_id)
    DO NOTHING``: when the mention was filed already (by this or a concurrent router)
    nothing is written and None is returned, without a savepoint or an error that
    would spoil the transaction. *details* sets further complaint fields (location,
    route_reason, terms, deadlines).

    The complaint's public number (*number_prefix*, the WITA year, the year's next
    sequence) is drawn in the same transaction (``models.public_number``).

    Routing files thousands of complaints, so every row here is written with a plain
    insert rather than through the ORM's unit of work; the returned Complaint is
    attached to *session* as if it had been loaded, so later changes to it (more
    reporters) are written by the next flush.
    """
    assert mention.id is not None
    complaint = Complaint(
        origin_mention_id=mention.id,
        category=category,
        inbox=inbox,
        confidence=confidence,
        routed_by=routed_by,
        status=ComplaintStatus.BARU,
        **(details or {}),
    )
    conn = session.connection()
    complaint.public_number = next_number(conn, prefix=number_prefix, filed_at=complaint.created_at)
    row = {c.key: getattr(complaint, c.key) for c in _COMPLAINT_COLUMNS}
    # Table-level statements on the session's connection: the ORM's bulk-insert path
    # costs more per row than the database does.
    new_id = conn.execute(
        _insert_ignoring_filed(session).values(row).returning(_COMPLAINTS.c.id)
    ).scalar_one_or_none()
    if new_id is None:
        return None
    complaint.id = int(new_id)
    now = complaint.created_at
    conn.execute(insert(_LINKS), [link_row(complaint.id, mention.id, "origin", now)])
    conn.execute(insert(_HISTORY), [filed_history_row(complaint.id, routed_by, now)])
    if channels:
        conn.execute(insert(_OUTBOX), filed_outbox_rows(complaint.id, inbox, channels, now))
    make_transient_to_detached(complaint)
    session.add(complaint)
    mention.state = MentionState.FILED
    session.add(mention)
    return complaint


_COMPLAINTS: Table = Complaint.__table__  # type: ignore[attr-defined]
_LINKS: Table = ComplaintMention.__table__  # type: ignore[attr-defined]
_HISTORY: Table = StatusChange.__table__  # type: ignore[attr-defined]
_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
_MERGES: Table = ComplaintMerge.__table__  # type: ignore[attr-defined]
#: every complaint column but the generated id
_COMPLAINT_COLUMNS = [c for c in _COMPLAINTS.columns if c.key != "id"]


def _insert_ignoring_filed(session: Session) -> Any:
    """INSERT INTO complaint ... ON CONFLICT (origin_mention_id) DO NOTHING, per dialect."""
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return make_insert(_COMPLAINTS).on_conflict_do_nothing(index_elements=["origin_mention_id"])


def mentions_of(*, session: Session, complaint_ids: list[int]) -> dict[int, list[Mention]]:
    """The mentions reporting each complaint, oldest first."""
    if not complaint_ids:
        return {}
    stmt = (
        select(ComplaintMention.complaint_id, Mention)
        .join(Mention, col(Mention.id) == col(ComplaintMention.mention_id))
        .where(col(ComplaintMention.complaint_id).in_(complaint_ids))
        .order_by(col(Mention.created_at))
    )
    out: dict[int, list[Mention]] = {cid: [] for cid in complaint_ids}
    for cid, mention in session.exec(stmt):
        out[cid].append(mention)
    return out


def count_by_inbox_status(*, session: Session) -> dict[tuple[str, str], int]:
    """Complaint counts per (inbox, status)."""
    stmt = select(Complaint.inbox, Complaint.status, func.count()).group_by(
        Complaint.inbox, Complaint.status
    )
    return {(inbox, status): n for inbox, status, n in session.exec(stmt)}


def attach_mention(
    *,
    session: Session,
    complaint: Complaint,
    mention: Mention,
    reason: str,
    actor: str,
    detail: str | None = None,
    reporters: int | None = None,
) -> int:
    """Add *mention* to *complaint* as a further report, recorded so it can be undone.

    Returns the merge record's id. *reporters* is the new number of different people
    reporting it, when the caller already knows; otherwise it is counted in the store.
    """
    assert complaint.id is not None and mention.id is not None
    now = utcnow()
    # Plain inserts, as in file_complaint: routing joins thousands of reports.
    conn = session.connection()
    conn.execute(
        insert(_LINKS),
        [
            {
                "mention_id": mention.id,
                "complaint_id": complaint.id,
                "linked_at": now,
                "reason": reason,
            }
        ],
    )
    merge_id = conn.execute(
        insert(_MERGES).returning(_MERGES.c.id),
        [
            {
                "complaint_id": complaint.id,
                "mention_id": mention.id,
                "reason": reason,
                "detail": detail,
                "actor": actor,
                "at": now,
            }
        ],
    ).scalar_one()
    mention.state = MentionState.FILED
    session.add(mention)
    if reporters is None:
        session.flush()
        reporters = count_reporters(session=session, complaint_id=complaint.id)
    complaint.reporters = reporters
    complaint.updated_at = now
    session.add(complaint)
    return int(merge_id)


def count_reporters(*, session: Session, complaint_id: int) -> int:
    """How many different people reported a complaint (distinct authors of its mentions)."""
    stmt = (
        select(func.count(func.distinct(col(Mention.platform) + ":" + col(Mention.author_handle))))
        .select_from(ComplaintMention)
        .join(Mention, col(Mention.id) == col(ComplaintMention.mention_id))
        .where(ComplaintMention.complaint_id == complaint_id)
    )
    return max(int(session.exec(stmt).one()), 1)


def detach_mention(*, session: Session, merge: ComplaintMerge, actor: str) -> Mention:
    """Undo *merge*: the mention leaves the complaint and is pending routing on its own."""
    if merge.undone_at is not None:
        raise InvalidTransition(f"merge {merge.id} was undone already")
    link = session.get(ComplaintMention, merge.mention_id)
    if link is None or link.complaint_id != merge.complaint_id:
        raise InvalidTransition(f"mention {merge.mention_id} is no longer in that complaint")
    session.delete(link)
    merge.undone_at = utcnow()
    merge.undone_by = actor
    session.add(merge)
    mention = session.get(Mention, merge.mention_id)
    assert mention is not None
    session.flush()
    complaint = session.get(Complaint, merge.complaint_id)
    assert complaint is not None and complaint.id is not None
    complaint.reporters = count_reporters(session=session, complaint_id=complaint.id)
    complaint.updated_at = utcnow()
    session.add(complaint)
    return mention
