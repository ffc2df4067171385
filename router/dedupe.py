"""Finding the complaint a new mention belongs to: its thread, or the same problem."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from classifier.normalize import DECIDING_CHARS, deciding_part, normalize
from models.filing import REF_COLUMNS, ComplaintRef, ref_of
from models.many_rows import any_of
from models.mentions import PendingMention
from models.tables import Complaint, ComplaintMention, Mention
from models.vocab import ComplaintStatus
from router.location import Location

#: how far a platform's clock may run ahead of ours (a post "written" after it was filed)
FILED_AFTER_POST_SLACK = timedelta(days=1)
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


class ThreadIndex:
    """The complaints of the posts a batch's mentions reply to, found with one query.

    A mention belongs to the complaint of the post it replies to, or of its thread's
    root post. A shared conversation alone is not enough: citizens commenting under the
    city's own post share its conversation id but report different problems. Posts
    filed or joined during the batch are added as they are (``link``), so a reply to a
    post of the same batch finds that post's complaint.
    """

    def __init__(self) -> None:
        self._by_post: dict[tuple[str, str], ComplaintRef] = {}

    def load(self, *, session: Session, mentions: Sequence[PendingMention]) -> None:
        """Fetch the complaints of every post the *mentions* reply to or hang under."""
        wanted: dict[str, set[str]] = {}
        for m in mentions:
            wanted.setdefault(m.platform, set()).update(_targets(m))
        wanted = {p: ids for p, ids in wanted.items() if ids}
        if not wanted:
            return
        dialect = session.get_bind().dialect
        stmt = (
            select(col(Mention.platform), col(Mention.platform_id), *REF_COLUMNS)
            .join(ComplaintMention, col(ComplaintMention.mention_id) == col(Mention.id))
            .join(Complaint, col(Complaint.id) == col(ComplaintMention.complaint_id))
            .where(
                or_(
                    *(
                        and_(
                            col(Mention.platform) == p,
                            any_of(dialect, Mention.platform_id, sorted(ids)),
                        )
                        for p, ids in wanted.items()
                    )
                )
            )
        )
        refs: dict[int, ComplaintRef] = {}
        for platform, platform_id, *complaint in session.execute(stmt):
            ref = refs.setdefault(complaint[0], ref_of(complaint))
            self._by_post[(platform, platform_id)] = ref

    def find(self, mention: PendingMention) -> ComplaintRef | None:
        """The complaint of the post *mention* replies to (the oldest, if two differ)."""
        found = [
            ref
            for t in _targets(mention)
            if (ref := self._by_post.get((mention.platform, t))) is not None
        ]
        return min(found, key=lambda r: r.created_at) if found else None

    def link(self, mention: PendingMention, complaint: ComplaintRef) -> None:
        """*mention* is now in *complaint*: replies to it belong there too."""
        self._by_post[(mention.platform, mention.platform_id)] = complaint


def _targets(mention: PendingMention) -> set[str]:
    targets = {i for i in (mention.reply_to_id, mention.conversation_id) if i}
    targets.discard(mention.platform_id)
    return targets


@dataclass(frozen=True)
class Duplicate:
    """An open complaint judged to be the same problem, and why."""

    complaint: ComplaintRef
    similarity: float
    place: str


@dataclass
class _Candidate:
    complaint: ComplaintRef
    words: frozenset[str]
    reported_at: datetime


@dataclass(frozen=True)
class Wanted:
    """A mention about to be filed: what the duplicate search needs of it."""

    category: str
    location: Location
    reported_at: datetime


class DuplicateIndex:
    """Open complaints that mentions of one routing batch might repeat, held in memory.

    One query loads every open complaint of the batch's categories at the batch's
    streets and desa within the window (only the columns compared, and the deciding
    part of its first text); complaints filed during the batch are added as they are
    filed. A complaint is the same problem when it has the same category, the same
    desa or street, was reported within the window, and its text is similar enough.
    Times are when citizens posted, not when aduan filed, so a backlog harvested late
    is judged like a live stream. Without a desa or street there is no "same place", so
    nothing is merged.
    """

    def __init__(self, window: timedelta, min_similarity: float) -> None:
        self.window = window
        self.min_similarity = min_similarity
        self._by_place: dict[tuple[str, str, str], list[_Candidate]] = {}
        #: by origin mention: a complaint of this batch has no id until written
        self._by_origin: dict[int, _Candidate] = {}

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
            select(
                *REF_COLUMNS,
                # one character past the deciding part, so _words_of cuts it as it would
                # the whole text
                func.substr(Mention.text, 1, DECIDING_CHARS + 1),
                col(Mention.created_at),
            )
            .join(Mention, col(Mention.id) == col(Complaint.origin_mention_id))
            .where(col(Complaint.category).in_(sorted({w.category for w in wanted})))
            .where(col(Complaint.status).in_(OPEN))
            .where(col(Mention.created_at) >= earliest)
            .where(col(Mention.created_at) <= latest)
            # A complaint is filed after its first post was written, so it cannot be older
            # than the window (a day's slack for platforms' clocks): this bound lets the
            # store read only recent complaints (ix_complaint_created), however many it holds.
            .where(col(Complaint.created_at) >= earliest - FILED_AFTER_POST_SLACK)
            .where(
                or_(
                    col(Complaint.street).in_(sorted(streets)),
                    col(Complaint.desa).in_(sorted(desas)),
                )
            )
        )
        for row in session.execute(stmt):
            ref = ref_of(row)
            if ref.origin_mention_id not in self._by_origin:
                self._add(_Candidate(ref, _words_of(row[9]), row[10]))

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

    def filed(self, complaint: ComplaintRef, text: str, reported_at: datetime) -> None:
        """Make a complaint filed during the batch findable by the rest of it."""
        self._add(_Candidate(complaint, _words_of(text), reported_at))

    def _add(self, cand: _Candidate) -> None:
        self._by_origin[cand.complaint.origin_mention_id] = cand
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
