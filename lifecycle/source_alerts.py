"""Source alerts: the administrators hear when a source breaks, once, and when it recovers.

``check_sources`` reads each configured source's health record (``harvester.runner``
writes it) and decides which causes hold now (``causes_of``):

* ``disabled``: the platform rejected the credentials (an expired token);
* ``rate_limited``: paused by the platform, with no successful run for longer than
  ``rate_limited_minutes``;
* ``failing``: ``failing_runs`` failed runs in a row;
* ``silent``: no new mention for ``silent_hours`` on a source that stored at least
  ``silent_min_per_day`` a day in the week before;
* ``read_cap_80`` / ``read_cap_100``: this month's reads reached the warning share of
  the monthly read cap, or all of it.

An episode is one ``SourceAlert`` row whose ``open_key`` ("<source>:<cause>") is
unique while it is open: opening inserts it with ``ON CONFLICT DO NOTHING`` and writes
the alert's outbox rows only when the insert took place; closing clears the key in an
UPDATE and writes the recovery rows only when the UPDATE changed the row. So an alert
and its recovery go out once each, however many daemon instances check at once.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, func, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from lifecycle.escalation import channels_of
from models.db import session_scope
from models.masking import mask_personal
from models.notices import add_outbox_rows, insert_once
from models.sources import all_health, month_key
from models.tables import Mention, SourceAlert, SourceHealth
from models.types import utcnow
from models.vocab import AlertCause, OutboxRecipient, SourceState, label
from models.wita import format_wita
from notify.settings import Recipient, contact_key

log = logging.getLogger(__name__)

_ALERTS: Table = SourceAlert.__table__  # type: ignore[attr-defined]
#: how far back a source's usual daily volume is measured, before the silent period
BUSY_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class AlertRules:
    """When a source is reported (``aduan.settings.AlertsConfig`` fits)."""

    failing_runs: int = 5
    rate_limited_minutes: int = 60
    silent_hours: int = 24
    silent_min_per_day: int = 10
    read_cap_warning: float = 0.8


@dataclass(frozen=True)
class WatchedSource:
    """A configured, enabled source and its monthly read cap."""

    name: str
    read_cap: int | None = None


@dataclass
class AlertResult:
    """Episodes opened and closed by one check."""

    opened: list[tuple[str, str]] = field(default_factory=list)
    closed: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Activity:
    """A source's newest mention and its mentions in the week before the silent period."""

    newest: datetime | None
    week_before: int


def causes_of(
    health: SourceHealth,
    source: WatchedSource,
    activity: Activity,
    rules: AlertRules,
    now: datetime,
) -> dict[str, str]:
    """The alert causes that hold for *source* now, each with a detail in Indonesian."""
    out: dict[str, str] = {}
    error = mask_personal(health.last_error or "")[:300]
    if health.state == SourceState.DISABLED:
        out[AlertCause.DISABLED] = mask_personal(health.disabled_reason or error)[:300]
    paused_for = now - (health.last_success_at or health.updated_at)
    if health.state == SourceState.RATE_LIMITED and paused_for > timedelta(
        minutes=rules.rate_limited_minutes
    ):
        until = format_wita(health.rate_limited_until)
        out[AlertCause.RATE_LIMITED] = f"dijeda sampai {until}; {error}"
    if (
        health.state in (SourceState.FAILING, SourceState.RATE_LIMITED)
        and health.consecutive_failures >= rules.failing_runs
    ):
        out[AlertCause.FAILING] = (
            f"{health.consecutive_failures} kali gagal berturut-turut; {error}"
        )
    silent = timedelta(hours=rules.silent_hours)
    busy = activity.week_before >= rules.silent_min_per_day * BUSY_WEEK.days
    if (
        health.state != SourceState.DISABLED
        and busy
        and activity.newest is not None
        and now - activity.newest > silent
    ):
        out[AlertCause.SILENT] = (
            f"kiriman terakhir {format_wita(activity.newest)}; biasanya "
            f"{activity.week_before / BUSY_WEEK.days:.0f} kiriman sehari"
        )
    if source.read_cap:
        reads = health.reads_this_month if health.reads_month == month_key(now) else 0
        share = reads / source.read_cap
        usage = f"{reads} dari {source.read_cap} baca bulan ini ({share:.0%})"
        if share >= rules.read_cap_warning:
            out[AlertCause.READ_CAP_WARNING] = usage
        if share >= 1 or health.state == SourceState.BUDGET_EXHAUSTED:
            out[AlertCause.READ_CAP_REACHED] = usage
    return out


def _activity(
    session: Session, names: Iterable[str], rules: AlertRules, now: datetime
) -> dict[str, Activity]:
    """Each source's newest mention and its count in the week before the silent period."""
    names = list(names)
    if not names:
        return {}
    newest = dict(
        session.exec(
            select(Mention.source, func.max(Mention.fetched_at))
            .where(col(Mention.source).in_(names))
            .group_by(col(Mention.source))
        ).all()
    )
    end = now - timedelta(hours=rules.silent_hours)
    counts = dict(
        session.exec(
            select(Mention.source, func.count())
            .where(col(Mention.source).in_(names))
            .where(col(Mention.fetched_at) > end - BUSY_WEEK, col(Mention.fetched_at) <= end)
            .group_by(col(Mention.source))
        ).all()
    )
    return {n: Activity(newest.get(n), int(counts.get(n, 0))) for n in names}


def check_sources(
    *,
    engine: Engine,
    sources: Iterable[WatchedSource],
    rules: AlertRules,
    contacts: Mapping[str, Recipient],
    now: datetime | None = None,
) -> AlertResult:
    """Open an alert for each new cause and close the ones that no longer hold; commits."""
    now = now or utcnow()
    watched = {s.name: s for s in sources}
    result = AlertResult()
    admins = contacts.get(contact_key(OutboxRecipient.ADMINS, None))
    recipients: list[tuple[str, str | None, tuple[str, ...]]] = [
        (OutboxRecipient.ADMINS.value, None, channels_of(admins))
    ]
    with session_scope(engine) as session:
        health = {h.source: h for h in all_health(session=session) if h.source in watched}
        activity = _activity(session, health, rules, now)
        open_alerts = list(
            session.exec(select(SourceAlert).where(col(SourceAlert.open_key).is_not(None)))
        )
        conn = session.connection()
        holding: dict[tuple[str, str], str] = {}
        for name, record in sorted(health.items()):
            for cause, detail in causes_of(
                record, watched[name], activity[name], rules, now
            ).items():
                holding[(name, cause)] = detail
        for (name, cause), detail in sorted(holding.items()):
            if _open(conn, name, cause, detail, health[name], recipients, now):
                result.opened.append((name, cause))
        for alert in open_alerts:
            if (alert.source, alert.cause) in holding:
                continue
            # A source no longer configured (or turned off) did not recover: its alert
            # closes without a "recovered" message.
            tell = recipients if alert.source in health else []
            if _close(conn, alert, tell, now):
                result.closed.append((alert.source, alert.cause))
    for name, cause in result.opened:
        log.warning("source alert opened: %s: %s", name, cause)
    for name, cause in result.closed:
        log.info("source alert closed: %s recovered from %s", name, cause)
    return result


def _open(
    conn: Connection,
    name: str,
    cause: str,
    detail: str,
    health: SourceHealth,
    recipients: list[tuple[str, str | None, tuple[str, ...]]],
    now: datetime,
) -> bool:
    values = {
        "source": name,
        "cause": cause,
        "open_key": f"{name}:{cause}",
        "detail": detail,
        "opened_at": now,
        "closed_at": None,
    }
    alert_id = insert_once(conn, _ALERTS, values, ["open_key"])
    if alert_id is None:
        return False
    title = f"Peringatan sumber {name}: {label('alert_cause', cause)}"
    lines = [
        f"Sumber: {name} ({health.platform})",
        f"Masalah: {label('alert_cause', cause)}",
        f"Keterangan: {detail}",
        f"Status sumber: {label('source_state', health.state)}",
        f"Berhasil terakhir: {format_wita(health.last_success_at)}",
        f"Sejak: {format_wita(now)}",
        "Periksa halaman dasbor dan `aduan sources`; pemberitahuan berikutnya dikirim "
        "saat sumber pulih.",
    ]
    payload = {
        "event": "source.alert",
        "notice": {"title": title, "lines": lines},
        "data": {"alert_id": alert_id, "source": name, "cause": cause, "detail": detail},
    }
    add_outbox_rows(conn, recipients=recipients, payload=payload, now=now)
    return True


def _close(
    conn: Connection,
    alert: SourceAlert,
    recipients: list[tuple[str, str | None, tuple[str, ...]]],
    now: datetime,
) -> bool:
    stmt = (
        update(_ALERTS)
        .where(_ALERTS.c.id == alert.id, _ALERTS.c.open_key.is_not(None))
        .values(open_key=None, closed_at=now)
    )
    if conn.execute(stmt).rowcount != 1:
        return False  # closed by another instance
    title = f"Sumber {alert.source} pulih: {label('alert_cause', alert.cause)}"
    lines = [
        f"Sumber: {alert.source}",
        f"Masalah yang selesai: {label('alert_cause', alert.cause)}",
        f"Mulai: {format_wita(alert.opened_at)}",
        f"Pulih: {format_wita(now)}",
    ]
    payload = {
        "event": "source.recovered",
        "notice": {"title": title, "lines": lines},
        "data": {"alert_id": alert.id, "source": alert.source, "cause": alert.cause},
    }
    add_outbox_rows(conn, recipients=recipients, payload=payload, now=now)
    return True


def open_source_alerts(*, session: Session) -> list[SourceAlert]:
    """Alerts not closed yet, oldest first (the dashboard lists them)."""
    stmt = (
        select(SourceAlert)
        .where(col(SourceAlert.closed_at).is_(None))
        .order_by(col(SourceAlert.opened_at), col(SourceAlert.id))
    )
    return list(session.exec(stmt))
