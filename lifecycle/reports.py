"""What the lifecycle adds up to: overdue complaints and the city's yearly report."""

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from lifecycle.deadlines import WorkingCalendar
from models.complaint_search import overdue_condition
from models.tables import Complaint, StatusChange, User
from models.vocab import ComplaintStatus, HistoryKind
from models.wita import WITA

#: short alias, as in lifecycle.status
S = ComplaintStatus


def overdue(
    *, session: Session, now: datetime, inbox: str | None = None, limit: int | None = None
) -> list[Complaint]:
    """Open complaints past the deadline of their next step, longest overdue first."""
    missed = case(
        (col(Complaint.status) == S.BARU, col(Complaint.respond_by)),
        else_=col(Complaint.follow_up_by),
    )
    stmt = select(Complaint).where(overdue_condition(now))
    if inbox is not None:
        stmt = stmt.where(Complaint.inbox == inbox)
    stmt = stmt.order_by(missed, col(Complaint.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt))


def count_overdue(*, session: Session, now: datetime) -> dict[str, int]:
    """Overdue complaints per inbox (inboxes with none are absent)."""
    stmt = (
        select(Complaint.inbox, func.count())
        .where(overdue_condition(now))
        .group_by(col(Complaint.inbox))
    )
    return {inbox: int(n) for inbox, n in session.exec(stmt)}


def overdue_step(complaint: Complaint, now: datetime) -> ComplaintStatus | None:
    """The step whose deadline *complaint* missed (respon_awal, ditindaklanjuti), or None."""
    return missed_step(complaint.status, complaint.respond_by, complaint.follow_up_by, now)


def missed_step(
    status: str, respond_by: datetime | None, follow_up_by: datetime | None, now: datetime
) -> ComplaintStatus | None:
    """``overdue_step`` from a complaint's columns (lists that read only those)."""
    if status == S.BARU and respond_by and respond_by < now:
        return S.RESPON_AWAL
    if status == S.RESPON_AWAL and follow_up_by and follow_up_by < now:
        return S.DITINDAKLANJUTI
    return None


@dataclass(frozen=True)
class YearlyRow:
    """One inbox's line of the city's annual complaint report.

    The four counts are exclusive and add up to ``received``, tested in this order:
    bukan_wewenang (refused, waiting for triage), ditindaklanjuti lapangan (followed up
    in the field, resolved included), respon awal (answered but not followed up), belum
    tindak lanjut (not yet acted on).
    """

    inbox: str
    received: int
    ditindaklanjuti_lapangan: int
    respon_awal: int
    belum_tindak_lanjut: int
    bukan_wewenang: int = 0


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar year in WITA, as UTC datetimes."""
    start = datetime(year, 1, 1, tzinfo=WITA).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=WITA).astimezone(UTC)
    return start, end


def yearly_report(*, session: Session, year: int) -> list[YearlyRow]:
    """Complaints received in *year* (WITA) per current inbox, by how far they got, as of now."""
    start, end = year_bounds(year)
    status = col(Complaint.status)
    refused = status == S.BUKAN_WEWENANG
    followed = or_(
        col(Complaint.followed_up_at).is_not(None), status.in_((S.DITINDAKLANJUTI, S.SELESAI))
    )
    responded = or_(col(Complaint.responded_at).is_not(None), status == S.RESPON_AWAL)

    # One bucket per complaint, exclusive and in the report's order of precedence.
    bucket = case(
        (refused, "bukan_wewenang"),
        (followed, "ditindaklanjuti_lapangan"),
        (responded, "respon_awal"),
        else_="belum_tindak_lanjut",
    ).label("bucket")
    stmt = (
        select(Complaint.inbox, bucket, func.count())
        .where(col(Complaint.created_at) >= start, col(Complaint.created_at) < end)
        .group_by(col(Complaint.inbox), bucket)
    )
    counts: dict[str, dict[str, int]] = {}
    for inbox, kind, n in session.exec(stmt):
        counts.setdefault(inbox, {})[kind] = int(n)
    rows = []
    for inbox in sorted(counts):
        by = counts[inbox]
        rows.append(
            YearlyRow(
                inbox=inbox,
                received=sum(by.values()),
                ditindaklanjuti_lapangan=by.get("ditindaklanjuti_lapangan", 0),
                respon_awal=by.get("respon_awal", 0),
                belum_tindak_lanjut=by.get("belum_tindak_lanjut", 0),
                bukan_wewenang=by.get("bukan_wewenang", 0),
            )
        )
    return rows


def report_total(rows: list[YearlyRow]) -> YearlyRow:
    """The sum of report rows, as a row labelled TOTAL."""
    return YearlyRow(
        inbox="TOTAL",
        received=sum(r.received for r in rows),
        ditindaklanjuti_lapangan=sum(r.ditindaklanjuti_lapangan for r in rows),
        respon_awal=sum(r.respon_awal for r in rows),
        belum_tindak_lanjut=sum(r.belum_tindak_lanjut for r in rows),
        bukan_wewenang=sum(r.bukan_wewenang for r in rows),
    )


@dataclass(frozen=True)
class ResponseRow:
    """Response times of one inbox in one month (or the whole year), as the city reports them.

    Times are hours on working days (``WorkingCalendar.working_hours_between``) from
    receipt to the initial response and to the field follow-up. "On time" shares are of
    the complaints whose step is decided: done, or past its deadline undone (late).
    """

    inbox: str
    #: "YYYY-MM" (WITA), or None for the whole year
    month: str | None
    received: int
    response_median_hours: float | None
    response_p90_hours: float | None
    response_on_time_pct: float | None
    follow_up_median_hours: float | None
    follow_up_p90_hours: float | None
    follow_up_on_time_pct: float | None
    #: reopenings (selesai -> ditindaklanjuti) of these complaints
    reopened: int


#: the figures of ResponseRow in order, with their CSV/CLI column names
RESPONSE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("received", "diterima"),
    ("response_median_hours", "median respon awal (jam kerja)"),
    ("response_p90_hours", "p90 respon awal (jam kerja)"),
    ("response_on_time_pct", "respon awal tepat waktu (%)"),
    ("follow_up_median_hours", "median tindak lanjut (jam kerja)"),
    ("follow_up_p90_hours", "p90 tindak lanjut (jam kerja)"),
    ("follow_up_on_time_pct", "tindak lanjut tepat waktu (%)"),
    ("reopened", "dibuka kembali"),
)


def percentile(values: list[float], q: float) -> float | None:
    """The *q*-quantile (0..1) by linear interpolation between order statistics."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _share(hits: int, total: int) -> float | None:
    return round(100 * hits / total, 1) if total else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass
class _Acc:
    received: int = 0
    response: list[float] = field(default_factory=list)
    response_due: int = 0
    response_on_time: int = 0
    follow_up: list[float] = field(default_factory=list)
    follow_up_due: int = 0
    follow_up_on_time: int = 0
    reopened: int = 0

    def row(self, inbox: str, month: str | None) -> ResponseRow:
        return ResponseRow(
            inbox=inbox,
            month=month,
            received=self.received,
            response_median_hours=_round(percentile(self.response, 0.5)),
            response_p90_hours=_round(percentile(self.response, 0.9)),
            response_on_time_pct=_share(self.response_on_time, self.response_due),
            follow_up_median_hours=_round(percentile(self.follow_up, 0.5)),
            follow_up_p90_hours=_round(percentile(self.follow_up, 0.9)),
            follow_up_on_time_pct=_share(self.follow_up_on_time, self.follow_up_due),
            reopened=self.reopened,
        )

    def add(
        self,
        c: "_Times",
        reopened: int,
        response: float | None,
        follow_up: float | None,
        now: datetime,
    ) -> None:
        self.received += 1
        self.reopened += reopened
        if response is not None:
            self.response.append(response)
        if c.respond_by is not None and (c.responded_at is not None or c.respond_by < now):
            self.response_due += 1
            self.response_on_time += c.responded_at is not None and c.responded_at <= c.respond_by
        if follow_up is not None:
            self.follow_up.append(follow_up)
        followed = c.followed_up_at
        if c.follow_up_by is not None and (followed is not None or c.follow_up_by < now):
            self.follow_up_due += 1
            self.follow_up_on_time += followed is not None and followed <= c.follow_up_by


@dataclass(frozen=True)
class ResponseFigures:
    """The response-time report of one year: per inbox for the year, and per inbox and month."""

    yearly: list[ResponseRow]
    monthly: list[ResponseRow]


class _Times(NamedTuple):
    """The columns of a complaint the response-time report reads."""

    id: int
    inbox: str
    created_at: datetime
    respond_by: datetime | None
    responded_at: datetime | None
    follow_up_by: datetime | None
    followed_up_at: datetime | None


def _rows(groups: dict[tuple[str, str | None], _Acc]) -> list[ResponseRow]:
    return [groups[key].row(*key) for key in sorted(groups, key=lambda k: (k[0], k[1] or ""))]


def response_figures(
    *,
    session: Session,
    calendar: WorkingCalendar,
    year: int,
    now: datetime,
    inbox: str | None = None,
) -> ResponseFigures:
    """Response-time figures of complaints received in *year* (WITA): per inbox for the
    year and per inbox and month, from one read of the year's complaints.

    Only the columns the figures need are read (not whole complaints), and each
    complaint's working hours are counted once for both tables: the dashboard shows both,
    and at 100,000 complaints a year loading whole rows twice took the page seconds.
    Complaints refused as bukan wewenang are left out (they wait for triage).
    """
    start, end = year_bounds(year)
    in_year = (col(Complaint.created_at) >= start, col(Complaint.created_at) < end)
    stmt = sa_select(*(col(getattr(Complaint, name)) for name in _Times._fields)).where(
        *in_year, col(Complaint.status) != S.BUKAN_WEWENANG
    )
    reopen_stmt = (
        select(StatusChange.complaint_id, func.count())
        .join(Complaint, col(Complaint.id) == col(StatusChange.complaint_id))
        .where(*in_year)
        .where(StatusChange.from_status == S.SELESAI, StatusChange.to_status == S.DITINDAKLANJUTI)
        .where(StatusChange.kind == HistoryKind.STATUS)
        .group_by(col(StatusChange.complaint_id))
    )
    if inbox is not None:
        stmt = stmt.where(col(Complaint.inbox) == inbox)
        reopen_stmt = reopen_stmt.where(col(Complaint.inbox) == inbox)
    reopens = {cid: int(n) for cid, n in session.exec(reopen_stmt)}
    yearly: dict[tuple[str, str | None], _Acc] = {}
    monthly: dict[tuple[str, str | None], _Acc] = {}
    times = [_Times(*row) for row in session.connection().execute(stmt)]
    answered = [(c.created_at, c.responded_at) for c in times if c.responded_at is not None]
    followed = [(c.created_at, c.followed_up_at) for c in times if c.followed_up_at is not None]
    response = iter(calendar.working_hours_many(answered).tolist())
    follow_up = iter(calendar.working_hours_many(followed).tolist())
    for c in times:
        hours = next(response) if c.responded_at is not None else None
        follow = next(follow_up) if c.followed_up_at is not None else None
        month = c.created_at.astimezone(WITA).strftime("%Y-%m")
        reopened = reopens.get(c.id, 0)
        for groups, key in ((yearly, (c.inbox, None)), (monthly, (c.inbox, month))):
            groups.setdefault(key, _Acc()).add(c, reopened, hours, follow, now)
    return ResponseFigures(_rows(yearly), _rows(monthly))


def response_times(
    *,
    session: Session,
    calendar: WorkingCalendar,
    year: int,
    now: datetime,
    by_month: bool = True,
    inbox: str | None = None,
) -> list[ResponseRow]:
    """Response-time figures of complaints received in *year* (WITA), per inbox and month.

    With *by_month* False, one row per inbox for the year (the yearly table's columns).
    Complaints refused as bukan wewenang are left out (they wait for triage).
    """
    figures = response_figures(session=session, calendar=calendar, year=year, now=now, inbox=inbox)
    return figures.monthly if by_month else figures.yearly


def response_csv(rows: list[ResponseRow]) -> str:
    """The rows as CSV (inbox, month, then RESPONSE_COLUMNS); empty figures as blank cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["inbox", "bulan", *(title for _, title in RESPONSE_COLUMNS)])
    for r in rows:
        figures = [getattr(r, name) for name, _ in RESPONSE_COLUMNS]
        writer.writerow([r.inbox, r.month or "", *("" if v is None else v for v in figures)])
    return out.getvalue()


@dataclass(frozen=True)
class AssigneeRow:
    """Response times of the complaints one petugas of an inbox is assigned (received in a
    year); ``user_id`` None: the inbox's complaints nobody is assigned."""

    inbox: str
    user_id: int | None
    username: str | None
    display_name: str
    received: int
    #: median working hours from receipt to the initial response (of those answered)
    response_median_hours: float | None
    #: median working hours from receipt to selesai (of those resolved)
    resolution_median_hours: float | None


def response_times_by_assignee(
    *,
    session: Session,
    calendar: WorkingCalendar,
    year: int,
    inbox: str | None = None,
) -> list[AssigneeRow]:
    """Per inbox and current petugas: complaints received in *year* (WITA), median first
    response and median resolution in working hours; by inbox, then username, with the
    unassigned line last. Complaints refused as bukan wewenang are left out, as in
    ``response_times``."""
    start, end = year_bounds(year)
    # sqlalchemy's select: sqlmodel's is typed for at most four columns.
    stmt = sa_select(
        col(Complaint.inbox),
        col(Complaint.assignee_id),
        col(Complaint.created_at),
        col(Complaint.responded_at),
        col(Complaint.resolved_at),
    ).where(
        col(Complaint.created_at) >= start,
        col(Complaint.created_at) < end,
        col(Complaint.status) != S.BUKAN_WEWENANG,
    )
    if inbox is not None:
        stmt = stmt.where(col(Complaint.inbox) == inbox)
    groups: dict[tuple[str, int | None], tuple[list[int], list[float], list[float]]] = {}
    for code, assignee, created, responded, resolved in session.connection().execute(stmt):
        count, response, resolution = groups.setdefault((code, assignee), ([0], [], []))
        count[0] += 1
        if responded is not None:
            response.append(calendar.working_hours_between(created, responded))
        if resolved is not None:
            resolution.append(calendar.working_hours_between(created, resolved))
    ids = {uid for _, uid in groups if uid is not None}
    users = (
        {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))} if ids else {}
    )
    rows = []
    for (code, uid), (count, response, resolution) in groups.items():
        user = users.get(uid) if uid is not None else None
        rows.append(
            AssigneeRow(
                inbox=code,
                user_id=uid,
                username=user.username if user else None,
                display_name=(user.display_name or user.username) if user else "",
                received=count[0],
                response_median_hours=_round(percentile(response, 0.5)),
                resolution_median_hours=_round(percentile(resolution, 0.5)),
            )
        )
    return sorted(rows, key=lambda r: (r.inbox, r.username is None, r.username or ""))
