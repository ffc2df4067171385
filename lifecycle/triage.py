"""Human triage of mentions the model was unsure of; every decision becomes a label."""

from sqlalchemy.engine import Engine

from models.complaints import file_complaint
from models.corrections import record_correction
from models.db import session_scope
from models.exceptions import AduanError, NotFound
from models.tables import Complaint, Mention
from models.types import utcnow
from models.vocab import CATEGORIES, NOT_COMPLAINT, MentionState
from notify.replies import acknowledge
from router.policy import RoutingPolicy, enter_inbox


class NotInTriage(AduanError):
    """The mention is not waiting in the triage queue (already decided, or never sent)."""


def assign(
    *, engine: Engine, policy: RoutingPolicy, mention_id: int, category: str, actor: str
) -> Complaint | None:
    """Decide a triaged mention's category: file it (or keep it as not a complaint).

    Returns the filed complaint, or None when *category* is NOT_COMPLAINT. The decision
    is recorded as a training correction in the same transaction.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; known: {', '.join(CATEGORIES)}")
    with session_scope(engine) as session:
        mention = session.get(Mention, mention_id, with_for_update=True)
        if mention is None:
            raise NotFound(f"no mention with id {mention_id}")
        if mention.state != MentionState.TRIAGE:
            raise NotInTriage(f"mention {mention_id} is {mention.state}, not waiting in triage")
        record_correction(
            session=session, mention=mention, category=category, kind="triage", actor=actor
        )
        mention.category = category
        mention.routed_at = utcnow()
        if category == NOT_COMPLAINT:
            mention.state = MentionState.NOT_COMPLAINT
            session.add(mention)
            return None
        inbox = policy.inbox_for(category)
        complaint = file_complaint(
            session=session,
            mention=mention,
            category=category,
            inbox=inbox,
            confidence=None,
            routed_by=f"triage:{actor}",
            channels=policy.channels.get(inbox, ()),
            details=policy.deadline_details(utcnow()),
            number_prefix=policy.number_prefix,
        )
        if complaint is not None:
            acknowledge(
                session=session, policy=policy.replies, complaint=complaint, mention=mention
            )
            enter_inbox(session, complaint, policy)
        return complaint
