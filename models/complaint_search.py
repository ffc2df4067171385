"""Finding complaints the way inbox users ask: filters, text search, sorting, pages."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import and_, exists, func, literal_column, or_
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnClause
from sqlmodel import Session, col, select

from models.public_number import normalize_number
from models.tables import Complaint, ComplaintMention, Mention
from models.vocab import ComplaintStatus, MentionState

#: the filed state inline in SQL (the trigram index's predicate; not user input)
FILED_LITERAL: ColumnClause[Any] = literal_column(f"'{MentionState.FILED.value}'")

Sort = Literal["newest", "oldest", "deadline", "reporters"]
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class ComplaintFilter:
    """What an inbox list shows; ``inbox`` is also how an agency user is confined."""

    inbox: str | None = None
    status: str | None = None
    category: str | None = None
    kecamatan: str | None = None
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool = False
    text: str | None = None
    sort: Sort = "newest"
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class _Paged:
    """The total that matched and where this page is in it."""

    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the total makes."""
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class ComplaintPage(_Paged):
    """One page of results and the total that matched."""

    items: list[Complaint]


def overdue_condition(now: datetime) -> Any:
    """SQL: past the deadline of the complaint's next step.

    A complaint still at baru after respond_by missed the initial response; one at
    respon_awal after follow_up_by missed the field follow-up. baru past follow_up_by
    is covered by the first (respond_by is always earlier), and each branch can use
    the (status, respond_by) or (inbox, status, ...) index.
    """
    return or_(
        and_(col(Complaint.status) == ComplaintStatus.BARU, col(Complaint.respond_by) < now),
        and_(
            col(Complaint.status) == ComplaintStatus.RESPON_AWAL,
            col(Complaint.follow_up_by) < now,
        ),
    )


def _conditions(f: ComplaintFilter, now: datetime, *, with_status: bool = True) -> list[Any]:
    where: list[Any] = []
    if f.inbox is not None:
        where.append(Complaint.inbox == f.inbox)
    if with_status and f.status:
        where.append(Complaint.status == f.status)
    if f.category:
        where.append(Complaint.category == f.category)
    if f.kecamatan:
        where.append(Complaint.kecamatan == f.kecamatan)
    if f.since is not None:
        where.append(col(Complaint.created_at) >= f.since)
    if f.until is not None:
        where.append(col(Complaint.created_at) < f.until)
    if f.overdue:
        where.append(overdue_condition(now))
    if f.platform:
        where.append(
            exists().where(
                col(Mention.id) == col(Complaint.origin_mention_id),
                col(Mention.platform) == f.platform,
            )
        )
    number = normalize_number(f.text) if f.text else None
    if number is not None:
        # A public number typed in the search box finds its complaint (unique index).
        where.append(col(Complaint.public_number) == number)
    elif f.text and f.text.strip():
        where.append(
            exists()
            .where(col(ComplaintMention.complaint_id) == col(Complaint.id))
            .where(col(Mention.id) == col(ComplaintMention.mention_id))
            .where(*mention_text_matches(f.text.strip()))
        )
    return where


def mention_text_matches(words: str) -> list[Any]:
    """Conditions on a filed mention whose text contains *words* (any case)."""
    pattern = "%" + _escape_like(words) + "%"
    return [
        # Always true of a complaint's mentions; a literal, so that PostgreSQL's
        # planner may use the trigram index, which covers filed mentions only
        # (migration 0014).
        col(Mention.state) == FILED_LITERAL,
        col(Mention.text).ilike(pattern, escape="\\"),
    ]


_ORDERS: dict[str, tuple[Any, ...]] = {
    "newest": (col(Complaint.created_at).desc(), col(Complaint.id).desc()),
    "oldest": (col(Complaint.created_at).asc(), col(Complaint.id).asc()),
    "deadline": (col(Complaint.respond_by).asc(), col(Complaint.id).asc()),
    "reporters": (col(Complaint.reporters).desc(), col(Complaint.id).desc()),
}


def matching(filter: ComplaintFilter, now: datetime) -> Any:
    """SELECT of every complaint matching *filter* in its sort order (its page aside)."""
    return select(Complaint).where(*_conditions(filter, now)).order_by(*_ORDERS[filter.sort])


def search_complaints(
    *,
    session: Session,
    filter: ComplaintFilter,
    now: datetime,
    counts: dict[str, int] | None = None,
) -> ComplaintPage:
    """The page of complaints matching *filter*, and how many matched in all.

    *counts* (from ``status_counts`` for the same filter and time), when the caller has
    them, give the total without counting again: text search makes counting dear.
    """
    size = min(max(filter.page_size, 1), MAX_PAGE_SIZE)
    page = max(filter.page, 1)
    if counts is not None:
        total = counts.get(filter.status, 0) if filter.status else sum(counts.values())
    else:
        where = _conditions(filter, now)
        total = int(session.exec(select(func.count()).select_from(Complaint).where(*where)).one())
    stmt = matching(filter, now).offset((page - 1) * size).limit(size)
    return ComplaintPage(total, page, size, items=list(session.exec(stmt)))


class ListedComplaint(NamedTuple):
    """The columns of a complaint an inbox list shows (and its deadlines, for the marks)."""

    id: int
    public_number: str
    category: str
    inbox: str
    status: ComplaintStatus
    reporters: int
    confidence: float | None
    kecamatan: str | None
    inside_city: bool | None
    respond_by: datetime | None
    follow_up_by: datetime | None
    created_at: datetime


class ListedMention(NamedTuple):
    """The columns of a complaint's first post an inbox list shows."""

    id: int
    platform: str
    author_handle: str
    author_name: str
    text: str
    url: str
    created_at: datetime


@dataclass(frozen=True)
class ListPage(_Paged):
    """One page of an inbox list: each complaint with its first post, and the total."""

    items: list[tuple[ListedComplaint, ListedMention | None]]


_LISTED = tuple(getattr(Complaint, name) for name in ListedComplaint._fields)
_ORIGIN = aliased(Mention, name="origin")
_LISTED_ORIGIN = tuple(getattr(_ORIGIN, name) for name in ListedMention._fields)


def list_page(
    *, session: Session, filter: ComplaintFilter, now: datetime, counts: dict[str, int]
) -> ListPage:
    """``search_complaints`` for the inbox pages: the same page of the same complaints in
    the same order, with each one's origin mention, in one statement that reads only
    the columns the list shows (no ORM objects: the page only reads them). *counts* are
    ``status_counts`` for the same filter and time (they give the total)."""
    size = min(max(filter.page_size, 1), MAX_PAGE_SIZE)
    page = max(filter.page, 1)
    total = counts.get(filter.status, 0) if filter.status else sum(counts.values())
    # The origin is an alias, so the platform filter's EXISTS (on Mention) still
    # correlates with the complaint alone.
    stmt = (
        select_columns(*_LISTED, *_LISTED_ORIGIN)
        .outerjoin(_ORIGIN, col(_ORIGIN.id) == col(Complaint.origin_mention_id))
        .where(*_conditions(filter, now))
        .order_by(*_ORDERS[filter.sort])
        .offset((page - 1) * size)
        .limit(size)
    )
    split = len(_LISTED)
    items = [
        (
            ListedComplaint._make(row[:split]),
            None if row[split] is None else ListedMention._make(row[split:]),
        )
        for row in session.execute(stmt)
    ]
    return ListPage(total, page, size, items=items)


def status_counts(*, session: Session, filter: ComplaintFilter, now: datetime) -> dict[str, int]:
    """How many complaints of each status match the filter (its own status aside)."""
    where = _conditions(replace(filter, status=None), now, with_status=False)
    stmt = select(Complaint.status, func.count()).where(*where).group_by(Complaint.status)
    counts = {s.value: 0 for s in ComplaintStatus}
    counts.update({status: int(n) for status, n in session.exec(stmt)})
    return counts


def _escape_like(text: str) -> str:
    # The search text is data: its % and _ must not act as wildcards.
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
