"""Storing mentions: insert-if-new, and the queue of mentions awaiting routing."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.exceptions import InvalidMention
from models.many_rows import any_of, insert_new_rows, insert_new_rows_ids, update_rows
from models.tables import Mention, MentionIn
from models.types import utcnow
from models.vocab import PLATFORMS, MentionState

_MENTIONS: Table = Mention.__table__  # type: ignore[attr-defined]
#: what a collector gives of a mention (``MentionIn``), each a column of the table
_IN_FIELDS = tuple(MentionIn.model_fields)
#: a mention is stored once per platform post (``uq_mention_platform_id``)
_UNIQUE = ("platform", "platform_id")


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
    rows = _new_rows(mentions, [{"state": MentionState.PENDING}] * len(mentions))
    # One statement for the whole batch (arrays on PostgreSQL, the driver's executemany
    # on SQLite); only the count of those written is needed, not their ids.
    return insert_new_rows(session.connection(), _MENTIONS, rows, unique_on=_UNIQUE)


def insert_routed(
    *,
    session: Session,
    mentions: Sequence[MentionIn],
    routing: Sequence[dict[str, Any]],
    now: datetime | None = None,
) -> dict[int, int]:
    """Insert the mentions not stored yet, each with its routing fields already set
    (``router.arrival``); the id of each written, by its index in *mentions*.

    *routing* holds, for each mention, its ``state`` and any other of ``ROUTING_FIELDS``
    (those left out stay empty). A mention already stored, or repeated in *mentions*,
    is left out as ``insert_mentions`` leaves it. Mentions are fetched at *now* (the
    time they are routed at) and written one statement per set of fields, in their
    order within each: a batch's ids follow its order when all have the same fields.
    """
    if len(routing) != len(mentions):
        raise ValueError(f"{len(mentions)} mentions but {len(routing)} routing records")
    for keys in {tuple(r) for r in routing}:  # a batch's few kinds of record
        if "state" not in keys or not set(keys) <= set(ROUTING_FIELDS):
            raise ValueError(
                f"routing of a new mention: needs its state, and only {', '.join(ROUTING_FIELDS)}"
            )
    index = {(m.platform, m.platform_id): i for i, m in reversed(list(enumerate(mentions)))}
    rows = _new_rows(mentions, routing, now)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    ids: dict[int, int] = {}
    for group in groups.values():
        written = insert_new_rows_ids(session.connection(), _MENTIONS, group, unique_on=_UNIQUE)
        ids.update((index[(row.platform, row.platform_id)], row.id) for row in written)
    return ids


def _new_rows(
    mentions: Sequence[MentionIn], routing: Sequence[dict[str, Any]], now: datetime | None = None
) -> list[dict[str, Any]]:
    """The rows of *mentions* (each checked, the first of a repeated one only), with
    their fetch time (*now*, or the current time) and *routing*'s fields."""
    for m in mentions:
        check_mention(m)
    now = now or utcnow()
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for m, routed in zip(mentions, routing, strict=True):
        key = (m.platform, m.platform_id)
        if key in seen:
            continue
        seen.add(key)
        # the fields as they are (model_dump would copy the raw payload, which is only read)
        row = {name: getattr(m, name) for name in _IN_FIELDS}
        row["fetched_at"] = now
        row.update(routed)
        rows.append(row)
    return rows


def stored_already(*, session: Session, mentions: Sequence[MentionIn]) -> set[tuple[str, str]]:
    """(platform, platform id) of those of *mentions* that are stored already."""
    wanted: dict[str, set[str]] = {}
    for m in mentions:
        wanted.setdefault(m.platform, set()).add(m.platform_id)
    dialect = session.get_bind().dialect
    found: set[tuple[str, str]] = set()
    for platform, ids in wanted.items():
        stmt = sa_select(_MENTIONS.c.platform, _MENTIONS.c.platform_id).where(
            _MENTIONS.c.platform == platform, any_of(dialect, _MENTIONS.c.platform_id, sorted(ids))
        )
        found.update((p, i) for p, i in session.execute(stmt))
    return found


def any_pending(*, session: Session) -> bool:
    """Whether any stored mention awaits routing."""
    stmt = sa_select(_MENTIONS.c.id).where(_MENTIONS.c.state == MentionState.PENDING).limit(1)
    return session.execute(stmt).first() is not None


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

_ROUTED_KEYS = {"id", *ROUTING_FIELDS}


def record_routing(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write routing's outcome on many mentions with one statement (``models.many_rows``).

    Each row holds the mention's ``id`` and every field of ``ROUTING_FIELDS``.
    """
    for row in rows:
        if set(row) != _ROUTED_KEYS:
            raise ValueError(f"routing record of mention {row.get('id')}: needs {_ROUTED_KEYS}")
    update_routing(session=session, rows=rows)


def update_routing(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Set some of ``ROUTING_FIELDS`` on many mentions (each row: ``id`` and the same fields)."""
    unknown = {k for row in rows for k in row} - _ROUTED_KEYS
    if unknown:
        raise ValueError(f"not routing fields of a mention: {', '.join(sorted(unknown))}")
    update_rows(session.connection(), _MENTIONS, rows)


def triage_if_pending(*, session: Session, mention_id: int, reason: str) -> bool:
    """Put *mention_id* in triage with *reason* if it is still pending; whether it was."""
    changed = session.connection().execute(
        update(_MENTIONS)
        .where(_MENTIONS.c.id == mention_id, _MENTIONS.c.state == MentionState.PENDING)
        .values(state=MentionState.TRIAGE, abstain_reason=reason, routed_at=utcnow())
    )
    return bool(changed.rowcount)


@dataclass(frozen=True, slots=True)
class PendingMention:
    """A mention claimed for routing: the fields routing reads, without the ORM's bookkeeping."""

    id: int
    platform: str
    platform_id: str
    source: str
    author_handle: str
    text: str
    created_at: datetime
    conversation_id: str | None
    reply_to_id: str | None


_PENDING_COLUMNS = [_MENTIONS.c[f.name] for f in fields(PendingMention)]


def claim_pending(
    *, session: Session, limit: int = 200, after: int | None = None, upto: int | None = None
) -> list[PendingMention]:
    """``pending_mentions``, reading only the columns routing needs (no ORM objects);
    with *after* and *upto*, only those with an id after the one and up to the other.

    The rows are claimed as ``pending_mentions`` claims them (``FOR UPDATE SKIP LOCKED``
    on PostgreSQL).
    """
    stmt = (
        sa_select(*_PENDING_COLUMNS)
        .where(_MENTIONS.c.state == MentionState.PENDING)
        .order_by(_MENTIONS.c.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(_MENTIONS.c.id > after)
    if upto is not None:
        stmt = stmt.where(_MENTIONS.c.id <= upto)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [PendingMention(*row) for row in session.execute(stmt)]


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
