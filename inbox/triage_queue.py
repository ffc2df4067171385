"""What the triage page lists: unsure mentions and complaints agencies sent back.

Both kinds wait in one queue, the longest waiting first: a mention since routing
put it in triage, a bounced complaint since the agency refused it.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from lifecycle.status import Bounce, bounced, latest_bounce
from models.mentions import triage_queue
from models.tables import Complaint, Mention

#: how many of each kind the page shows
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueItem:
    """One decision waiting for Kominfo: a mention, or a bounced complaint and its mention."""

    mention: Mention
    since: datetime
    complaint: Complaint | None = None
    bounce: Bounce | None = None

    @property
    def kind(self) -> str:
        """``mention`` or ``complaint``."""
        return "mention" if self.complaint is None else "complaint"


def _origins(session: Session, complaints: list[Complaint]) -> dict[int, Mention]:
    ids = [c.origin_mention_id for c in complaints]
    if not ids:
        return {}
    rows = session.exec(select(Mention).where(col(Mention.id).in_(ids)))
    return {m.id: m for m in rows if m.id is not None}


def queue(*, session: Session, limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """The triage queue, oldest waiting first."""
    items = [
        QueueItem(mention=m, since=m.routed_at or m.created_at)
        for m in triage_queue(session=session, limit=limit)
    ]
    refused = bounced(session=session, limit=limit)
    origins = _origins(session, refused)
    for c in refused:
        assert c.id is not None
        bounce = latest_bounce(session=session, complaint_id=c.id)
        items.append(
            QueueItem(
                mention=origins[c.origin_mention_id],
                since=bounce.at if bounce is not None else c.updated_at,
                complaint=c,
                bounce=bounce,
            )
        )
    return sorted(items, key=lambda item: item.since)
