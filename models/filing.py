"""Writing a routing batch's outcome with a few set-based statements.

Routing decides a whole batch in memory (``router.route``): which mentions become new
complaints and which join one (a reply in its thread, the same problem again). This
module records those decisions and writes them in the caller's transaction with one
statement per table, whatever the batch's size: a block of public numbers (one counter
upsert), the complaints (one multi-row ``INSERT ... ON CONFLICT (origin_mention_id) DO
NOTHING RETURNING``), their links, first history entries and outbox rows, the joins'
links and merge records, and the joined complaints' reporter counts (one ``UPDATE``
counting in the store). The guarantees are those of ``models.complaints.file_complaint``
and ``attach_mention``: all or nothing with the caller's transaction, one complaint per
mention at most, public numbers unique and never reused.

A complaint filed in the batch can be joined by later mentions of the same batch before
it is written: a ``ComplaintRef`` stands for it and gets its id and number on ``write``.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, func, select, update
from sqlmodel import Session

from models.exceptions import InvalidTransition
from models.many_rows import any_of, insert_new_rows_ids, insert_rows
from models.public_number import next_numbers
from models.tables import (
    Complaint,
    ComplaintMention,
    ComplaintMerge,
    Mention,
    Outbox,
    StatusChange,
)
from models.vocab import FILED_NOTE, ComplaintStatus, OutboxStatus

_COMPLAINTS: Table = Complaint.__table__  # type: ignore[attr-defined]
_LINKS: Table = ComplaintMention.__table__  # type: ignore[attr-defined]
_HISTORY: Table = StatusChange.__table__  # type: ignore[attr-defined]
_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
_MERGES: Table = ComplaintMerge.__table__  # type: ignore[attr-defined]
_MENTIONS: Table = Mention.__table__  # type: ignore[attr-defined]
_COLUMNS = frozenset(c.key for c in _COMPLAINTS.columns if c.key != "id")


def _column_defaults() -> dict[str, Any]:
    """Each complaint column's model default (what an ORM-built Complaint would hold)."""
    out: dict[str, Any] = {}
    for name in _COLUMNS:
        info = Complaint.model_fields.get(name)
        if info is not None and info.default is not PydanticUndefined:
            out[name] = info.default
        else:
            out[name] = None
    return out


_DEFAULTS = _column_defaults()


class FiledMeanwhile(InvalidTransition):
    """A mention of the batch got a complaint from elsewhere while the batch was decided.

    Raised by ``FilingBatch.write`` so the caller's transaction rolls back and the
    batch is decided again (it then sees that complaint); nothing of it is kept.
    """


@dataclass
class ComplaintRef:
    """A complaint as routing needs it: stored (``id`` set) or filed in this batch."""

    origin_mention_id: int
    category: str
    inbox: str
    status: str
    created_at: datetime
    street: str | None = None
    desa: str | None = None
    id: int | None = None
    public_number: str = ""


#: the columns ``ComplaintRef`` is read from (with the complaint's id)
REF_COLUMNS = (
    _COMPLAINTS.c.id,
    _COMPLAINTS.c.origin_mention_id,
    _COMPLAINTS.c.category,
    _COMPLAINTS.c.inbox,
    _COMPLAINTS.c.status,
    _COMPLAINTS.c.created_at,
    _COMPLAINTS.c.street,
    _COMPLAINTS.c.desa,
    _COMPLAINTS.c.public_number,
)


def ref_of(row: Any) -> ComplaintRef:
    """A ComplaintRef from a row selected with ``REF_COLUMNS`` (in that order)."""
    cid, origin, category, inbox, status, created_at, street, desa, number = row[:9]
    return ComplaintRef(origin, category, inbox, status, created_at, street, desa, cid, number)


@dataclass
class _New:
    ref: ComplaintRef
    row: dict[str, Any]
    channels: tuple[str, ...]


@dataclass
class _Join:
    ref: ComplaintRef
    mention_id: int
    reason: str
    detail: str | None
    actor: str


@dataclass
class FilingBatch:
    """New complaints and joins of one routing batch, written together by ``write``."""

    now: datetime
    number_prefix: str
    _new: list[_New] = field(default_factory=list)
    _joins: list[_Join] = field(default_factory=list)

    def file(
        self,
        *,
        mention_id: int,
        category: str,
        inbox: str,
        confidence: float | None,
        routed_by: str,
        channels: tuple[str, ...] = (),
        details: dict[str, Any] | None = None,
    ) -> ComplaintRef:
        """File *mention_id* as a new complaint in *inbox* (written by ``write``)."""
        details = details or {}
        unknown = set(details) - _COLUMNS
        if unknown:
            raise ValueError(f"not complaint fields: {', '.join(sorted(unknown))}")
        row = dict(_DEFAULTS)
        row.update(details)
        row.update(
            origin_mention_id=mention_id,
            category=category,
            inbox=inbox,
            confidence=confidence,
            routed_by=routed_by,
            status=ComplaintStatus.BARU,
            created_at=self.now,
            updated_at=self.now,
        )
        ref = ComplaintRef(
            mention_id,
            category,
            inbox,
            ComplaintStatus.BARU,
            self.now,
            row.get("street"),
            row.get("desa"),
        )
        self._new.append(_New(ref, row, channels))
        return ref

    def join(
        self,
        *,
        complaint: ComplaintRef,
        mention_id: int,
        reason: str,
        detail: str | None,
        actor: str = "router",
    ) -> None:
        """Add *mention_id* to *complaint* (stored or filed in this batch) as a further report."""
        self._joins.append(_Join(complaint, mention_id, reason, detail, actor))

    def write(self, session: Session) -> None:
        """Write everything recorded, in *session*'s transaction; refs get ids and numbers.

        Raises FiledMeanwhile when one of the mentions was filed by someone else first:
        the caller rolls back and decides the batch again.
        """
        session.flush()  # the ORM's pending changes first: reporter counts read them
        conn = session.connection()
        links: list[dict[str, Any]] = []
        if self._new:
            numbers = next_numbers(
                conn, prefix=self.number_prefix, filed_at=self.now, count=len(self._new)
            )
            rows = []
            for new, number in zip(self._new, numbers, strict=True):
                new.row["public_number"] = new.ref.public_number = number
                rows.append(new.row)
            written = insert_new_rows_ids(conn, _COMPLAINTS, rows, unique_on=["origin_mention_id"])
            ids = {int(r.origin_mention_id): int(r.id) for r in written}
            missing = [
                n.ref.origin_mention_id for n in self._new if n.ref.origin_mention_id not in ids
            ]
            if missing:
                raise FiledMeanwhile(f"mentions filed meanwhile: {missing[:10]}")
            for new in self._new:
                new.ref.id = int(ids[new.ref.origin_mention_id])
            links += [_link(n.ref, n.ref.origin_mention_id, "origin", self.now) for n in self._new]
            insert_rows(
                conn,
                _HISTORY,
                [filed_history_row(_id(n.ref), n.row["routed_by"], self.now) for n in self._new],
            )
            outbox = [
                row
                for n in self._new
                for row in filed_outbox_rows(_id(n.ref), n.ref.inbox, n.channels, self.now)
            ]
            insert_rows(conn, _OUTBOX, outbox)
        links += [_link(j.ref, j.mention_id, j.reason, self.now) for j in self._joins]
        insert_rows(conn, _LINKS, links)
        if self._joins:
            insert_rows(conn, _MERGES, [self._merge(j) for j in self._joins])
            _recount_reporters(conn, sorted({_id(j.ref) for j in self._joins}), self.now)

    def _merge(self, join: _Join) -> dict[str, Any]:
        return {
            "complaint_id": _id(join.ref),
            "mention_id": join.mention_id,
            "reason": join.reason,
            "detail": join.detail,
            "actor": join.actor,
            "at": self.now,
        }


def _id(ref: ComplaintRef) -> int:
    assert ref.id is not None, "a joined complaint is stored or written before its joins"
    return ref.id


def _link(ref: ComplaintRef, mention_id: int, reason: str, at: datetime) -> dict[str, Any]:
    return link_row(_id(ref), mention_id, reason, at)


def link_row(complaint_id: int, mention_id: int, reason: str, at: datetime) -> dict[str, Any]:
    """The complaint_mention row linking *mention_id* to *complaint_id*."""
    return {
        "mention_id": mention_id,
        "complaint_id": complaint_id,
        "linked_at": at,
        "reason": reason,
    }


def filed_history_row(complaint_id: int, actor: str, at: datetime) -> dict[str, Any]:
    """A new complaint's first history entry (no status before ``baru``)."""
    return {
        "complaint_id": complaint_id,
        "actor": actor,
        "at": at,
        "from_status": None,
        "to_status": ComplaintStatus.BARU,
        "note": FILED_NOTE,
    }


def filed_outbox_rows(
    complaint_id: int, inbox: str, channels: Sequence[str], at: datetime
) -> list[dict[str, Any]]:
    """One outbox row per notification channel announcing a new complaint to *inbox*."""
    payload = {"event": "complaint.filed", "complaint_id": complaint_id}
    return [
        {
            "complaint_id": complaint_id,
            "agency_code": inbox,
            "channel": channel,
            "payload": payload,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        for channel in channels
    ]


def _recount_reporters(conn: Any, complaint_ids: list[int], now: datetime) -> None:
    """Set each complaint's reporters to its different authors, counted in the store."""
    people = (
        select(func.count(func.distinct(_MENTIONS.c.platform + ":" + _MENTIONS.c.author_handle)))
        .select_from(_LINKS.join(_MENTIONS, _MENTIONS.c.id == _LINKS.c.mention_id))
        .where(_LINKS.c.complaint_id == _COMPLAINTS.c.id)
        .scalar_subquery()
    )
    conn.execute(
        update(_COMPLAINTS)
        .where(any_of(conn.dialect, _COMPLAINTS.c.id, complaint_ids))
        .values(reporters=people, updated_at=now)
    )


def filed_already(*, session: Session, mention_ids: list[int]) -> set[int]:
    """Those of *mention_ids* already in a complaint (filed from, or joined to one)."""
    if not mention_ids:
        return set()
    conn = session.connection()
    dialect = conn.dialect
    origins = select(_COMPLAINTS.c.origin_mention_id).where(
        any_of(dialect, _COMPLAINTS.c.origin_mention_id, mention_ids)
    )
    linked = select(_LINKS.c.mention_id).where(any_of(dialect, _LINKS.c.mention_id, mention_ids))
    return {int(i) for (i,) in conn.execute(origins.union(linked))}
