"""Merging reports into one complaint by hand, and undoing any merge."""

from sqlalchemy.engine import Engine

from models.complaints import attach_mention, detach_mention, file_complaint
from models.corrections import record_correction
from models.db import session_scope
from models.exceptions import InvalidTransition, NotFound
from models.tables import Complaint, ComplaintMerge, Mention
from models.vocab import MentionState
from notify.replies import ReplyPolicy, acknowledge
from router.policy import RoutingPolicy


def merge_into(
    *,
    engine: Engine,
    mention_id: int,
    complaint_id: int,
    actor: str,
    replies: ReplyPolicy | None = None,
) -> ComplaintMerge:
    """Join a triaged mention to an existing complaint (same problem, reported again).

    Its author is acknowledged with the complaint's number, unless already (*replies*).
    """
    with session_scope(engine) as session:
        mention = session.get(Mention, mention_id, with_for_update=True)
        complaint = session.get(Complaint, complaint_id)
        if mention is None:
            raise NotFound(f"no mention with id {mention_id}")
        if complaint is None:
            raise NotFound(f"no complaint with id {complaint_id}")
        if mention.state != MentionState.TRIAGE:
            raise InvalidTransition(f"mention {mention_id} is {mention.state}, not in triage")
        record_correction(
            session=session,
            mention=mention,
            category=complaint.category,
            kind="triage",
            actor=actor,
        )
        mention.category = complaint.category
        merge_id = attach_mention(
            session=session,
            complaint=complaint,
            mention=mention,
            reason="manual",
            actor=actor,
            detail="digabung oleh operator",
        )
        acknowledge(session=session, policy=replies, complaint=complaint, mention=mention)
        merge = session.get(ComplaintMerge, merge_id)
        assert merge is not None
        return merge


def undo_merge(*, engine: Engine, policy: RoutingPolicy, merge_id: int, actor: str) -> Complaint:
    """Take a merged mention out of its complaint and file it as a complaint of its own.

    It keeps the category and inbox of the complaint it left; filing it directly (not
    through routing again) keeps dedupe from merging it straight back.
    """
    with session_scope(engine) as session:
        merge = session.get(ComplaintMerge, merge_id, with_for_update=True)
        if merge is None:
            raise NotFound(f"no merge with id {merge_id}")
        mention = detach_mention(session=session, merge=merge, actor=actor)
        original = session.get(Complaint, merge.complaint_id)
        assert original is not None
        complaint = file_complaint(
            session=session,
            mention=mention,
            category=original.category,
            inbox=original.inbox,
            confidence=None,
            routed_by=f"unmerge:{actor}",
            channels=policy.channels.get(original.inbox, ()),
            number_prefix=policy.number_prefix,
            details={
                "route_reason": f"dipisah dari pengaduan #{original.id}",
                "kecamatan": original.kecamatan,
                "desa": original.desa,
                "street": original.street,
                # The problem was reported when the original was; so are its deadlines.
                "respond_by": original.respond_by,
                "follow_up_by": original.follow_up_by,
            },
        )
        if complaint is None:
            raise InvalidTransition(f"mention {mention.id} already has a complaint of its own")
        acknowledge(session=session, policy=policy.replies, complaint=complaint, mention=mention)
        return complaint
