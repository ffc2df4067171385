"""Finding the complaint a new mention belongs to: its thread, or the same problem."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import or_
from sqlmodel import Session, col, select

from classifier.normalize import normalize
from models.tables import Complaint, ComplaintMention, Mention
from models.vocab import ComplaintStatus
from router.location import Location

OPEN = (ComplaintStatus.BARU, ComplaintStatus.RESPON_AWAL, ComplaintStatus.DITINDAKLANJUTI)
_WORD = re.compile(r"[a-z0-9]{3,}")
#: words too common in complaints to say two of them are about the same thing
_COMMON = frozenset(
    [
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "ini",
        "itu",
        "sudah",
        "belum",
        "tidak",
        "admin",
        "userx",
        "urlx",
        "tolong",
        "mohon",
        "sudah",
        "sangat",
        "banget",
        "sekali",
        "lagi",
        "saja",
        "juga",
        "ada",
        "tapi",
        "kami",
        "saya",
        "warga",
        "denpasar",
        "prodenpasar",
    ]
)


def thread_complaint(*, session: Session, mention: Mention) -> Complaint | None:
    """The complaint of the post this mention replies to, or of its thread's root post.

    A shared conversation alone is not enough: citizens commenting under the city's
    own post share its conversation id but report different problems.
    """
    targets = {i for i in (mention.reply_to_id, mention.conversation_id) if i}
    targets.discard(mention.platform_id)
    if not targets:
        return None
    stmt = (
        select(Complaint)
        .join(ComplaintMention, col(ComplaintMention.complaint_id) == col(Complaint.id))
        .join(Mention, col(Mention.id) == col(ComplaintMention.mention_id))
        .where(Mention.platform == mention.platform)
        .where(col(Mention.platform_id).in_(targets))
        .order_by(col(Complaint.created_at))
        .limit(1)
    )
    return session.exec(stmt).first()


@dataclass(frozen=True)
class Duplicate:
    """An open complaint judged to be the same problem, and why."""

    complaint: Complaint
    similarity: float
    place: str


def duplicate_complaint(
    *,
    session: Session,
    category: str,
    location: Location,
    text: str,
    reported_at: datetime,
    window: timedelta,
    min_similarity: float,
) -> Duplicate | None:
    """An open complaint of *category* at the same desa or street, reported within *window*
    of *reported_at*, with similar text.

    Times are when citizens posted, not when aduan filed, so a backlog harvested late
    is judged like a live stream. Without a desa or street there is no "same place",
    so nothing is merged.
    """
    places = []
    if location.street:
        places.append(col(Complaint.street) == location.street)
    if location.desa:
        places.append(col(Complaint.desa) == location.desa)
    if not places:
        return None
    stmt = (
        select(Complaint, Mention.text)
        .join(Mention, col(Mention.id) == col(Complaint.origin_mention_id))
        .where(Complaint.category == category)
        .where(col(Complaint.status).in_(OPEN))
        .where(col(Mention.created_at) >= reported_at - window)
        .where(col(Mention.created_at) <= reported_at + window)
        .where(or_(*places))
        .order_by(col(Complaint.created_at).desc())
        .limit(50)
    )
    words = _words_of(text)
    best: Duplicate | None = None
    for complaint, other in session.exec(stmt):
        score = jaccard(words, _words_of(other))
        if score >= min_similarity and (best is None or score > best.similarity):
            place = location.street if complaint.street == location.street else location.desa
            best = Duplicate(complaint, round(score, 3), place or "")
    return best


@lru_cache(maxsize=8192)
def _words_of(text: str) -> frozenset[str]:
    # Candidates recur across a routing pass; normalising them once is the saving.
    return content_words(normalize(text))


def content_words(normalised: str) -> frozenset[str]:
    """The words of a normalised text that say what it is about."""
    return frozenset(w for w in _WORD.findall(normalised.lower()) if w not in _COMMON)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared words over all words."""
    return len(a & b) / len(a | b) if a or b else 0.0
