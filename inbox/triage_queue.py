"""What the triage page lists: unsure mentions and complaints agencies sent back.

Both kinds wait in one queue, the longest waiting first: a mention since routing
put it in triage, a bounced complaint since the agency refused it. The page shows
one page of it at a time, with how many wait in all.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from lifecycle.status import Bounce, bounced, latest_bounce
from models.mentions import triage_queue
from models.tables import Complaint, Mention
from models.vocab import ComplaintStatus, MentionState

#: decisions per page
PAGE_SIZE = 50
#: pages beyond this are not asked of the store
MAX_PAGE = 200


@dataclass(frozen=True)
class QueueItem:
    """One decision waiting for Kominfo: a mention, or a bounced complaint and its mention."""

    mention: Mention
    since: datetime
    #: the position in the queue, as the store orders each kind (so pages agree)
    order: datetime
    complaint: Complaint | None = None
    bounce: Bounce | None = None

    @property
    def kind(self) -> str:
        """``mention`` or ``complaint``."""
        return "mention" if self.complaint is None else "complaint"


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and how many decisions wait in all."""

    items: list[QueueItem]
    mentions: int
    complaints: int
    page: int
    page_size: int

    @property
    def total(self) -> int:
        """Every decision waiting: mentions and bounced complaints."""
        return self.mentions + self.complaints

    @property
    def pages(self) -> int:
        """How many pages the queue makes."""
        return max(1, -(-self.total // self.page_size))


def _origins(session: Session, complaints: list[Complaint]) -> dict[int, Mention]:
    ids = [c.origin_mention_id for c in complaints]
    if not ids:
        return {}
    rows = session.exec(select(Mention).where(col(Mention.id).in_(ids)))
    return {m.id: m for m in rows if m.id is not None}


def waiting_counts(*, session: Session) -> tuple[int, int]:
    """(mentions in triage, complaints refused as bukan wewenang)."""
    mentions = session.exec(
        select(func.count()).select_from(Mention).where(Mention.state == MentionState.TRIAGE)
    ).one()
    complaints = session.exec(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.status == ComplaintStatus.BUKAN_WEWENANG)
    ).one()
    return int(mentions), int(complaints)


def queue(*, session: Session, page: int = 1, page_size: int = PAGE_SIZE) -> QueuePage:
    """One page of the triage queue, oldest waiting first, and the counts of all of it."""
    page = min(max(page, 1), MAX_PAGE)
    # Either kind may fill the page: read enough of both to merge up to its end.
    enough = page * page_size
    items = [
        QueueItem(mention=m, since=m.routed_at or m.created_at, order=m.created_at)
        for m in triage_queue(session=session, limit=enough)
    ]
    refused = bounced(session=session, limit=enough)
    origins = _origins(session, refused)
    for c in refused:
        assert c.id is not None
        bounce = latest_bounce(session=session, complaint_id=c.id)
        items.append(
            QueueItem(
                mention=origins[c.origin_mention_id],
                since=bounce.at if bounce is not None else c.updated_at,
                order=c.updated_at,
                complaint=c,
                bounce=bounce,
            )
        )
    items.sort(key=lambda item: item.order)
    mentions, complaints = waiting_counts(session=session)
    start = (page - 1) * page_size
    return QueuePage(items[start : start + page_size], mentions, complaints, page, page_size)
