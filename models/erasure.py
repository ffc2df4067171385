"""Access and erasure requests of one person, named by platform and handle (UU PDP).

``personal_data_of`` gathers everything stored about an author: their mentions (raw
payload included), the complaints those mentions report with history and notes, the
training corrections made from their text, the notifications that carried it to
agencies, and the access-log entries of those complaints. ``erase_author`` removes
the text and the identity from their mentions, the place words taken from their text
from the complaints they started, and the corrections made from their text, so the
next training leaves them out. Complaints keep their non-personal facts (category,
inbox, status, place, dates), so the statistics do not change.

Imported training examples (``aduan corpus import``) carry no author, so they cannot
be found by one; their text was masked when imported.

Erasure runs in batches of mentions, each in its own transaction, and a batch finds
only mentions that still carry the handle: an interrupted erasure is completed by
running it again, and a second run changes nothing.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, null, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from models.retention import DEFAULT_BATCH, remove_text_and_author
from models.tables import (
    AccessLogEntry,
    Complaint,
    ComplaintMention,
    ComplaintNote,
    Correction,
    Mention,
    Outbox,
    StatusChange,
)
from models.vocab import Platform

_HANDLE = re.compile(r"^@?([^\s:@]{1,200})$")


@dataclass(frozen=True)
class Author:
    """A person as the platforms know them: ``twitter:budi_denpasar``."""

    platform: str
    handle: str

    @classmethod
    def parse(cls, value: str) -> "Author":
        """``PLATFORM:HANDLE`` (an ``@`` before the handle is allowed); ValueError otherwise."""
        platform, sep, handle = value.strip().partition(":")
        known = [p.value for p in Platform]
        if not sep or platform.lower() not in known:
            raise ValueError(
                f"--author {value!r}: expected PLATFORM:HANDLE with PLATFORM one of "
                f"{', '.join(known)}, e.g. twitter:budi_denpasar"
            )
        match = _HANDLE.match(handle.strip())
        if match is None:
            raise ValueError(f"--author {value!r}: the handle after the colon is empty or invalid")
        return cls(platform.lower(), match.group(1))

    def __str__(self) -> str:
        return f"{self.platform}:{self.handle}"

    @property
    def target(self) -> str:
        """How the access log names this person: a digest, never the handle itself.

        The log outlives an erasure; a DPO checks a request by naming the author again
        (``aduan privacy export``, the admin page), which computes the same digest.
        """
        digest = hashlib.sha256(f"{self.platform}:{self.handle.lower()}".encode()).hexdigest()
        return f"author:{self.platform}:#{digest[:16]}"


def _by_author(author: Author) -> Any:
    # Handles are case-insensitive on the platforms (and people type them as they like).
    return (col(Mention.platform) == author.platform) & (
        func.lower(col(Mention.author_handle)) == author.handle.lower()
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _row(obj: Any) -> dict[str, Any]:
    return {key: _plain(value) for key, value in obj.model_dump().items()}


def personal_data_of(*, session: Session, author: Author) -> dict[str, Any]:
    """Everything stored about *author*, as a JSON-ready document (an access request)."""
    mentions = list(
        session.scalars(select(Mention).where(_by_author(author)).order_by(col(Mention.id)))
    )
    mention_ids = [m.id for m in mentions if m.id is not None]
    links = list(
        session.scalars(
            select(ComplaintMention).where(col(ComplaintMention.mention_id).in_(mention_ids))
        )
    )
    complaint_ids = sorted({link.complaint_id for link in links})
    complaints = list(
        session.scalars(
            select(Complaint)
            .where(col(Complaint.id).in_(complaint_ids))
            .order_by(col(Complaint.id))
        )
    )
    history = _grouped(session, StatusChange, StatusChange.complaint_id, complaint_ids)
    notes = _grouped(session, ComplaintNote, ComplaintNote.complaint_id, complaint_ids)
    corrections = session.scalars(
        select(Correction).where(col(Correction.mention_id).in_(mention_ids))
    )
    sent = session.scalars(
        select(Outbox).where(col(Outbox.complaint_id).in_(complaint_ids)).order_by(col(Outbox.id))
    )
    targets = [f"complaint:{i}" for i in complaint_ids] + [author.target]
    seen = session.scalars(
        select(AccessLogEntry)
        .where(col(AccessLogEntry.target).in_(targets))
        .order_by(col(AccessLogEntry.id))
    )
    linked = {link.mention_id: link for link in links}
    return {
        "author": str(author),
        "mentions": [
            {**_row(m), "complaint_id": linked[m.id].complaint_id if m.id in linked else None}
            for m in mentions
        ],
        "complaints": [
            {
                **_row(c),
                "history": [_row(h) for h in history.get(c.id or 0, [])],
                "notes": [_row(n) for n in notes.get(c.id or 0, [])],
            }
            for c in complaints
        ],
        "corrections": [_row(c) for c in corrections],
        # To whom the complaints were sent (the messages themselves are not kept).
        "notifications": [
            {
                "complaint_id": o.complaint_id,
                "agency": o.agency_code,
                "channel": o.channel,
                "status": o.status,
                "created_at": _plain(o.created_at),
                "sent_at": _plain(o.sent_at),
            }
            for o in sent
        ],
        "access_log": [_row(e) for e in seen],
    }


def _grouped(session: Session, table: Any, key: Any, ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in session.scalars(select(table).where(col(key).in_(ids)).order_by(col(table.id))):
        out.setdefault(getattr(row, key.key), []).append(row)
    return out


@dataclass
class ErasureCounts:
    """What one erasure changed."""

    mentions: int = 0
    corrections: int = 0
    #: complaints those mentions report (their facts stay; their reports lose text and author)
    complaints: int = 0

    def as_dict(self) -> dict[str, int]:
        """Counts by name (for the access log and the CLI)."""
        return asdict(self)


def count_author_mentions(*, session: Session, author: Author) -> int:
    """How many stored mentions still carry *author*'s handle."""
    stmt = select(func.count()).select_from(Mention).where(_by_author(author))
    return int(session.execute(stmt).scalar_one())


def erase_author(
    *,
    engine: Engine,
    author: Author,
    now: datetime,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> ErasureCounts:
    """Remove *author*'s text and identity, batch by batch; what was changed."""
    counts = ErasureCounts()
    while True:
        with engine.begin() as conn:
            stmt = (
                select(col(Mention.id))
                .where(_by_author(author))
                .order_by(col(Mention.id))
                .limit(batch_size)
            )
            ids = [int(i) for i in conn.scalars(stmt) if i is not None]
            if not ids:
                return counts
            counts.corrections += _forget_corrections(conn, ids)
            counts.complaints += _forget_place_words(conn, ids)
            remove_text_and_author(conn, ids, now)
        counts.mentions += len(ids)
        if progress is not None:
            progress(len(ids))


def _forget_corrections(conn: Connection, ids: list[int]) -> int:
    """Delete the corrections made from these mentions' text; the next training skips them."""
    result = conn.execute(delete(Correction).where(col(Correction.mention_id).in_(ids)))
    return int(result.rowcount or 0)


def _forget_place_words(conn: Connection, ids: list[int]) -> int:
    """Clear the words of the text that named the place, on complaints these mentions began.

    Returns how many complaints these mentions report.
    """
    conn.execute(
        update(Complaint)
        .where(col(Complaint.origin_mention_id).in_(ids), col(Complaint.location_span).is_not(None))
        .values(location_span=null())
    )
    linked = select(func.count(func.distinct(col(ComplaintMention.complaint_id)))).where(
        col(ComplaintMention.mention_id).in_(ids)
    )
    return int(conn.execute(linked).scalar_one())
