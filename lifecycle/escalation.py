"""Escalation: nobody learns of a missed deadline from the newspaper.

When an open complaint passes a deadline (the initial response while it is ``baru``,
the field follow-up while it is ``baru`` or ``respon_awal``), ``escalate_due`` writes
one ``Escalation`` row per complaint, deadline (which step, due when) and level, and
in the same transaction the outbox rows that announce it:

* level 1, as soon as the deadline has passed: the inbox's escalation contacts
  (``escalation_email``/``escalation_webhook``, else its own address) and Kominfo's;
* level 2, ``second_level_days`` working days later if the step is still not done: the
  head of the agency (``head_email``/``head_webhook``, else the escalation contacts)
  and Kominfo again.

The unique key (complaint, step, due time, level) makes each announcement happen once
(a complaint reassigned by triage gets new deadlines, and so new escalations),
across restarts and daemon instances: the row is inserted with ``ON CONFLICT DO
NOTHING`` and the outbox rows are written only by the transaction whose insert took
place. Delivery is the outbox's (retried, dead-lettered). The rows are the complaint's
escalation history (``escalations_of``).

``overdue_digests`` writes, once a day from ``digest_hour`` WITA, one message per
agency listing its overdue complaints (keyed by agency and day in the outbox).
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, exists, or_
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from lifecycle.deadlines import WorkingCalendar
from lifecycle.reports import overdue
from models.complaint_detail import agency_names
from models.db import session_scope
from models.notices import add_outbox_once, add_outbox_rows, insert_once
from models.tables import Complaint, Escalation
from models.types import utcnow
from models.vocab import STEP_LABELS, ComplaintStatus, OutboxRecipient, label
from models.wita import WITA, format_wita
from notify.settings import Recipient, contact_key

log = logging.getLogger(__name__)

S = ComplaintStatus
_ESCALATIONS: Table = Escalation.__table__  # type: ignore[attr-defined]
#: complaints escalated per transaction batch and per run at most
BATCH = 200
#: complaints listed in one overdue digest at most
DIGEST_LIMIT = 200


@dataclass(frozen=True)
class EscalationPolicy:
    """Who hears of missed deadlines, and when the second level comes."""

    #: the Kominfo inbox, told of every escalation
    kominfo_inbox: str
    calendar: WorkingCalendar
    #: working days after the missed deadline until level 2
    second_level_days: int = 2
    #: hour (WITA) from which the daily overdue digest goes out
    digest_hour: int = 8


@dataclass
class EscalationResult:
    """What one run wrote."""

    escalations: int = 0
    outbox_rows: int = 0
    by_level: dict[int, int] = field(default_factory=dict)


def channels_of(target: Recipient | None) -> tuple[str, ...]:
    """The channels a recipient can be reached on."""
    if target is None:
        return ()
    return tuple(
        name for name, given in (("email", target.email), ("webhook", target.webhook_url)) if given
    )


def _missed(complaint: Complaint, now: datetime) -> list[tuple[ComplaintStatus, datetime]]:
    """The deadlines *complaint* has missed: (step, deadline)."""
    out = []
    if complaint.status == S.BARU and complaint.respond_by and complaint.respond_by < now:
        out.append((S.RESPON_AWAL, complaint.respond_by))
    if (
        complaint.status in (S.BARU, S.RESPON_AWAL)
        and complaint.followed_up_at is None
        and complaint.follow_up_by
        and complaint.follow_up_by < now
    ):
        out.append((S.DITINDAKLANJUTI, complaint.follow_up_by))
    return out


def _candidates(
    session: Session, now: datetime, second_level_days: int, limit: int
) -> list[Complaint]:
    """Overdue complaints with an escalation of a missed deadline still to write.

    Level 1 is due once the deadline passed; level 2 no sooner than
    ``second_level_days`` calendar days after it (working days are at least as long),
    so complaints waiting for their level 2 are not read again on every run, and a
    backlog larger than *limit* cannot hide newer missed deadlines for long.
    """
    earliest_second = now - timedelta(days=second_level_days)

    def lacking(step: ComplaintStatus, deadline: Any, level: int) -> Any:
        return ~exists().where(
            and_(
                col(Escalation.complaint_id) == col(Complaint.id),
                col(Escalation.deadline) == step.value,
                col(Escalation.due_at) == deadline,
                col(Escalation.level) == level,
            )
        )

    def due(step: ComplaintStatus, deadline: Any) -> Any:
        return or_(
            and_(deadline < now, lacking(step, deadline, 1)),
            and_(deadline < earliest_second, lacking(step, deadline, 2)),
        )

    response = and_(col(Complaint.status) == S.BARU, due(S.RESPON_AWAL, col(Complaint.respond_by)))
    follow_up = and_(
        col(Complaint.status).in_((S.BARU, S.RESPON_AWAL)),
        col(Complaint.followed_up_at).is_(None),
        due(S.DITINDAKLANJUTI, col(Complaint.follow_up_by)),
    )
    stmt = (
        select(Complaint)
        .where(response | follow_up)
        .order_by(col(Complaint.respond_by), col(Complaint.id))
        .limit(limit)
    )
    return list(session.exec(stmt))


def _recipients(
    level: int, inbox: str, policy: EscalationPolicy, contacts: Mapping[str, Recipient]
) -> list[tuple[str, str | None, tuple[str, ...]]]:
    first = OutboxRecipient.ESCALATION if level == 1 else OutboxRecipient.HEAD
    wanted = [(first.value, inbox)]
    if policy.kominfo_inbox != inbox or level == 2:
        wanted.append((OutboxRecipient.ESCALATION.value, policy.kominfo_inbox))
    out: list[tuple[str, str | None, tuple[str, ...]]] = []
    for recipient, code in dict.fromkeys(wanted):
        channels = channels_of(contacts.get(contact_key(recipient, code)))
        if channels:
            out.append((recipient, code, channels))
    return out


def _who(recipients: list[tuple[str, str | None, tuple[str, ...]]]) -> str:
    words = {
        OutboxRecipient.ESCALATION.value: "kontak eskalasi",
        OutboxRecipient.HEAD.value: "pimpinan",
    }
    parts = [f"{words.get(r, r)} {code} ({', '.join(ch)})" for r, code, ch in recipients]
    return "; ".join(parts) if parts else "tidak ada penerima yang dikonfigurasi"


def escalate_due(
    *,
    engine: Engine,
    policy: EscalationPolicy,
    contacts: Mapping[str, Recipient],
    now: datetime | None = None,
    limit: int = 1000,
) -> EscalationResult:
    """Announce every missed deadline not announced yet at its due level; commits."""
    now = now or utcnow()
    result = EscalationResult()
    with Session(engine) as session:
        complaints = _candidates(session, now, policy.second_level_days, limit)
        ids = [c.id for c in complaints if c.id is not None]
        done = set(
            session.exec(
                select(
                    Escalation.complaint_id,
                    Escalation.deadline,
                    Escalation.due_at,
                    Escalation.level,
                ).where(col(Escalation.complaint_id).in_(ids))
            )
        )
    for start in range(0, len(complaints), BATCH):
        with session_scope(engine) as session:
            conn = session.connection()
            for complaint in complaints[start : start + BATCH]:
                for step, due in _missed(complaint, now):
                    for level in _due_levels(due, now, policy):
                        if (complaint.id, step.value, due, level) in done:
                            continue
                        _escalate(conn, complaint, step, due, level, policy, contacts, now, result)
    if result.escalations:
        log.info(
            "escalation: %d missed deadlines announced (%d notifications)",
            result.escalations,
            result.outbox_rows,
        )
    return result


def _due_levels(due: datetime, now: datetime, policy: EscalationPolicy) -> list[int]:
    levels = [1]
    if policy.calendar.add_working_days(due, policy.second_level_days) < now:
        levels.append(2)
    return levels


def _escalate(
    conn: Connection,
    complaint: Complaint,
    step: ComplaintStatus,
    due: datetime,
    level: int,
    policy: EscalationPolicy,
    contacts: Mapping[str, Recipient],
    now: datetime,
    result: EscalationResult,
) -> None:
    assert complaint.id is not None
    recipients = _recipients(level, complaint.inbox, policy, contacts)
    who = _who(recipients)
    values = {
        "complaint_id": complaint.id,
        "deadline": step.value,
        "level": level,
        "due_at": due,
        "at": now,
        "inbox": complaint.inbox,
        "notified": who[:500],
    }
    keys = ["complaint_id", "deadline", "due_at", "level"]
    if insert_once(conn, _ESCALATIONS, values, keys) is None:
        return  # another instance (or an earlier run) announced it
    late = policy.calendar.working_days_between(due, now)
    step_words = STEP_LABELS[step]
    title = f"Eskalasi tingkat {level}: batas {step_words} pengaduan #{complaint.id} terlewati"
    lines = [
        f"Batas {step_words}: {format_wita(due)}",
        f"Terlambat: {max(late, 0)} hari kerja",
        f"Kotak masuk: {complaint.inbox}",
        f"Status sekarang: {label('status', complaint.status)}",
        f"Tingkat: {label('escalation_level', str(level))}",
        f"Dikirim ke: {who}",
    ]
    payload = {
        "event": "complaint.escalated",
        "complaint_id": complaint.id,
        "notice": {"title": title, "lines": lines},
        "data": {
            "deadline": step.value,
            "level": level,
            "due_at": due.isoformat(),
            "working_days_late": max(late, 0),
            "inbox": complaint.inbox,
        },
    }
    result.escalations += 1
    result.by_level[level] = result.by_level.get(level, 0) + 1
    result.outbox_rows += add_outbox_rows(
        conn, recipients=recipients, payload=payload, now=now, complaint_id=complaint.id
    )


def escalations_of(*, session: Session, complaint_id: int) -> list[Escalation]:
    """A complaint's escalations, oldest first (its history page shows them)."""
    stmt = (
        select(Escalation)
        .where(Escalation.complaint_id == complaint_id)
        .order_by(col(Escalation.at), col(Escalation.id))
    )
    return list(session.exec(stmt))


def recent_escalations(*, session: Session, limit: int = 20) -> list[Escalation]:
    """The newest escalations, for the dashboard."""
    stmt = select(Escalation).order_by(col(Escalation.at).desc(), col(Escalation.id).desc())
    return list(session.exec(stmt.limit(limit)))


def digest_day(now: datetime, hour: int) -> str | None:
    """Today's date (WITA, ISO) if the digest hour has come, else None."""
    local = now.astimezone(WITA)
    return local.date().isoformat() if local.hour >= hour else None


def overdue_digests(
    *,
    engine: Engine,
    policy: EscalationPolicy,
    contacts: Mapping[str, Recipient],
    now: datetime | None = None,
) -> int:
    """Queue today's overdue digest of every agency with overdue complaints, once a day.

    Cheap before ``digest_hour`` WITA (nothing is read). Each agency's message is keyed
    by agency, day and channel in the outbox, so a second run or instance writes
    nothing. Returns the outbox rows written.
    """
    now = now or utcnow()
    day = digest_day(now, policy.digest_hour)
    if day is None:
        return 0
    written = 0
    with session_scope(engine) as session:
        names = agency_names(session=session)
        by_inbox: dict[str, list[Complaint]] = {}
        for complaint in overdue(session=session, now=now):
            by_inbox.setdefault(complaint.inbox, []).append(complaint)
        conn = session.connection()
        for code in sorted(by_inbox):
            target = contacts.get(contact_key(OutboxRecipient.AGENCY, code))
            channels = channels_of(target)
            if not channels:
                continue
            listed = by_inbox[code]
            payload = _digest_payload(code, names.get(code, code), listed, day, policy, now)
            for channel in channels:
                written += add_outbox_once(
                    conn,
                    dedupe_key=f"overdue:{code}:{day}:{channel}",
                    recipient=OutboxRecipient.AGENCY,
                    agency_code=code,
                    channel=channel,
                    payload=payload,
                    now=now,
                )
    if written:
        log.info("overdue digests: %d notifications queued for %s", written, day)
    return written


def _digest_payload(
    code: str,
    name: str,
    complaints: list[Complaint],
    day: str,
    policy: EscalationPolicy,
    now: datetime,
) -> dict[str, object]:
    when = datetime.fromisoformat(day).strftime("%d-%m-%Y")
    lines = [f"Pengaduan {name} yang melewati batas waktu per {when}: {len(complaints)}", ""]
    items = []
    for c in complaints[:DIGEST_LIMIT]:
        missed = _missed(c, now)
        step, due = missed[0] if missed else (S.RESPON_AWAL, c.respond_by or now)
        late = max(policy.calendar.working_days_between(due, now), 0)
        place = ", ".join(p for p in (c.desa, c.kecamatan) if p) or "-"
        lines.append(
            f"#{c.id} {label('category', c.category)} ({place}): terlambat {STEP_LABELS[step]} "
            f"{late} hari kerja (batas {format_wita(due)})"
        )
        items.append({"id": c.id, "step": step.value, "due_at": due.isoformat(), "late": late})
    if len(complaints) > DIGEST_LIMIT:
        lines.append(f"... dan {len(complaints) - DIGEST_LIMIT} lainnya (lihat dasbor)")
    title = f"Ringkasan pengaduan terlambat {name} {when}"
    return {
        "event": "overdue.digest",
        "notice": {"title": title, "lines": lines},
        "data": {"inbox": code, "day": day, "count": len(complaints), "complaints": items},
        "generated_at": now.astimezone(UTC).isoformat(),
    }
