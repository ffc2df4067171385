"""Issue 14 on the dashboard and the complaint page: incidents, escalations, source alerts."""

from datetime import timedelta

from sqlalchemy.engine import Engine

from aduan.wiring import contacts, escalation_policy_for, spike_rules_for
from lifecycle.escalation import escalate_due
from lifecycle.incidents import detect_incidents
from lifecycle.source_alerts import AlertRules, WatchedSource, check_sources
from models.db import session_scope
from models.tables import Outbox, SourceHealth
from models.types import utcnow
from models.vocab import SourceState
from models.wita import WITA
from tests.support.lifecycle import Filing, file_all, inboxes, settings_for
from tests.support.web import client_for

SETTINGS = settings_for(inboxes())


def _scene(engine: Engine) -> dict[str, int]:
    """A burst in Sesetan two hours ago, a complaint ten days old, a disabled source."""
    now = utcnow()
    burst = [
        Filing(
            10 + i,
            received=now - timedelta(hours=2) + timedelta(minutes=10 * i),
            text=f"air mati total di sesetan, hubungi 0812345678{i:02d}",
        )
        for i in range(8)
    ]
    old = Filing(1, received=now - timedelta(days=10), text="pipa bocor di jalan sidakarya")
    ids = file_all(engine, [old, *burst], inboxes())
    people = contacts(SETTINGS)
    opened = detect_incidents(
        engine=engine,
        rules=spike_rules_for(SETTINGS),
        kominfo_inbox="KOMINFO",
        contacts=people,
        now=now,
    ).opened
    assert opened == [("PDAM", "Denpasar Selatan")]
    escalated = escalate_due(
        engine=engine, policy=escalation_policy_for(SETTINGS), contacts=people, now=now
    )
    assert escalated.escalations >= 1
    with session_scope(engine) as s:
        s.add(
            SourceHealth(
                source="fb-kota",
                platform="facebook",
                state=SourceState.DISABLED,
                disabled_reason="token kedaluwarsa",
            )
        )
    check_sources(
        engine=engine,
        sources=[WatchedSource("fb-kota")],
        rules=AlertRules(),
        contacts=people,
        now=now,
    )
    return {"old": ids[0], "burst": ids[1]}


def test_the_dashboard_lists_the_incident_escalations_and_source_alerts(engine: Engine) -> None:
    ids = _scene(engine)
    page = client_for(engine).get("/").text
    incidents = page.split('id="insiden"')[1].split("</table>")[0]
    assert "Insiden: lonjakan laporan (1)" in page
    assert "Kec. Denpasar Selatan, Sesetan" in incidents
    assert "8 (8 pengaduan)" in incidents and "berlangsung" in incidents
    assert "air mati total di sesetan" in incidents
    assert "081234567800" not in page  # the samples are masked
    escalations = page.split('id="eskalasi"')[1].split("</table>")[0]
    assert f'href="/complaints/{ids["old"]}"' in escalations
    assert "kontak eskalasi PDAM" in escalations
    alerts = page.split('id="peringatan-sumber"')[1].split("</ul>")[0]
    assert "fb-kota" in alerts and "token/kredensial ditolak" in alerts


def test_viewers_see_the_incident_counts_without_texts_or_escalations(engine: Engine) -> None:
    _scene(engine)
    page = client_for(engine, "lihat1", "viewer").get("/").text
    incidents = page.split('id="insiden"')[1].split("</table>")[0]
    assert "8 (8 pengaduan)" in incidents
    assert "air mati" not in page and 'id="eskalasi"' not in page


def test_the_complaint_page_shows_its_escalations(engine: Engine) -> None:
    ids = _scene(engine)
    page = client_for(engine).get(f"/complaints/{ids['old']}").text
    section = page.split("<h3>Eskalasi</h3>")[1].split("</table>")[0]
    assert "respon awal" in section and "eskalasi tingkat 1" in section
    assert "eskalasi tingkat 2" in section  # ten days late: the head was told too
    assert "kontak eskalasi PDAM (email)" in section


def test_the_yearly_table_has_response_times_and_a_csv(engine: Engine) -> None:
    received = utcnow() - timedelta(days=1)
    answered = {"responded_at": received + timedelta(hours=2)}
    file_all(engine, [Filing(1, received=received, extra=answered)], inboxes())
    client = client_for(engine)
    year = received.astimezone(WITA).year
    page = client.get(f"/?year={year}").text
    yearly = page.split('<table class="yearly">')[1].split("</table>")[0]
    assert "Median respon awal (jam kerja)" in yearly and "Dibuka kembali" in yearly
    row = yearly.split("<td>PDAM</td>")[1].split("</tr>")[0]
    assert "100.0%" in row  # answered by its deadline
    sheet = client.get(f"/dashboard/response-times.csv?year={year}")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert sheet.text.splitlines()[1].startswith("PDAM,")


def test_a_dead_alert_of_no_complaint_is_listed_without_a_complaint_link(engine: Engine) -> None:
    file_all(engine, [Filing(1)], inboxes())
    with session_scope(engine) as s:
        s.add(
            Outbox(
                channel="email",
                recipient="admins",
                payload={"event": "source.alert"},
                status="dead",
                last_error="550 tidak dikenal",
            )
        )
    panel = client_for(engine).get("/").text.split('id="pengiriman"')[1].split("</table>")[0]
    assert "source.alert" in panel and "admin (admins)" in panel
    assert 'href="/complaints/None"' not in panel
