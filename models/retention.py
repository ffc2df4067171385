"""Retention: personal data is removed once it has been kept as long as configured.

Four kinds, each with its own period (None keeps it):

* ``raw_payload``: the platform's raw answer stored beside each mention (it repeats
  the text and carries the author's profile), counted from when it was fetched;
* ``not_complaint``: text and author identity of mentions that were not complaints,
  counted from when they were posted;
* ``closed_author``: the author identity (handle, name, post link) of every mention of
  a complaint finished (``selesai``) that long ago;
* ``access_log``: access-log entries, counted from when they were written.

Rows are never deleted (access-log entries aside): the mention keeps its platform,
dates, category, state and its links to complaints, and complaints keep everything,
so counts, categories, places and dates for the statistics stay as they were. The
text becomes ``ERASED_TEXT``, handles and names become empty, and the ``*_purged_at``
mark says when.

Work is done in batches of ``batch_size`` rows, each in its own transaction; a batch
selects only rows that still need the change, so a run stopped half-way (a crash, a
deploy) loses nothing and the next run carries on, and running it twice changes
nothing the second time.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, null, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from models.access_log import count_access_older, purge_access_log
from models.masking import mask_personal
from models.tables import Complaint, ComplaintMention, Correction, Mention
from models.vocab import ComplaintStatus, MentionState

#: what a removed text reads
ERASED_TEXT = "[teks dihapus]"
DEFAULT_BATCH = 500

#: called after each committed batch with the kind and how many rows it changed
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind is kept (None: kept until an erasure request)."""

    raw_payload: timedelta | None = None
    not_complaint: timedelta | None = None
    closed_author: timedelta | None = None
    access_log: timedelta | None = None
    batch_size: int = DEFAULT_BATCH


@dataclass
class RetentionCounts:
    """Rows per kind: what a run changed, or what a dry run would change."""

    raw_payload: int = 0
    not_complaint: int = 0
    closed_author: int = 0
    access_log: int = 0

    @property
    def total(self) -> int:
        """All rows together."""
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        """Counts by kind name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _raw_due(cutoff: datetime) -> ColumnElement[bool]:
    return and_(col(Mention.raw_purged_at).is_(None), col(Mention.fetched_at) < cutoff)


def _not_complaint_due(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        col(Mention.state) == MentionState.NOT_COMPLAINT,
        col(Mention.created_at) < cutoff,
        or_(col(Mention.text_purged_at).is_(None), col(Mention.author_purged_at).is_(None)),
    )


def _closed_author_due(cutoff: datetime) -> ColumnElement[bool]:
    closed_long_ago = (
        select(col(ComplaintMention.mention_id))
        .join(Complaint, col(Complaint.id) == col(ComplaintMention.complaint_id))
        .where(
            col(Complaint.status) == ComplaintStatus.SELESAI,
            col(Complaint.resolved_at) < cutoff,
            col(ComplaintMention.mention_id) == col(Mention.id),
        )
    )
    return and_(col(Mention.author_purged_at).is_(None), exists(closed_long_ago))


def retention_due(*, session: Session, policy: RetentionPolicy, now: datetime) -> RetentionCounts:
    """How many rows of each kind a run at *now* would change (the dry run)."""
    counts = RetentionCounts()
    for kind, condition in _conditions(policy, now).items():
        stmt = select(func.count()).select_from(Mention).where(condition)
        setattr(counts, kind, int(session.execute(stmt).scalar_one()))
    if policy.access_log is not None:
        counts.access_log = count_access_older(session=session, before=now - policy.access_log)
    return counts


def apply_retention(
    *,
    engine: Engine,
    policy: RetentionPolicy,
    now: datetime,
    progress: Progress | None = None,
) -> RetentionCounts:
    """Remove what is past its period, batch by batch; the counts of rows changed."""
    counts = RetentionCounts()
    for kind, condition in _conditions(policy, now).items():
        changed = _in_batches(
            engine, condition, _REMOVERS[kind], now, policy.batch_size, kind, progress
        )
        setattr(counts, kind, changed)
    if policy.access_log is not None:
        counts.access_log = purge_access_log(
            engine, before=now - policy.access_log, batch_size=policy.batch_size
        )
        if progress is not None and counts.access_log:
            progress("access_log", counts.access_log)
    return counts


def _conditions(policy: RetentionPolicy, now: datetime) -> dict[str, ColumnElement[bool]]:
    out: dict[str, ColumnElement[bool]] = {}
    if policy.raw_payload is not None:
        out["raw_payload"] = _raw_due(now - policy.raw_payload)
    if policy.not_complaint is not None:
        out["not_complaint"] = _not_complaint_due(now - policy.not_complaint)
    if policy.closed_author is not None:
        out["closed_author"] = _closed_author_due(now - policy.closed_author)
    return out


Remover = Callable[[Connection, list[int], datetime], None]


def _in_batches(
    engine: Engine,
    condition: ColumnElement[bool],
    remove: Remover,
    now: datetime,
    batch_size: int,
    kind: str,
    progress: Progress | None,
) -> int:
    """Apply *remove* to the mentions matching *condition*, in id order, one batch a commit."""
    done = 0
    last_id = 0
    while True:
        with engine.begin() as conn:
            stmt = (
                select(col(Mention.id))
                .where(condition, col(Mention.id) > last_id)
                .order_by(col(Mention.id))
                .limit(batch_size)
            )
            ids = [int(i) for i in conn.scalars(stmt) if i is not None]
            if not ids:
                return done
            remove(conn, ids, now)
        done += len(ids)
        last_id = ids[-1]
        if progress is not None:
            progress(kind, len(ids))


def _mentions(ids: list[int]) -> Any:
    return update(Mention).where(col(Mention.id).in_(ids))


def remove_raw(conn: Connection, ids: list[int], now: datetime) -> None:
    """Empty the platform's payload of the mentions *ids*."""
    conn.execute(_mentions(ids).values(raw={}, raw_purged_at=now))


def remove_author(conn: Connection, ids: list[int], now: datetime) -> None:
    """Remove who posted the mentions *ids*: handle, name, link, and the raw payload."""
    conn.execute(
        _mentions(ids).values(
            author_handle="",
            author_name="",
            url="",
            raw={},
            raw_purged_at=func.coalesce(col(Mention.raw_purged_at), now),
            author_purged_at=func.coalesce(col(Mention.author_purged_at), now),
        )
    )


def remove_text_and_author(conn: Connection, ids: list[int], now: datetime) -> None:
    """Remove the text and the author of the mentions *ids*.

    Their training corrections keep the label with the text masked (identifiers gone),
    so the classifier still learns from the decision.
    """
    remove_author(conn, ids, now)
    conn.execute(
        _mentions(ids).values(
            text=ERASED_TEXT,
            terms=null(),
            text_purged_at=func.coalesce(col(Mention.text_purged_at), now),
        )
    )
    stmt = select(col(Correction.id), col(Correction.text)).where(
        col(Correction.mention_id).in_(ids)
    )
    for correction_id, text in conn.execute(stmt).all():
        masked = mask_personal(text)
        if masked != text:
            conn.execute(
                update(Correction).where(col(Correction.id) == correction_id).values(text=masked)
            )


_REMOVERS: dict[str, Remover] = {
    "raw_payload": remove_raw,
    "not_complaint": remove_text_and_author,
    "closed_author": remove_author,
}
