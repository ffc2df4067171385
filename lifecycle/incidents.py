"""Incidents: a burst of reports of one category at one kecamatan becomes one alert.

``detect_incidents`` runs on a schedule. For each (category, kecamatan) with at least
``min_reports`` reports in the last window, and each place with an open incident, it
reads the place's report times (a report: a mention filed into, or joined to, a
complaint; its time: when the citizen posted) and applies ``lifecycle.spikes.judge``:

* **open**: one ``Incident`` row (``open_key`` "<category>|<kecamatan>" is unique while
  open, inserted with ``ON CONFLICT DO NOTHING``), the window's complaints grouped into
  it, and in the same transaction one notification to the agency's own address and one
  to Kominfo's, sent at once (not held for a digest). Forty reports are one alert;
* **keep**: the incident's count, last report and complaints are brought up to date,
  nothing is sent;
* **close**: the window's count is ordinary again; the key is cleared.

The desa is named when at least half of the window's reports give the same one.
"""

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from lifecycle.escalation import channels_of
from lifecycle.spikes import SpikeRules, count_window, expected_count, judge
from models.db import session_scope
from models.notices import add_outbox_rows, insert_once, sample_texts
from models.tables import Complaint, ComplaintMention, Incident, IncidentComplaint, Mention
from models.types import utcnow
from models.vocab import ComplaintStatus, OutboxRecipient, label
from models.wita import format_wita
from notify.settings import Recipient, contact_key

log = logging.getLogger(__name__)

_INCIDENTS: Table = Incident.__table__  # type: ignore[attr-defined]
_LINKS: Table = IncidentComplaint.__table__  # type: ignore[attr-defined]
#: citizens' texts quoted in an incident's alert and on the dashboard
SAMPLES = 3

Place = tuple[str, str]


@dataclass
class IncidentResult:
    """Incidents opened, kept open and closed by one run."""

    opened: list[Place] = field(default_factory=list)
    kept: list[Place] = field(default_factory=list)
    closed: list[Place] = field(default_factory=list)


@dataclass(frozen=True)
class _Report:
    at: datetime
    complaint_id: int
    inbox: str
    desa: str | None


def _reports_stmt() -> Any:
    return (
        select(Mention.created_at, Complaint.id, Complaint.inbox, Complaint.desa)
        .join(ComplaintMention, col(ComplaintMention.mention_id) == col(Mention.id))
        .join(Complaint, col(Complaint.id) == col(ComplaintMention.complaint_id))
        .where(col(Complaint.status) != ComplaintStatus.BUKAN_WEWENANG)
    )


def _busy_places(session: Session, since: datetime, now: datetime, least: int) -> set[Place]:
    stmt = (
        select(Complaint.category, Complaint.kecamatan, func.count())
        .join(ComplaintMention, col(ComplaintMention.complaint_id) == col(Complaint.id))
        .join(Mention, col(Mention.id) == col(ComplaintMention.mention_id))
        .where(col(Mention.created_at) > since, col(Mention.created_at) <= now)
        .where(col(Complaint.kecamatan).is_not(None))
        .where(col(Complaint.status) != ComplaintStatus.BUKAN_WEWENANG)
        .group_by(col(Complaint.category), col(Complaint.kecamatan))
    )
    return {(cat, kec) for cat, kec, n in session.exec(stmt) if n >= least and kec}


def _reports(session: Session, place: Place, since: datetime, now: datetime) -> list[_Report]:
    category, kecamatan = place
    stmt = (
        _reports_stmt()
        .where(Complaint.category == category, Complaint.kecamatan == kecamatan)
        .where(col(Mention.created_at) > since, col(Mention.created_at) <= now)
        .order_by(col(Mention.created_at))
    )
    return [_Report(at, cid, inbox, desa) for at, cid, inbox, desa in session.exec(stmt)]


def detect_incidents(
    *,
    engine: Engine,
    rules: SpikeRules,
    kominfo_inbox: str,
    contacts: Mapping[str, Recipient],
    now: datetime | None = None,
) -> IncidentResult:
    """Open, update and close incidents as of *now*; commits."""
    now = now or utcnow()
    window = timedelta(hours=rules.window_hours)
    since = now - window - timedelta(days=rules.baseline_days)
    result = IncidentResult()
    with session_scope(engine) as session:
        open_now = {
            (i.category, i.kecamatan): i
            for i in session.exec(select(Incident).where(col(Incident.open_key).is_not(None)))
        }
        places = _busy_places(session, now - window, now, rules.min_reports) | set(open_now)
        conn = session.connection()
        for place in sorted(places):
            reports = _reports(session, place, since, now)
            recent, baseline = count_window([r.at for r in reports], now, rules)
            expected = expected_count(baseline, rules)
            incident = open_now.get(place)
            verdict, p = judge(recent, expected, incident is not None, rules)
            in_window = [r for r in reports if r.at > now - window]
            if verdict == "open":
                told = (kominfo_inbox, contacts)
                if _open(conn, session, place, in_window, expected, p, told, now):
                    result.opened.append(place)
            elif verdict == "keep" and incident is not None:
                _keep(conn, incident, in_window)
                result.kept.append(place)
            elif verdict == "close" and incident is not None:
                stmt = (
                    update(_INCIDENTS)
                    .where(_INCIDENTS.c.id == incident.id, _INCIDENTS.c.open_key.is_not(None))
                    .values(open_key=None, closed_at=now)
                )
                if conn.execute(stmt).rowcount == 1:
                    result.closed.append(place)
    for category, kecamatan in result.opened:
        log.warning("incident opened: %s at %s", category, kecamatan)
    return result


def _link(conn: Connection, incident_id: int, reports: list[_Report]) -> None:
    for cid in sorted({r.complaint_id for r in reports}):
        insert_once(
            conn,
            _LINKS,
            {"incident_id": incident_id, "complaint_id": cid},
            ["incident_id", "complaint_id"],
        )


def _open(
    conn: Connection,
    session: Session,
    place: Place,
    reports: list[_Report],
    expected: float,
    p: float,
    told: tuple[str, Mapping[str, Recipient]],
    now: datetime,
) -> bool:
    kominfo_inbox, contacts = told
    category, kecamatan = place
    inbox = Counter(r.inbox for r in reports).most_common(1)[0][0]
    desas = Counter(r.desa for r in reports if r.desa)
    desa = None
    if desas:
        top, n = desas.most_common(1)[0]
        desa = top if n * 2 >= len(reports) else None
    values = {
        "category": category,
        "kecamatan": kecamatan,
        "desa": desa,
        "inbox": inbox,
        "open_key": f"{category}|{kecamatan}",
        "reports": len(reports),
        "expected": round(expected, 3),
        "first_report_at": reports[0].at,
        "last_report_at": reports[-1].at,
        "opened_at": now,
        "closed_at": None,
    }
    incident_id = insert_once(conn, _INCIDENTS, values, ["open_key"])
    if incident_id is None:
        return False
    _link(conn, incident_id, reports)
    place_words = f"Kec. {kecamatan}" + (f", Desa/Kel. {desa}" if desa else "")
    title = (
        f"Insiden: {len(reports)} laporan {label('category', category)} di {place_words} "
        f"dalam {_hours(reports)}"
    )
    lines = [
        f"Kategori: {label('category', category)} (kotak masuk {inbox})",
        f"Lokasi: {place_words}",
        f"Laporan dalam jendela: {len(reports)} (biasanya {expected:.1f}; "
        f"peluang kebetulan {p:.1e})",
        f"Laporan pertama: {format_wita(reports[0].at)}",
        f"Laporan terakhir: {format_wita(reports[-1].at)}",
        f"Pengaduan: {', '.join(f'#{c}' for c in sorted({r.complaint_id for r in reports}))}",
        "",
        "Contoh laporan warga:",
    ]
    payload = {
        "event": "incident.opened",
        "notice": {"title": title, "lines": lines},
        # the sample texts are read when the notification is sent, never stored in it
        "samples_of": sorted({r.complaint_id for r in reports}),
        "data": {
            "incident_id": incident_id,
            "category": category,
            "kecamatan": kecamatan,
            "desa": desa,
            "inbox": inbox,
            "reports": len(reports),
            "expected": round(expected, 3),
            "complaints": sorted({r.complaint_id for r in reports}),
        },
    }
    recipients = []
    for code in dict.fromkeys([inbox, kominfo_inbox]):
        channels = channels_of(contacts.get(contact_key(OutboxRecipient.AGENCY, code)))
        if channels:
            recipients.append((OutboxRecipient.AGENCY.value, code, channels))
    add_outbox_rows(conn, recipients=recipients, payload=payload, now=now)
    return True


def _hours(reports: list[_Report]) -> str:
    span = reports[-1].at - reports[0].at
    hours = max(1, round(span.total_seconds() / 3600))
    return f"{hours} jam"


def _keep(conn: Connection, incident: Incident, reports: list[_Report]) -> None:
    assert incident.id is not None
    _link(conn, incident.id, reports)
    if not reports:
        return
    stmt = (
        update(_INCIDENTS)
        .where(_INCIDENTS.c.id == incident.id)
        .values(
            reports=func.max(_INCIDENTS.c.reports, len(reports))
            if conn.dialect.name == "sqlite"
            else func.greatest(_INCIDENTS.c.reports, len(reports)),
            last_report_at=reports[-1].at,
        )
    )
    conn.execute(stmt)


def samples(session: Session, complaint_ids: list[int], limit: int = SAMPLES) -> list[str]:
    """Up to *limit* citizens' texts of these complaints, masked; none of confidential ones."""
    return sample_texts(session, complaint_ids, limit)


@dataclass(frozen=True)
class IncidentView:
    """An incident as the dashboard lists it."""

    incident: Incident
    complaints: int
    samples: list[str]


def recent_incidents(*, session: Session, since: datetime, limit: int = 20) -> list[IncidentView]:
    """Open incidents and those opened since *since*, open first, newest first."""
    stmt = (
        select(Incident)
        .where((col(Incident.open_key).is_not(None)) | (col(Incident.opened_at) >= since))
        .order_by(col(Incident.closed_at).is_not(None), col(Incident.opened_at).desc())
        .limit(limit)
    )
    out = []
    for incident in session.exec(stmt).all():
        ids = list(
            session.exec(
                select(IncidentComplaint.complaint_id).where(
                    IncidentComplaint.incident_id == incident.id
                )
            )
        )
        out.append(IncidentView(incident, len(ids), samples(session, ids)))
    return out
