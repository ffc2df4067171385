"""Issue 14 in the browser: an incident and an escalation on the dashboard, then the page."""

from datetime import timedelta

from playwright.sync_api import Page, expect

from aduan.wiring import contacts, escalation_policy_for, spike_rules_for
from lifecycle.escalation import escalate_due
from lifecycle.incidents import detect_incidents
from models.types import utcnow
from tests.support.browser import LiveServer, Steps, sign_in
from tests.support.lifecycle import Filing, file_all, inboxes, settings_for
from tests.support.web import PASSWORD


def test_operator_sees_an_incident_and_an_escalation(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    now = utcnow()
    settings = settings_for(inboxes())
    burst = [
        Filing(
            100 + i,
            received=now - timedelta(hours=2) + timedelta(minutes=10 * i),
            text=f"air mati total di sesetan sejak subuh {i}",
        )
        for i in range(7)
    ]
    late = Filing(200, received=now - timedelta(days=12), text="pipa bocor di sidakarya")
    file_all(live_server.engine, [late, *burst], inboxes())
    people = contacts(settings)
    detect_incidents(
        engine=live_server.engine,
        rules=spike_rules_for(settings),
        kominfo_inbox="KOMINFO",
        contacts=people,
        now=now,
    )
    escalate_due(
        engine=live_server.engine,
        policy=escalation_policy_for(settings),
        contacts=people,
        now=now,
    )

    sign_in(page, live_server, "operator1", PASSWORD)
    incidents = page.locator("table.incidents")
    incidents.scroll_into_view_if_needed()
    row = incidents.get_by_role("row").filter(has_text="Denpasar Selatan")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Sesetan")
    expect(row).to_contain_text("7 (7 pengaduan)")
    expect(row).to_contain_text("berlangsung")
    expect(row).to_contain_text("air mati total di sesetan")
    steps.shot("incident on the dashboard")

    escalations = page.locator("table.escalations")
    escalations.scroll_into_view_if_needed()
    link = escalations.get_by_role("link").first
    expect(link).to_be_visible()
    expect(escalations).to_contain_text("kontak eskalasi PDAM")
    steps.shot("escalations on the dashboard")
    link.click()
    expect(page.get_by_role("heading", name="Eskalasi")).to_be_visible()
    expect(page.locator("table.escalations")).to_contain_text("eskalasi tingkat 2")
    steps.shot("escalations on the complaint page")
