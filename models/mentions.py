"""Storing mentions: insert-if-new, and the queue of mentions awaiting routing."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from models.exceptions import InvalidMention
from models.tables import Mention, MentionIn
from models.types import utcnow
from models.vocab import PLATFORMS, MentionState


def check_mention(mention: MentionIn) -> None:
    """Raise InvalidMention unless *mention* comes from a platform aduan knows.

    The platform is shown on pages and charts and selects collectors; a record from a
    hostile or broken source must not put a made-up one there.
    """
    if mention.platform not in PLATFORMS:
        shown = repr(mention.platform[:40])
        raise InvalidMention(
            f"mention {mention.platform_id[:100]!r} from source {mention.source!r}: "
            f"unknown platform {shown}; known: {', '.join(PLATFORMS)}",
            platform_id=mention.platform_id,
            source=mention.source,
        )


def insert_mentions(*, session: Session, mentions: Sequence[MentionIn]) -> int:
    """Insert the mentions not stored yet; return how many were new.

    A mention already stored (same platform and platform id) is left as it is, so
    re-harvesting a window, or two harvesters racing, never stores one twice. Every
    mention is checked first (``check_mention``): InvalidMention names the first bad
    one and nothing is written.
    """
    if not mentions:
        return 0
    for m in mentions:
        check_mention(m)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for m in mentions:
        key = (m.platform, m.platform_id)
        if key in seen:
            continue
        seen.add(key)
        row = m.model_dump()
        row["fetched_at"] = now
        row["state"] = MentionState.PENDING
        rows.append(row)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Mention)
        .on_conflict_do_nothing(index_elements=["platform", "platform_id"])
        .returning(col(Mention.id))
    )
    # executemany: SQLAlchemy batches the rows into multi-row INSERTs itself
    # ("insertmanyvalues"), about four times faster than one huge VALUES clause.
    return len(session.execute(stmt, rows).all())


def pending_mentions(*, session: Session, limit: int = 200) -> list[Mention]:
    """The oldest stored mentions that routing has not handled yet, claimed for this session.

    On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``, so several routers
    (daemon instances) share the queue without handling a mention twice; SQLite has a
    single writer and needs no lock.
    """
    stmt = (
        select(Mention)
        .where(Mention.state == MentionState.PENDING)
        .order_by(col(Mention.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.exec(stmt))


_MENTIONS: Table = Mention.__table__  # type: ignore[attr-defined]
#: what routing records on each mention it handled (``record_routing``)
ROUTING_FIELDS = (
    "state",
    "category",
    "confidence",
    "abstained",
    "model_id",
    "terms",
    "abstain_reason",
    "routed_at",
)
_RECORD_ROUTING = (
    update(_MENTIONS)
    .where(_MENTIONS.c.id == bindparam("mention_id"))
    .values({f: bindparam(f) for f in ROUTING_FIELDS})
)


def record_routing(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write routing's outcome on many mentions with one executemany UPDATE.

    Each row holds ``mention_id`` and every field of ``ROUTING_FIELDS``.
    """
    if rows:
        session.connection().execute(_RECORD_ROUTING, list(rows))


def count_by_state(*, session: Session) -> dict[str, int]:
    """How many mentions are in each routing state."""
    stmt = select(Mention.state, func.count()).group_by(Mention.state)
    return {state: n for state, n in session.exec(stmt)}


def triage_queue(*, session: Session, limit: int = 100) -> list[Mention]:
    """Mentions the model was unsure of, oldest first."""
    stmt = (
        select(Mention)
        .where(Mention.state == MentionState.TRIAGE)
        .order_by(col(Mention.created_at))
        .limit(limit)
    )
    return list(session.exec(stmt))
