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
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from classifier.normalize import deciding_part, normalize
from models.complaints import attach_mention, file_complaint
from models.db import session_scope
from models.locks import hold_lock
from models.mentions import pending_mentions
from models.notes import add_note
from models.reopen import lock_for_reopen, reopen_by_reply
from models.replies import own_reply_ids
from models.tables import Complaint, Mention
from models.types import utcnow
from models.vocab import NOT_COMPLAINT, ComplaintStatus, MentionState
from notify.replies import acknowledge
from router.dedupe import DuplicateIndex, Wanted, thread_complaint
from router.location import Location
from router.policy import RoutingPolicy
from router.rules import first_match

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

    @property
    def total(self) -> int:
        """Mentions handled."""
        return self.filed + self.triaged + self.not_complaint + self.already_filed + self.attached


@dataclass(frozen=True)
class _Decision:
    category: str
    inbox: str
    routed_by: str
    reason: str | None
    confidence: float | None


@dataclass(frozen=True)
class _Plan:
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
    """
    result = RouteResult()
    while True:
        with hold_lock(engine, ROUTE_LOCK), session_scope(engine) as session:
            batch = pending_mentions(session=session, limit=batch_size)
            if not batch:
                return result
            batch = _without_our_replies(session, batch, policy, result)
            if not batch:
                continue
            # The first DECIDING_CHARS characters decide; the whole text stays stored.
            predictions = classifier.predict([deciding_part(m.text) for m in batch])
            # Each step flushes what later look-ups must see; autoflush before every
            # query would flush the whole batch's pending changes again and again.
            with session.no_autoflush:
                plans = [
                    _plan(mention, prediction, policy)
                    for mention, prediction in zip(batch, predictions, strict=True)
                ]
                index = DuplicateIndex(policy.dedupe_window, policy.dedupe_min_similarity)
                index.load(
                    session=session,
                    wanted=[_wanted(m, p) for m, p in zip(batch, plans, strict=True) if p],
                )
                filed: list[Complaint] = []
                for mention, prediction, plan in zip(batch, predictions, plans, strict=True):
                    new = _route_one(session, mention, prediction, plan, policy, index, result)
                    if new is not None:
                        filed.append(new)
                # Once per batch: auto-assignment reads its petugas in one query.
                if filed and policy.on_inbox_entry is not None:
                    policy.on_inbox_entry(session, filed, policy)


def _without_our_replies(
    session: Session, batch: list[Mention], policy: RoutingPolicy, result: RouteResult
) -> list[Mention]:
    """Keep our own replies, should a collector bring one back, out of routing."""
    if policy.replies is None:
        return batch
    ours = own_reply_ids(session=session, platform_ids=[m.platform_id for m in batch])
    if not ours:
        return batch
    kept = []
    for mention in batch:
        if mention.platform_id in ours:
            log.info("mention %s is our own reply; kept, not routed", mention.id)
            mention.state = MentionState.NOT_COMPLAINT
            mention.routed_at = utcnow()
            session.add(mention)
            result.not_complaint += 1
        else:
            kept.append(mention)
    return kept


def _plan(mention: Mention, prediction: PredictionLike, policy: RoutingPolicy) -> _Plan | None:
    """Where the mention would be filed, before looking at the store; None: not filed."""
    _remember(mention, prediction)
    text = deciding_part(mention.text)
    decision = _decide(mention, normalize(text), prediction, policy)
    if decision is None:
        return None
    location = policy.locate(text) if policy.locate else Location()
    return _Plan(_place(decision, location, text, policy), location)


def _wanted(mention: Mention, plan: _Plan) -> Wanted:
    return Wanted(plan.decision.category, plan.location, mention.created_at)


def _route_one(
    session: Session,
    mention: Mention,
    prediction: PredictionLike,
    plan: _Plan | None,
    policy: RoutingPolicy,
    index: DuplicateIndex,
    result: RouteResult,
) -> Complaint | None:
    """Route one mention; the complaint it filed, if it filed one."""
    thread = thread_complaint(session=session, mention=mention)
    previous: int | None = None
    if thread is not None and thread.status == ComplaintStatus.SELESAI:
        if _reply_to_closed(session, mention, prediction, plan, policy, thread, result):
            return None
        previous, thread = thread.id, None
    if thread is not None:
        attach_mention(
            session=session,
            complaint=thread,
            mention=mention,
            reason="reply",
            actor="router",
            detail="balasan dalam utas pengaduan",
        )
        acknowledge(
            session=session,
            policy=policy.replies,
            complaint=thread,
            mention=mention,
            routed=True,
        )
        result.attached += 1
        return None
    if plan is None:
        _keep(session, mention, prediction, result)
        return None
    author = f"{mention.platform}:{mention.author_handle}"
    duplicate = index.find(wanted=_wanted(mention, plan), text=mention.text)
    if duplicate is not None:
        detail = (
            f"kategori dan lokasi sama ({duplicate.place}), kemiripan teks "
            f"{duplicate.similarity:.2f}"
        )
        attach_mention(
            session=session,
            complaint=duplicate.complaint,
            mention=mention,
            reason="duplicate",
            actor="router",
            detail=detail,
            reporters=index.add_reporter(duplicate.complaint, author),
        )
        acknowledge(
            session=session,
            policy=policy.replies,
            complaint=duplicate.complaint,
            mention=mention,
            routed=True,
        )
        result.attached += 1
        return None
    decision, location = plan.decision, plan.location
    details = _details(decision, location, prediction, policy)
    if previous is not None:
        details["previous_complaint_id"] = previous
        why = f"lanjutan pengaduan #{previous} yang sudah selesai"
        details["route_reason"] = (
            f"{details['route_reason']}; {why}" if details["route_reason"] else why
        )
    complaint = file_complaint(
        session=session,
        mention=mention,
        category=decision.category,
        inbox=decision.inbox,
        confidence=decision.confidence,
        routed_by=decision.routed_by,
        channels=policy.channels.get(decision.inbox, ()),
        details=details,
        number_prefix=policy.number_prefix,
    )
    if complaint is None:
        # Another router filed it first; it is filed, so it must not stay pending.
        log.info("mention %s was filed already; left as it is", mention.id)
        mention.state = MentionState.FILED
        session.add(mention)
        result.already_filed += 1
    else:
        index.filed(complaint, mention.text, mention.created_at, author)
        acknowledge(
            session=session,
            policy=policy.replies,
            complaint=complaint,
            mention=mention,
            new_complaint=True,
            routed=True,
        )
        result.filed += 1
        return complaint
    return None


def _reply_to_closed(
    session: Session,
    mention: Mention,
    prediction: PredictionLike,
    plan: _Plan | None,
    policy: RoutingPolicy,
    closed: Complaint,
    result: RouteResult,
) -> bool:
    """Reopen *closed* (or join it with a note) for a reply within the window; True if so."""
    assert closed.id is not None
    complaint = lock_for_reopen(session=session, complaint_id=closed.id)
    if complaint.status != ComplaintStatus.SELESAI:
        # Reopened meanwhile (by a person, or an earlier reply of this batch).
        attach_mention(
            session=session,
            complaint=complaint,
            mention=mention,
            reason="reply",
            actor="router",
            detail="balasan dalam utas pengaduan",
        )
        result.attached += 1
        return True
    closed_at = complaint.resolved_at or complaint.updated_at
    window = policy.reopen_window
    if window is None or mention.created_at - closed_at > window:
        return False
    sure_not = plan is None and not prediction.abstained
    detail = "balasan setelah pengaduan selesai"
    attach_mention(
        session=session,
        complaint=complaint,
        mention=mention,
        reason="reply",
        actor="router",
        detail=detail if sure_not else f"{detail}: dibuka kembali",
    )
    result.attached += 1
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
        mention=mention,
        channels=policy.channels.get(complaint.inbox, ()),
        now=utcnow(),
    )
    result.reopened += 1
    return True


def _remember(mention: Mention, prediction: PredictionLike) -> None:
    mention.category = prediction.category
    mention.confidence = prediction.confidence
    mention.abstained = prediction.abstained
    mention.model_id = prediction.model_id
    mention.terms = list(prediction.terms)
    reason = prediction.reason if prediction.abstained else None
    mention.abstain_reason = reason[:200] if reason else None
    mention.routed_at = utcnow()


def _decide(
    mention: Mention, normalised: str, prediction: PredictionLike, policy: RoutingPolicy
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


def _keep(
    session: Session, mention: Mention, prediction: PredictionLike, result: RouteResult
) -> None:
    if prediction.abstained:
        mention.state = MentionState.TRIAGE
        result.triaged += 1
    else:
        mention.state = MentionState.NOT_COMPLAINT
        result.not_complaint += 1
    session.add(mention)


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


def _details(
    decision: _Decision, location: Location, prediction: PredictionLike, policy: RoutingPolicy
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "route_reason": decision.reason,
        "terms": list(prediction.terms) if decision.routed_by.startswith("model:") else None,
        "kecamatan": location.kecamatan,
        "desa": location.desa,
        "street": location.street,
        "location_span": location.span[:300] if location.span else None,
        "inside_city": location.inside_city,
    }
    details.update(policy.deadline_details(utcnow()))
    return details
