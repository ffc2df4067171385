"""What the lifecycle adds up to: overdue complaints and the city's yearly report."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from models.complaint_search import overdue_condition
from models.tables import Complaint
from models.vocab import ComplaintStatus
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
    if complaint.status == S.BARU and complaint.respond_by and complaint.respond_by < now:
        return S.RESPON_AWAL
    if (
        complaint.status == S.RESPON_AWAL
        and complaint.follow_up_by
        and complaint.follow_up_by < now
    ):
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
