"""Routing stored mentions: classify, then keep, triage or file each one."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.complaints import file_complaint
from models.db import session_scope
from models.mentions import pending_mentions
from models.tables import Mention
from models.types import utcnow
from models.vocab import NOT_COMPLAINT, MentionState
from router.policy import RoutingPolicy

log = logging.getLogger(__name__)


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

    @property
    def total(self) -> int:
        """Mentions handled."""
        return self.filed + self.triaged + self.not_complaint + self.already_filed


def route_pending(
    *, engine: Engine, classifier: Classifier, policy: RoutingPolicy, batch_size: int = 200
) -> RouteResult:
    """Route every pending mention, a committed batch at a time."""
    result = RouteResult()
    while True:
        with session_scope(engine) as session:
            batch = pending_mentions(session=session, limit=batch_size)
            if not batch:
                return result
            predictions = classifier.predict([m.text for m in batch])
            for mention, prediction in zip(batch, predictions, strict=True):
                _route_one(session, mention, prediction, policy, result)


def _route_one(
    session: Session,
    mention: Mention,
    prediction: PredictionLike,
    policy: RoutingPolicy,
    result: RouteResult,
) -> None:
    mention.category = prediction.category
    mention.confidence = prediction.confidence
    mention.abstained = prediction.abstained
    mention.model_id = prediction.model_id
    mention.terms = list(prediction.terms)
    mention.routed_at = utcnow()
    if prediction.abstained:
        mention.state = MentionState.TRIAGE
        session.add(mention)
        result.triaged += 1
        return
    if prediction.category == NOT_COMPLAINT:
        mention.state = MentionState.NOT_COMPLAINT
        session.add(mention)
        result.not_complaint += 1
        return
    inbox = policy.inbox_for(prediction.category)
    complaint = file_complaint(
        session=session,
        mention=mention,
        category=prediction.category,
        inbox=inbox,
        confidence=prediction.confidence,
        routed_by=f"model:{prediction.model_id}",
        channels=policy.channels.get(inbox, ()),
    )
    if complaint is None:
        # Another router filed it first; it is filed, so it must not stay pending.
        log.info("mention %s was filed already; left as it is", mention.id)
        mention.state = MentionState.FILED
        session.add(mention)
        result.already_filed += 1
    else:
        result.filed += 1
