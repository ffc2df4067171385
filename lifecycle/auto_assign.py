"""Automatic assignment of complaints entering an inbox: round-robin or least-loaded.

Configured per inbox (``agencies[].auto_assign``, carried by ``RoutingPolicy.auto_assign``)
and applied where a complaint enters an inbox, in the transaction that puts it there,
through ``RoutingPolicy.on_inbox_entry`` (the composition root points it here; the
router cannot import lifecycle): routing files it (once per batch), triage decides a
mention's category (``lifecycle.triage.assign``), triage redirects a complaint or an
agency refuses it (``lifecycle.status.reassign``, ``bukan_wewenang``). A complaint
that already has a petugas keeps them.

The candidates are the inbox's active agency users (``assignable_users``):

* ``round_robin``: the one whose latest assignment is oldest (never assigned first),
  then by username. The rotation is read from ``complaint_assignment``, so it survives
  restarts and daemon instances share it.
* ``least_loaded``: the one with the fewest open complaints of the inbox, ties broken
  in round-robin order.

One query per call reads every candidate of the inboxes involved with their open count
and latest assignment; each assignment then updates those figures in memory, so one
routing batch spreads its complaints. Each assignment is written like a manual one: the
complaint's ``assignee_id``, a ``ComplaintAssignment`` row (actor ``otomatis``) and the
petugas's notices (``lifecycle.assignment.notice_rows``). An inbox without an active
petugas leaves its complaints unassigned.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from lifecycle.assignment import OPEN_STATUSES, notice_rows
from models.tables import Complaint, ComplaintAssignment, Outbox, User
from models.types import utcnow
from models.vocab import Role
from notify.assignee import AUTO_ACTOR
from router.policy import RoutingPolicy

log = logging.getLogger(__name__)

ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"
#: the configurable modes, as ``agencies[].auto_assign`` spells them
MODES = (ROUND_ROBIN, LEAST_LOADED)

_ASSIGNMENTS: Table = ComplaintAssignment.__table__  # type: ignore[attr-defined]
_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass
class _Candidate:
    user: User
    open: int
    last: datetime
    #: assignments made by this call, so equal times still rotate
    turn: int = 0


def _candidates(session: Session, inboxes: set[str]) -> dict[str, list[_Candidate]]:
    """The active petugas of *inboxes* with their open count and latest assignment."""
    open_count = (
        sa_select(func.count())
        .where(
            col(Complaint.assignee_id) == col(User.id),
            col(Complaint.inbox) == col(User.agency_code),
            col(Complaint.status).in_(OPEN_STATUSES),
        )
        .scalar_subquery()
    )
    latest = (
        sa_select(func.max(col(ComplaintAssignment.at)))
        .where(col(ComplaintAssignment.to_user_id) == col(User.id))
        .scalar_subquery()
    )
    stmt = (
        sa_select(User, open_count, latest)
        .where(
            col(User.role) == Role.AGENCY,
            col(User.active).is_(True),
            col(User.agency_code).in_(sorted(inboxes)),
        )
        .order_by(col(User.username))
    )
    out: dict[str, list[_Candidate]] = {}
    for user, n, last in session.execute(stmt).all():
        when = last if last is not None else _NEVER
        if when.tzinfo is None:  # SQLite's max() returns the stored text's naive value
            when = when.replace(tzinfo=UTC)
        out.setdefault(user.agency_code or "", []).append(_Candidate(user, int(n or 0), when))
    return out


def _pick(mode: str, candidates: list[_Candidate]) -> _Candidate:
    def rotation(c: _Candidate) -> tuple[datetime, int, str]:
        return (c.last, c.turn, c.user.username)

    if mode == LEAST_LOADED:
        return min(candidates, key=lambda c: (c.open, *rotation(c)))
    return min(candidates, key=rotation)


def assign_entered(
    session: Session,
    complaints: Sequence[Complaint],
    policy: RoutingPolicy,
    now: datetime | None = None,
) -> int:
    """Give each complaint of *complaints* without a petugas one of its inbox's, when its
    inbox is configured for it; in *session*'s transaction. Returns how many."""
    modes = policy.auto_assign
    if not modes:
        return 0
    waiting = [c for c in complaints if c.assignee_id is None and c.inbox in modes]
    if not waiting:
        return 0
    now = now or utcnow()
    pools = _candidates(session, {c.inbox for c in waiting})
    history: list[dict[str, object]] = []
    notices: list[dict[str, object]] = []
    turn = 0
    for complaint in waiting:
        pool = pools.get(complaint.inbox)
        if not pool:
            continue
        chosen = _pick(modes[complaint.inbox], pool)
        turn += 1
        chosen.open, chosen.last, chosen.turn = chosen.open + 1, now, turn
        complaint.assignee_id = chosen.user.id
        session.add(complaint)
        rows, notified = notice_rows(complaint, chosen.user, AUTO_ACTOR, policy, now)
        notices += rows
        history.append(
            {
                "complaint_id": complaint.id,
                "from_user_id": None,
                "to_user_id": chosen.user.id,
                "actor": AUTO_ACTOR,
                "at": now,
                "notified": notified,
            }
        )
    if history:
        conn = session.connection()
        conn.execute(insert(_ASSIGNMENTS), history)
        if notices:
            conn.execute(insert(_OUTBOX), notices)
        log.info("auto-assignment: %d complaints given a petugas", len(history))
    return len(history)
