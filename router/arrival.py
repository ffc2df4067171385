"""Routing on arrival: a harvest's new mentions decided and filed as they are stored.

Without it, a harvest stores its mentions ``pending`` and the routing job claims them,
decides them and writes each one's outcome: every mention is written twice and read
back once. On arrival, what needs no store is done before the harvest's transaction
(which mentions are new, classifying them, reading their places), and the mentions
are inserted with the prediction and the state it leads to; their complaints are filed
in the same transaction, under the routing lock (``router.route.ROUTE_LOCK``), and
only a mention whose state the store changed (a reply in a complaint's thread) is
written again. The mentions, their complaints and the source's cursor commit
together, so nothing stored is left unrouted and nothing is routed but not stored.

Routing on arrival is the fast path, never the only one: the harvest stores its
mentions ``pending`` for the routing job instead when the routing lock is taken (the
routing job or another harvest is routing; a harvest never waits for it), when
mentions are waiting for the routing job (so theirs stay first), when the batch is
larger than a routing batch, and whenever routing on arrival fails, for whatever
reason (``harvester.runner`` rolls back and stores the batch as without it). The
routing job then routes them, setting a failing mention aside on its own. Order is
kept as far as this process sees it: a mention another process stores ``pending``
without the lock while a batch is routed here may be routed after a later one, as
when two harvesters race.
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from classifier.normalize import deciding_part
from models.locks import try_lock
from models.mentions import (
    PendingMention,
    any_pending,
    insert_mentions,
    insert_routed,
    stored_already,
    update_routing,
)
from models.replies import own_reply_ids
from models.tables import MentionIn
from models.types import utcnow
from models.vocab import MentionState
from router.policy import RoutingPolicy
from router.route import (
    ROUTE_LOCK,
    Classifier,
    Plan,
    PredictionLike,
    RouteResult,
    file_batch,
    plan,
    routing_fields,
)

log = logging.getLogger(__name__)


class RouteOnArrival:
    """Routes each harvest's new mentions in the transaction that stores them."""

    def __init__(
        self, *, classifier: Classifier, policy: Callable[[], RoutingPolicy], batch_size: int
    ) -> None:
        """*policy* gives the routing policy, anew for each harvest (as for each routing
        job: its calendar follows the date)."""
        self.classifier, self.policy, self.batch_size = classifier, policy, batch_size

    @contextmanager
    def turn(self, engine: Engine, mentions: Sequence[MentionIn]) -> Iterator["Turn"]:
        """The storing of *mentions*: prepared outside any transaction (new ones, their
        predictions and places), then held under the routing lock until the block ends.

        The caller stores with ``Turn.store`` in a transaction of its own and commits it
        inside the block.
        """
        with Session(engine) as session:
            stored = stored_already(session=session, mentions=mentions)
        new = [i for i, m in enumerate(mentions) if (m.platform, m.platform_id) not in stored]
        if not new or len(new) > self.batch_size:
            # Nothing to route, or more than a routing batch: the routing job's work.
            yield Turn(mentions)
            return
        policy = self.policy()
        ours: set[str] = set()
        if policy.replies is not None:
            with Session(engine) as session:
                ours = own_reply_ids(
                    session=session, platform_ids=[mentions[i].platform_id for i in new]
                )
        fresh = [i for i in new if mentions[i].platform_id not in ours]
        predictions = list(
            self.classifier.predict([deciding_part(mentions[i].text) for i in fresh])
        )
        plans = [plan(mentions[i], p, policy) for i, p in zip(fresh, predictions, strict=True)]
        # Never wait for the lock: a harvest waiting would hold a connection of the pool
        # while the routing job or another harvest routes.
        with try_lock(engine, ROUTE_LOCK) as ours_to_route:
            if ours_to_route:
                with Session(engine) as session:
                    ours_to_route = not any_pending(session=session)
            if ours_to_route:
                mine = [i for i in new if mentions[i].platform_id in ours]
                storing = Turn(mentions, policy, mine, fresh, predictions, plans)
                yield storing
        if not ours_to_route:
            # Routing is busy, or mentions wait for it: theirs first, these behind them.
            yield Turn(mentions)
            return
        if storing.result.total:
            log.info(
                "routed %d mentions on arrival: %s", storing.result.total, storing.result.outcome()
            )


class RecordedMeanwhile(Exception):
    """One of a batch's mentions turned out to be our own reply, recorded while the batch
    was being prepared: the routing job, which looks again, takes the batch."""


class Turn:
    """One harvest's storing, prepared by ``RouteOnArrival.turn``."""

    def __init__(
        self,
        mentions: Sequence[MentionIn],
        policy: RoutingPolicy | None = None,
        ours: Sequence[int] = (),
        fresh: Sequence[int] = (),
        predictions: Sequence[PredictionLike] = (),
        plans: Sequence[Plan | None] = (),
    ) -> None:
        """*ours*: the indices of our own replies among *mentions*; *fresh*: of those to
        route, with their *predictions* and *plans*."""
        self.mentions, self.policy = mentions, policy
        self.ours, self.fresh = ours, fresh
        self.predictions, self.plans = predictions, plans
        #: what routing on arrival did (all zero when the mentions were stored pending)
        self.result = RouteResult()

    @property
    def routed(self) -> int:
        """How many of the mentions were routed as they were stored."""
        return self.result.total

    def store(self, session: Session) -> int:
        """Store the mentions in *session*'s transaction, routed if prepared so; how many
        were new."""
        policy, now = self.policy, utcnow()
        if policy is None:
            return insert_mentions(session=session, mentions=self.mentions)
        pending = {"state": MentionState.PENDING}
        routing: list[dict[str, Any]] = [pending] * len(self.mentions)
        mine = {"state": MentionState.NOT_COMPLAINT, "routed_at": now}
        for i in self.ours:
            routing[i] = mine  # our own reply, brought back by a collector
        expected: dict[int, str] = {}
        for i, prediction, p in zip(self.fresh, self.predictions, self.plans, strict=True):
            state = _expected_state(prediction, p)
            expected[i] = state
            routing[i] = routing_fields(prediction, state, now)
        ids = insert_routed(session=session, mentions=self.mentions, routing=routing, now=now)
        if policy.replies is not None:
            late = own_reply_ids(
                session=session,
                platform_ids=[self.mentions[i].platform_id for i in self.fresh if i in ids],
            )
            if late:
                raise RecordedMeanwhile(f"our own replies {sorted(late)[:5]} among the mentions")
        result = RouteResult()
        result.not_complaint = sum(1 for i in ids if routing[i] is mine)
        chosen = [
            (_pending(self.mentions[i], ids[i]), prediction, p, expected[i])
            for i, prediction, p in zip(self.fresh, self.predictions, self.plans, strict=True)
            if i in ids  # stored by another harvester meanwhile: left to it
        ]
        if chosen:
            batch, predictions, plans, states = (list(x) for x in zip(*chosen, strict=True))
            with session.no_autoflush:
                routing_, routed = file_batch(
                    session, batch, predictions, plans, policy, now, result, fresh=True
                )
                update_routing(
                    session=session,
                    rows=[
                        {"id": m.id, "state": state}
                        for m, state, first in zip(batch, routed, states, strict=True)
                        if state != first
                    ],
                )
                routing_.acknowledge()
        self.result = result
        return len(ids)


def _expected_state(prediction: PredictionLike, p: Plan | None) -> str:
    """The state the mention ends in unless it joins a complaint's thread: filed when it is
    to be filed, else triage (the model unsure) or not a complaint."""
    if p is not None:
        return MentionState.FILED
    return MentionState.TRIAGE if prediction.abstained else MentionState.NOT_COMPLAINT


def _pending(mention: MentionIn, mention_id: int) -> PendingMention:
    """*mention* as routing reads it once stored as *mention_id*."""
    return PendingMention(
        id=mention_id,
        platform=mention.platform,
        platform_id=mention.platform_id,
        source=mention.source,
        author_handle=mention.author_handle,
        text=mention.text,
        created_at=mention.created_at.astimezone(UTC),
        conversation_id=mention.conversation_id,
        reply_to_id=mention.reply_to_id,
    )
