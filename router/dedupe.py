"""Finding the complaint a new mention belongs to: its thread, or the same problem."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import or_
from sqlmodel import Session, col, select

from classifier.normalize import deciding_part, normalize
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
    session.flush()  # links added earlier in this batch must be found too
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


@dataclass
class _Candidate:
    complaint: Complaint
    words: frozenset[str]
    reported_at: datetime
    authors: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Wanted:
    """A mention about to be filed: what the duplicate search needs of it."""

    category: str
    location: Location
    reported_at: datetime


class DuplicateIndex:
    """Open complaints that mentions of one routing batch might repeat, held in memory.

    One query loads every open complaint of the batch's categories at the batch's
    streets and desa within the window; complaints filed during the batch are added
    as they are filed. A complaint is the same problem when it has the same category,
    the same desa or street, was reported within the window, and its text is similar
    enough. Times are when citizens posted, not when aduan filed, so a backlog
    harvested late is judged like a live stream. Without a desa or street there is no
    "same place", so nothing is merged.
    """

    def __init__(self, window: timedelta, min_similarity: float) -> None:
        self.window = window
        self.min_similarity = min_similarity
        self._by_place: dict[tuple[str, str, str], list[_Candidate]] = {}
        self._by_id: dict[int, _Candidate] = {}

    def load(self, *, session: Session, wanted: list[Wanted]) -> None:
        """Fetch the open complaints the *wanted* filings could repeat."""
        wanted = [w for w in wanted if w.location.street or w.location.desa]
        if not wanted:
            return
        streets = {w.location.street for w in wanted if w.location.street}
        desas = {w.location.desa for w in wanted if w.location.desa}
        earliest = min(w.reported_at for w in wanted) - self.window
        latest = max(w.reported_at for w in wanted) + self.window
        stmt = (
            select(Complaint, Mention.text, Mention.created_at)
            .join(Mention, col(Mention.id) == col(Complaint.origin_mention_id))
            .where(col(Complaint.category).in_({w.category for w in wanted}))
            .where(col(Complaint.status).in_(OPEN))
            .where(col(Mention.created_at) >= earliest)
            .where(col(Mention.created_at) <= latest)
            .where(or_(col(Complaint.street).in_(streets), col(Complaint.desa).in_(desas)))
        )
        for complaint, text, reported_at in session.exec(stmt):
            if complaint.id not in self._by_id:
                self._add(_Candidate(complaint, _words_of(text), reported_at))
        ids = list(self._by_id)
        if ids:
            authors = (
                select(ComplaintMention.complaint_id, Mention.platform, Mention.author_handle)
                .join(Mention, col(Mention.id) == col(ComplaintMention.mention_id))
                .where(col(ComplaintMention.complaint_id).in_(ids))
            )
            for complaint_id, platform, handle in session.exec(authors):
                self._by_id[complaint_id].authors.add(f"{platform}:{handle}")

    def find(self, *, wanted: Wanted, text: str) -> Duplicate | None:
        """The most similar open complaint at the same place, if similar enough."""
        words = _words_of(text)
        best: Duplicate | None = None
        for kind, place in (("street", wanted.location.street), ("desa", wanted.location.desa)):
            if not place:
                continue
            for cand in self._by_place.get((wanted.category, kind, place), []):
                if abs(cand.reported_at - wanted.reported_at) > self.window:
                    continue
                score = jaccard(words, cand.words)
                if score >= self.min_similarity and (best is None or score > best.similarity):
                    best = Duplicate(cand.complaint, round(score, 3), place)
        return best

    def filed(self, complaint: Complaint, text: str, reported_at: datetime, author: str) -> None:
        """Make a complaint filed during the batch findable by the rest of it."""
        self._add(_Candidate(complaint, _words_of(text), reported_at, {author}))

    def add_reporter(self, complaint: Complaint, author: str) -> int:
        """Record another report of *complaint*; the number of different people now."""
        assert complaint.id is not None
        cand = self._by_id[complaint.id]
        cand.authors.add(author)
        return max(len(cand.authors), 1)

    def _add(self, cand: _Candidate) -> None:
        assert cand.complaint.id is not None
        self._by_id[cand.complaint.id] = cand
        c = cand.complaint
        for kind, place in (("street", c.street), ("desa", c.desa)):
            if place:
                self._by_place.setdefault((c.category, kind, place), []).append(cand)


@lru_cache(maxsize=8192)
def _words_of(text: str) -> frozenset[str]:
    # Candidates recur across a routing pass; normalising them once is the saving.
    # Only the deciding part: a 5 MB text is compared by its start, as it is classified.
    return content_words(normalize(deciding_part(text)))


def content_words(normalised: str) -> frozenset[str]:
    """The words of a normalised text that say what it is about."""
    return frozenset(w for w in _WORD.findall(normalised.lower()) if w not in _COMMON)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared words over all words."""
    return len(a & b) / len(a | b) if a or b else 0.0
