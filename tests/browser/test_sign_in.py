"""Signing in and out in a real browser."""

from playwright.sync_api import Page, expect

from tests.support.browser import LiveServer, Steps, sign_in
from tests.support.web import PASSWORD


def test_sign_in_shows_the_dashboard_and_sign_out_ends_the_session(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/login")
    steps.shot("redirected to sign-in")
    sign_in(page, live_server, "admin1", "wrong-password-1")
    expect(page.get_by_role("alert")).to_contain_text("salah")
    steps.shot("wrong password")
    sign_in(page, live_server, "admin1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("link", name="Triase")).to_be_visible()
    steps.shot("signed in")
    page.get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(live_server.url + "/login")
    steps.shot("signed out")
    page.goto(live_server.url + "/triage")
    expect(page).to_have_url(live_server.url + "/login?next=%2Ftriage")


def test_agency_staff_land_in_their_inbox(
    page: Page, live_server: LiveServer, steps: Steps
) -> None:
    sign_in(page, live_server, "pdam1", PASSWORD)
    expect(page).to_have_url(live_server.url + "/inbox/PDAM")
    steps.shot("agency inbox")
    expect(page.get_by_role("link", name="Triase")).to_have_count(0)
    response = page.goto(live_server.url + "/inbox/LPJU")
    assert response is not None and response.status == 404
