"""Routing stored mentions: thread, rules, model, place, jurisdiction, dedupe, file.

For each pending mention, in this order:

1. a reply to a post that is already a complaint joins that complaint; a reply to a
   closed (selesai) complaint within the reopen window reopens it, unless the model is
   sure it is not a complaint (a "terima kasih": joined, with a note saying why it did
   not reopen); after the window it is routed as a new mention and, if filed, linked
   to the closed complaint (``previous_complaint_id``). Never silently attached;
2. the first matching rule decides the category and/or inbox;
3. otherwise the model: an abstained prediction goes to triage, NOT_COMPLAINT is kept
   (searchable) but not filed;
4. the place is read from the text; a complaint about a place outside the city goes
   to the triage inbox, one about a road another government owns to that owner;
5. an open complaint of the same category at the same place with similar text within
   the dedupe window takes the mention as a further report;
6. else a new complaint is filed, with its deadlines and outbox rows.

Every complaint records what routed it (``rule:NAME``, ``model:ID``) and why it went
to its inbox (``route_reason``).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from classifier.normalize import deciding_part, normalize
from models.complaints import attach_mention
from models.db import session_scope
from models.filing import ComplaintRef, FiledMeanwhile, FilingBatch, filed_already
from models.locks import hold_lock
from models.mentions import PendingMention, claim_pending, record_routing, update_routing
from models.notes import add_note
from models.reopen import lock_for_reopen, reopen_by_reply
from models.replies import own_reply_ids
from models.tables import Complaint, Mention, MentionBase
from models.types import utcnow
from models.vocab import NOT_COMPLAINT, ComplaintStatus, MentionState
from notify.replies import acknowledge
from router.dedupe import DuplicateIndex, ThreadIndex, Wanted
from router.location import Location
from router.policy import RoutingPolicy
from router.rules import first_match
from router.set_aside import OneAtATime, mention_fault, set_aside

log = logging.getLogger(__name__)

#: the lock routers take turns under, one batch at a time
ROUTE_LOCK = "route"


class PredictionLike(Protocol):
    """What routing needs of a prediction."""

    @property
    def category(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def abstained(self) -> bool: ...
    @property
    def model_id(self) -> str: ...
    @property
    def terms(self) -> list[str]: ...
    @property
    def reason(self) -> str | None:
        """Why an abstained prediction goes to triage, in Indonesian; None otherwise."""
        ...


class Classifier(Protocol):
    """Anything that classifies texts (the active model, or a test double)."""

    def predict(self, texts: Sequence[str]) -> Sequence[PredictionLike]:
        """One prediction per text."""
        ...


@dataclass
class RouteResult:
    """Counts of one routing pass."""

    filed: int = 0
    triaged: int = 0
    not_complaint: int = 0
    already_filed: int = 0
    #: joined an existing complaint (a reply in its thread, or the same problem)
    attached: int = 0
    #: closed complaints reopened by a citizen's reply (counted in attached too)
    reopened: int = 0
    #: mentions whose routing failed, set aside in triage with the reason
    set_aside: int = 0

    def add(self, other: "RouteResult") -> None:
        """Add *other*'s counts (a committed batch's) to these."""
        self.filed += other.filed
        self.triaged += other.triaged
        self.not_complaint += other.not_complaint
        self.already_filed += other.already_filed
        self.attached += other.attached
        self.reopened += other.reopened
        self.set_aside += other.set_aside

    def outcome(self) -> str:
        """The counts as the logs give them."""
        return (
            f"{self.filed} filed, {self.attached} joined a complaint, {self.triaged} to "
            f"triage, {self.not_complaint} not complaints, {self.set_aside} set aside in "
            "triage (routing failed)"
        )

    @property
    def total(self) -> int:
        """Mentions handled."""
        return (
            self.filed
            + self.triaged
            + self.not_complaint
            + self.already_filed
            + self.attached
            + self.set_aside
        )


@dataclass(frozen=True)
class _Decision:
    category: str
    inbox: str
    routed_by: str
    reason: str | None
    confidence: float | None


@dataclass(frozen=True)
class Plan:
    """Where a mention would be filed and the place read from it (``plan``)."""

    decision: _Decision
    location: Location


def route_pending(
    *, engine: Engine, classifier: Classifier, policy: RoutingPolicy, batch_size: int = 200
) -> RouteResult:
    """Route every pending mention, a committed batch at a time.

    Routers (daemon instances) take turns batch by batch under one lock: a batch's
    thread and duplicate look-ups then see every complaint the batches before it
    filed, whichever router filed them, so two routers file, merge and thread exactly
    what one would. The lock is released after the commit.

    A batch that fails for a reason of its mentions is routed again one mention at a
    time, and a mention that still fails alone is set aside in triage with the reason
    (``router.set_aside``): one bad mention never holds back the ones after it. A
    failing store fails the pass, and so does a failure the batch's mentions each meet
    alone, alike, a probe from further on included (``RoutingBroken``: routing itself is
    broken); their mentions stay pending.

    A batch is decided in memory after a fixed number of look-ups (the pending
    mentions, the complaints of their threads, the open complaints they might repeat,
    those filed already) and written with one statement per table
    (``models.filing``), whatever its size. Should another writer file one of its
    mentions meanwhile, the batch is rolled back and decided again.
    """
    result = RouteResult()
    alone: OneAtATime | None = None  # a failed batch's mentions, routed one at a time
    while True:
        done = RouteResult()
        batch: list[PendingMention] = []
        failure: Exception | None = None
        probe = alone is not None and alone.wants_probe()
        routed = 0
        try:
            with hold_lock(engine, ROUTE_LOCK), session_scope(engine) as session:
                if alone is None:
                    batch = claim_pending(session=session, limit=batch_size)
                elif probe:
                    batch = claim_pending(session=session, limit=1, after=alone.probe_after())
                else:
                    batch = claim_pending(
                        session=session, limit=1, after=alone.last_id, upto=alone.last_of_batch
                    )
                if batch:
                    routed = _route_batch(session, batch, classifier, policy, done)
        except FiledMeanwhile as err:
            log.info("routing the batch again: %s", err)
            continue
        except Exception as err:
            if not batch or not mention_fault(err):
                raise
            done = RouteResult()  # what the rolled-back attempt counted
            if alone is None and len(batch) > 1:
                log.warning(
                    "a batch of %d mentions failed (%s: %s); routing them one at a time",
                    len(batch),
                    type(err).__name__,
                    err,
                )
                alone = OneAtATime(
                    left=len(batch), last_id=batch[0].id - 1, last_of_batch=batch[-1].id
                )
                continue
            if alone is None:  # a batch of one
                _set_aside(engine, [(batch[0].id, err)], done)
            failure = err
        if alone is None:
            if not batch:
                return result
        else:
            if not batch and probe:
                alone.no_probe()
            elif not batch:
                alone.rest_routed_elsewhere()
            elif probe:
                alone.probe_tried(batch[0].id, batch[0].text, failure, routed=routed > 0)
            else:
                alone.tried(batch[0].id, batch[0].text, failure, routed=routed > 0)
            alone.settle()
            _set_aside(engine, alone.their_own(), done)
            if alone.done():
                alone = None
        result.add(done)


def _set_aside(engine: Engine, failed: list[tuple[int, Exception]], done: RouteResult) -> None:
    """Set each failed mention aside in triage (``router.set_aside``), each committed;
    one that another router routed meanwhile is left as it is."""
    for mention_id, err in failed:
        with hold_lock(engine, ROUTE_LOCK), session_scope(engine) as session:
            if set_aside(session, mention_id, err):
                done.set_aside += 1


def _route_batch(
    session: Session,
    batch: list[PendingMention],
    classifier: Classifier,
    policy: RoutingPolicy,
    result: RouteResult,
) -> int:
    """Route *batch* in *session*'s transaction; how many of it needed routing (our own
    replies aside)."""
    batch = _without_our_replies(session, batch, policy, result)
    if not batch:
        return 0
    # The first DECIDING_CHARS characters decide; the whole text stays stored.
    predictions = classifier.predict([deciding_part(m.text) for m in batch])
    now = utcnow()
    # Each step writes what later look-ups must see; autoflush before every query
    # would flush the whole batch's pending changes again and again.
    with session.no_autoflush:
        plans = [plan(m, p, policy) for m, p in zip(batch, predictions, strict=True)]
        routing, routed = file_batch(session, batch, predictions, plans, policy, now, result)
        record_routing(
            session=session,
            rows=[
                routed_row(m, p, state, now)
                for m, p, state in zip(batch, predictions, routed, strict=True)
            ],
        )
        routing.acknowledge()
    return len(batch)


def file_batch(
    session: Session,
    batch: list[PendingMention],
    predictions: Sequence[PredictionLike],
    plans: list["Plan | None"],
    policy: RoutingPolicy,
    now: datetime,
    result: RouteResult,
    *,
    fresh: bool = False,
) -> tuple["_BatchRouting", list[str]]:
    """Decide *batch* (its look-ups, then each mention in order) and write its complaints
    and joins; the routing, whose acknowledgements are still to draft, and each mention's
    new state. *fresh*: the mentions were stored in this transaction (``router.arrival``),
    so none can be filed already. Call with the session's autoflush off.
    """
    routing = _BatchRouting(session, policy, now, result)
    routing.load(batch, plans, fresh=fresh)
    routed = [
        routing.route(mention, prediction, p)
        for mention, prediction, p in zip(batch, predictions, plans, strict=True)
    ]
    routing.write()
    routing.enter_inboxes()
    return routing, routed


class _BatchRouting:
    """One batch's look-ups, decisions and writes, in the batch's transaction."""

    def __init__(
        self, session: Session, policy: RoutingPolicy, now: datetime, result: RouteResult
    ) -> None:
        self.session, self.policy, self.now, self.result = session, policy, now, result
        self.threads = ThreadIndex()
        self.index = DuplicateIndex(policy.dedupe_window, policy.dedupe_min_similarity)
        self.filing = FilingBatch(now=now, number_prefix=policy.number_prefix)
        self.filed_before: set[int] = set()
        self.deadlines = policy.deadline_details(now)
        #: acknowledgements to draft once the complaints have numbers: (complaint, mention, new)
        self.acks: list[tuple[ComplaintRef, PendingMention, bool]] = []
        #: the complaints this batch filed, for the policy's inbox-entry hook
        self.entered: list[ComplaintRef] = []

    def load(
        self, batch: list[PendingMention], plans: list["Plan | None"], *, fresh: bool = False
    ) -> None:
        """The batch's look-ups: a query each, whatever the batch's size."""
        if not fresh:
            self.filed_before = filed_already(
                session=self.session, mention_ids=[m.id for m in batch if m.id is not None]
            )
        self.threads.load(session=self.session, mentions=batch)
        self.index.load(
            session=self.session,
            wanted=[_wanted(m, p) for m, p in zip(batch, plans, strict=True) if p],
        )

    def route(
        self, mention: PendingMention, prediction: PredictionLike, plan: "Plan | None"
    ) -> str:
        """Decide *mention*; the state it ends in."""
        assert mention.id is not None
        if mention.id in self.filed_before:
            log.info("mention %s was filed already; left as it is", mention.id)
            self.result.already_filed += 1
            return MentionState.FILED
        thread = self.threads.find(mention)
        previous: int | None = None
        if thread is not None and thread.status == ComplaintStatus.SELESAI:
            if self._reply_to_closed(mention, prediction, plan, thread):
                return MentionState.FILED
            previous, thread = thread.id, None
        if thread is not None:
            self._join(thread, mention, "reply", "balasan dalam utas pengaduan")
            return MentionState.FILED
        if plan is None:
            return _kept(prediction, self.result)
        duplicate = self.index.find(wanted=_wanted(mention, plan), text=mention.text)
        if duplicate is not None:
            detail = (
                f"kategori dan lokasi sama ({duplicate.place}), kemiripan teks "
                f"{duplicate.similarity:.2f}"
            )
            self._join(duplicate.complaint, mention, "duplicate", detail)
            return MentionState.FILED
        decision, location = plan.decision, plan.location
        details = _details(decision, location, prediction)
        details.update(self.deadlines)
        if previous is not None:
            details["previous_complaint_id"] = previous
            why = f"lanjutan pengaduan #{previous} yang sudah selesai"
            details["route_reason"] = (
                f"{details['route_reason']}; {why}" if details["route_reason"] else why
            )
        assert mention.id is not None
        complaint = self.filing.file(
            mention_id=mention.id,
            category=decision.category,
            inbox=decision.inbox,
            confidence=decision.confidence,
            routed_by=decision.routed_by,
            channels=self.policy.channels.get(decision.inbox, ()),
            details=details,
        )
        self.index.filed(complaint, mention.text, mention.created_at)
        self.entered.append(complaint)
        self.threads.link(mention, complaint)
        self._ack(complaint, mention, new=True)
        self.result.filed += 1
        return MentionState.FILED

    def write(self) -> None:
        """Write the batch's complaints and joins (``models.filing``)."""
        self.filing.write(self.session)

    def enter_inboxes(self) -> None:
        """Tell the policy's inbox-entry hook (auto-assignment) which complaints this batch
        filed: once per batch, in its transaction, after they have ids."""
        hook = self.policy.on_inbox_entry
        if hook is None or not self.entered:
            return
        ids = [ref.id for ref in self.entered if ref.id is not None]
        complaints = self.session.exec(
            select(Complaint).where(col(Complaint.id).in_(ids)).order_by(col(Complaint.id))
        ).all()
        hook(self.session, complaints, self.policy)

    def acknowledge(self) -> None:
        """Draft the acknowledgements, in routing order, now that complaints have numbers."""
        if not self.acks:
            return
        ids = {ref.id for ref, _, _ in self.acks if ref.id is not None}
        complaints = {
            c.id: c for c in self.session.exec(select(Complaint).where(col(Complaint.id).in_(ids)))
        }
        wanted = [m.id for _, m, _ in self.acks]
        mentions = {
            m.id: m for m in self.session.exec(select(Mention).where(col(Mention.id).in_(wanted)))
        }
        for ref, mention, new in self.acks:
            assert ref.id is not None
            acknowledge(
                session=self.session,
                policy=self.policy.replies,
                complaint=complaints[ref.id],
                mention=mentions[mention.id],
                new_complaint=new,
                routed=True,
            )

    def _join(
        self, complaint: ComplaintRef, mention: PendingMention, reason: str, detail: str
    ) -> None:
        assert mention.id is not None
        self.filing.join(complaint=complaint, mention_id=mention.id, reason=reason, detail=detail)
        self.threads.link(mention, complaint)
        self._ack(complaint, mention, new=False)
        self.result.attached += 1

    def _ack(self, complaint: ComplaintRef, mention: PendingMention, *, new: bool) -> None:
        replies = self.policy.replies
        if replies is not None and mention.source in replies.accounts:
            self.acks.append((complaint, mention, new))

    def _reply_to_closed(
        self,
        mention: PendingMention,
        prediction: PredictionLike,
        plan: "Plan | None",
        closed: ComplaintRef,
    ) -> bool:
        """Reopen *closed* (or join it with a note) for a reply within the window; True if so.

        Rare, so written at once, row by row, like a person's reopening.
        """
        session, policy = self.session, self.policy
        assert closed.id is not None
        complaint = lock_for_reopen(session=session, complaint_id=closed.id)
        closed.status = complaint.status
        if complaint.status != ComplaintStatus.SELESAI:
            # Reopened meanwhile (by a person).
            self._attach_now(complaint, closed, mention, "balasan dalam utas pengaduan")
            return True
        closed_at = complaint.resolved_at or complaint.updated_at
        window = policy.reopen_window
        if window is None or mention.created_at - closed_at > window:
            return False
        sure_not = plan is None and not prediction.abstained
        detail = "balasan setelah pengaduan selesai"
        self._attach_now(
            complaint, closed, mention, detail if sure_not else f"{detail}: dibuka kembali"
        )
        if sure_not:
            add_note(
                session=session,
                complaint_id=closed.id,
                author="router",
                text=f"Balasan warga setelah pengaduan selesai (kiriman {mention.platform} "
                f"{mention.platform_id}); tidak dibuka kembali karena menurut model bukan "
                f"pengaduan (mis. ucapan terima kasih). Buka kembali secara manual bila perlu.",
            )
            return True
        reopen_by_reply(
            session=session,
            complaint=complaint,
            mention=self._stored(mention),
            channels=policy.channels.get(complaint.inbox, ()),
            now=self.now,
        )
        closed.status = complaint.status
        self.result.reopened += 1
        return True

    def _stored(self, mention: PendingMention) -> Mention:
        """The ORM object of *mention*, for the row-by-row paths."""
        stored = self.session.get(Mention, mention.id)
        assert stored is not None
        return stored

    def _attach_now(
        self, complaint: Complaint, ref: ComplaintRef, mention: PendingMention, detail: str
    ) -> None:
        attach_mention(
            session=self.session,
            complaint=complaint,
            mention=self._stored(mention),
            reason="reply",
            actor="router",
            detail=detail,
        )
        self.threads.link(mention, ref)
        self.result.attached += 1


def _without_our_replies(
    session: Session, batch: list[PendingMention], policy: RoutingPolicy, result: RouteResult
) -> list[PendingMention]:
    """Keep our own replies, should a collector bring one back, out of routing."""
    if policy.replies is None:
        return batch
    ours = own_reply_ids(session=session, platform_ids=[m.platform_id for m in batch])
    if not ours:
        return batch
    kept, now = [], utcnow()
    mine = []
    for mention in batch:
        if mention.platform_id in ours:
            log.info("mention %s is our own reply; kept, not routed", mention.id)
            mine.append({"id": mention.id, "state": MentionState.NOT_COMPLAINT, "routed_at": now})
            result.not_complaint += 1
        else:
            kept.append(mention)
    update_routing(session=session, rows=mine)
    return kept


def plan(
    mention: MentionBase | PendingMention, prediction: PredictionLike, policy: RoutingPolicy
) -> Plan | None:
    """Where the mention would be filed, before looking at the store; None: not filed."""
    text = deciding_part(mention.text)
    decision = _decide(mention, normalize(text), prediction, policy)
    if decision is None:
        return None
    location = policy.locate(text) if policy.locate else Location()
    return Plan(_place(decision, location, text, policy), location)


def _wanted(mention: PendingMention, plan: Plan) -> Wanted:
    return Wanted(plan.decision.category, plan.location, mention.created_at)


def routed_row(
    mention: PendingMention, prediction: PredictionLike, state: str, now: datetime
) -> dict[str, Any]:
    """What routing records on *mention*: the prediction, its new state, when."""
    return {"id": mention.id, **routing_fields(prediction, state, now)}


def routing_fields(prediction: PredictionLike, state: str, now: datetime) -> dict[str, Any]:
    """The routing fields of a mention routed at *now* to *state* with *prediction*."""
    reason = prediction.reason if prediction.abstained else None
    return {
        "state": state,
        "category": prediction.category,
        "confidence": prediction.confidence,
        "abstained": prediction.abstained,
        "model_id": prediction.model_id,
        "terms": list(prediction.terms),
        "abstain_reason": reason[:200] if reason else None,
        "routed_at": now,
    }


def _decide(
    mention: MentionBase | PendingMention,
    normalised: str,
    prediction: PredictionLike,
    policy: RoutingPolicy,
) -> _Decision | None:
    """The rule's or the model's decision; None when the mention is not to be filed."""
    rule = first_match(policy.rules, mention, normalised)
    if rule is not None:
        category = rule.category or prediction.category
        if category == NOT_COMPLAINT and rule.inbox is None:
            return None
        if category == NOT_COMPLAINT:
            category = "OTHER"
        inbox = rule.inbox or policy.inbox_for(category)
        return _Decision(category, inbox, f"rule:{rule.name}", f"aturan {rule.name}", None)
    if prediction.abstained or prediction.category == NOT_COMPLAINT:
        return None
    return _Decision(
        prediction.category,
        policy.inbox_for(prediction.category),
        f"model:{prediction.model_id}",
        None,
        prediction.confidence,
    )


def _kept(prediction: PredictionLike, result: RouteResult) -> str:
    """Not filed: to triage when the model abstained, else kept as not a complaint."""
    if prediction.abstained:
        result.triaged += 1
        return MentionState.TRIAGE
    result.not_complaint += 1
    return MentionState.NOT_COMPLAINT


def _place(decision: _Decision, location: Location, text: str, policy: RoutingPolicy) -> _Decision:
    """Send complaints about places outside the city to triage, and others' roads to them."""
    if location.inside_city is False and not decision.routed_by.startswith("rule:"):
        reason = f"lokasi di luar kota ({location.outside_place or location.span})"
        return _Decision(
            decision.category, policy.triage_inbox, decision.routed_by, reason, decision.confidence
        )
    if decision.category == policy.roads_category and policy.owner_of is not None:
        owner = policy.owner_of(location, text)
        if owner is not None:
            inbox, reason = owner
            return _Decision(
                decision.category, inbox, decision.routed_by, reason, decision.confidence
            )
    return decision


def _details(decision: _Decision, location: Location, prediction: PredictionLike) -> dict[str, Any]:
    details: dict[str, Any] = {
        "route_reason": decision.reason,
        "terms": list(prediction.terms) if decision.routed_by.startswith("model:") else None,
        "kecamatan": location.kecamatan,
        "desa": location.desa,
        "street": location.street,
        "location_span": location.span[:300] if location.span else None,
        "inside_city": location.inside_city,
    }
    return details
