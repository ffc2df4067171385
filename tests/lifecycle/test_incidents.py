"""Incidents in the store: a burst at one place is one incident and one alert, then closes."""

import json
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from aduan import jobs
from aduan.settings import DeliveryConfig, SmtpConfig
from aduan.wiring import contacts, spike_rules_for
from lifecycle.incidents import detect_incidents, recent_incidents
from models.tables import Incident, IncidentComplaint, Outbox
from notify.delivery import deliver_due
from tests.support.lifecycle import (
    RECEIVED,
    Filing,
    by_code,
    file_all,
    inboxes,
    settings_for,
)
from tests.support.mail import Mailbox

SETTINGS = settings_for(inboxes())
#: the burst: 09:00 to 12:00 WITA on Monday 23 November
BURST = RECEIVED - timedelta(hours=1)


def _history(n0: int) -> list[Filing]:
    """Ordinary PDAM reports in Sesetan: one every second day over the four weeks before."""
    return [
        Filing(n0 + d, received=BURST - timedelta(days=d, hours=3), text=f"air keruh hari {d}")
        for d in range(2, 29, 2)
    ]


def _burst(n0: int, count: int, kecamatan: str = "Denpasar Selatan") -> list[Filing]:
    return [
        Filing(
            n0 + i,
            received=BURST + timedelta(minutes=10 * i),
            text=f"air mati total sejak pagi, hubungi 08123456789{i % 10}",
            kecamatan=kecamatan,
        )
        for i in range(count)
    ]


def _detect(engine: Engine, now: object) -> tuple[list, list, list]:
    result = detect_incidents(
        engine=engine,
        rules=spike_rules_for(SETTINGS),
        kominfo_inbox="KOMINFO",
        contacts=contacts(SETTINGS),
        now=now,  # type: ignore[arg-type]
    )
    return result.opened, result.kept, result.closed


def _alerts(engine: Engine) -> list[tuple[str | None, str]]:
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.recipient == "agency").order_by(col(Outbox.id)))
        return [(r.agency_code, r.payload["event"]) for r in rows]


def test_a_burst_is_one_incident_and_one_alert_per_recipient(engine: Engine, smtp: Mailbox) -> None:
    file_all(engine, _history(100) + _burst(200, 18), inboxes())
    place = ("PDAM", "Denpasar Selatan")
    # 4 reports: below the minimum; 5: the usual 0.5 at these hours makes them
    # improbable (p 1.7e-4) but not enough; 6 (p 1.4e-5): an incident.
    assert _detect(engine, BURST + timedelta(minutes=35)) == ([], [], [])
    assert _detect(engine, BURST + timedelta(minutes=45)) == ([], [], [])
    assert _detect(engine, BURST + timedelta(minutes=55)) == ([place], [], [])
    for minutes in (60, 120, 180):
        assert _detect(engine, BURST + timedelta(minutes=minutes)) == ([], [place], [])
    assert _alerts(engine) == [("PDAM", "incident.opened"), ("KOMINFO", "incident.opened")]
    with Session(engine) as s:
        incident = s.exec(select(Incident)).one()
        assert (incident.category, incident.kecamatan, incident.desa) == (
            "PDAM",
            "Denpasar Selatan",
            "Sesetan",
        )
        assert incident.reports == 18 and incident.closed_at is None
        assert len(s.exec(select(IncidentComplaint)).all()) == 18
        alert = s.exec(select(Outbox).where(Outbox.recipient == "agency")).first()
        assert alert is not None
        text = "\n".join([alert.payload["notice"]["title"], *alert.payload["notice"]["lines"]])
        assert text.startswith("Insiden: 6 laporan")
        assert "Kec. Denpasar Selatan, Desa/Kel. Sesetan" in text
        # citizens' texts are read when sent, never stored in the notification
        assert "air mati" not in json.dumps(alert.payload)
        [view] = recent_incidents(session=s, since=BURST)
        assert view.complaints == 18 and len(view.samples) == 3
    sent = deliver_due(
        engine=engine,
        settings=DeliveryConfig(smtp=SmtpConfig(host="127.0.0.1", port=smtp.port)),
        agencies=by_code(inboxes()),
        contacts=contacts(SETTINGS),
        now=BURST + timedelta(hours=3),
    )
    alerts = [m for m in smtp.messages if "Insiden" in str(m["Subject"])]
    assert sent.dead == 0 and sorted(str(m["To"]) for m in alerts) == [
        "kominfo@example.org",
        "pdam@example.org",
    ]
    body = alerts[0].get_content()
    assert "Contoh laporan warga:" in body and "air mati total sejak pagi" in body
    assert "081234567890" not in body
    # the next day the window is ordinary again: closed, nothing sent
    assert _detect(engine, BURST + timedelta(days=1)) == ([], [], [place])
    assert _detect(engine, BURST + timedelta(days=1, hours=1)) == ([], [], [])
    assert len(_alerts(engine)) == 2


def test_ordinary_reports_and_scattered_places_raise_nothing(engine: Engine) -> None:
    # the same 18 reports spread over the four kecamatan, and the usual history
    filings = _history(100)
    for k, kec in enumerate(
        ["Denpasar Selatan", "Denpasar Barat", "Denpasar Timur", "Denpasar Utara"]
    ):
        filings += _burst(200 + 10 * k, 4, kecamatan=kec)
    file_all(engine, filings, inboxes())
    for hours in range(0, 8):
        assert _detect(engine, BURST + timedelta(hours=hours)) == ([], [], [])
    assert _alerts(engine) == []


def test_the_daemon_job_takes_turns_and_detects(engine: Engine) -> None:
    file_all(engine, _history(100) + _burst(200, 8), inboxes())
    url = engine.url.render_as_string(hide_password=False)
    settings = settings_for(inboxes(), store={"url": url})
    result = jobs.incidents(settings=settings, engine=engine, now=BURST + timedelta(hours=2))
    assert result.opened == [("PDAM", "Denpasar Selatan")]
    again = jobs.incidents(settings=settings, engine=engine, now=BURST + timedelta(hours=2))
    assert again.opened == [] and again.kept == [("PDAM", "Denpasar Selatan")]
