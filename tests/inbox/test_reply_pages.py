"""The reply queue (/balasan) and the replies on a complaint's page."""

from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from inbox.app import create_app
from models.accounts import issue_api_token
from models.db import session_scope
from models.replies import disable_account, mark_sent
from models.types import utcnow
from tests.support.replies import file_with_ack, number_of, policy, replies_in, reply_rows
from tests.support.routing import POLICY
from tests.support.web import AUTH, client_for, csrf_token, post, quick_client


def test_the_team_edits_and_approves_a_draft(engine: Engine) -> None:
    cid = file_with_ack(engine, policy(mode="review"))
    number = number_of(engine, cid)
    [draft] = replies_in(engine)
    client = client_for(engine)
    page = client.get("/balasan")
    assert page.status_code == 200 and f"balasan-{draft.id}" in page.text and number in page.text
    token = csrf_token(client, "/balasan")
    refused = post(client, f"/balasan/{draft.id}/setujui", token, text="Terima kasih!")
    assert refused.status_code == 400 and number in refused.text
    assert reply_rows(engine) == []
    edited = f"Laporan {number} kami terima; hubungi 081234567890 bila perlu."
    done = post(client, f"/balasan/{draft.id}/setujui", token, text=edited)
    assert (done.status_code, done.headers["location"]) == (303, "/balasan?disetujui=1")
    [reply] = replies_in(engine)
    assert (reply.status, reply.approved_by) == ("queued", "kominfo1")
    assert number in reply.text and "081234567890" not in reply.text  # masked
    assert len(reply_rows(engine)) == 1
    again = post(client, f"/balasan/{draft.id}/setujui", token, text="")
    assert again.status_code == 409
    shown = client.get(f"/complaints/{cid}").text
    assert "Balasan ke warga" in shown and "kominfo1" in shown and "dalam antrean kirim" in shown


def test_a_confidential_draft_keeps_its_fixed_text(engine: Engine) -> None:
    cid = file_with_ack(engine, policy(mode="review"), confidential=True)
    [draft] = replies_in(engine)
    client = client_for(engine)
    token = csrf_token(client, "/balasan")
    number = number_of(engine, cid)
    post(client, f"/balasan/{draft.id}/setujui", token, text=f"{number}: tetangga Anda dicek")
    [reply] = replies_in(engine)
    assert reply.text == f"Laporan Anda tercatat dengan nomor {number}."


def test_discard_and_switching_a_channel_back_on(engine: Engine) -> None:
    file_with_ack(engine, policy(mode="review"))
    [draft] = replies_in(engine)
    disable_account(engine, "test", "token kedaluwarsa")
    client = client_for(engine)
    page = client.get("/balasan")
    assert "token kedaluwarsa" in page.text
    assert "token kedaluwarsa" in client.get("/").text  # the dashboard says so too
    token = csrf_token(client, "/balasan")
    assert post(client, f"/balasan/{draft.id}/buang", token).status_code == 303
    assert replies_in(engine)[0].status == "discarded"
    assert post(client, "/balasan/akun/test/aktifkan", token).status_code == 303
    assert "token kedaluwarsa" not in client.get("/balasan").text
    assert post(client, "/balasan/akun/test/aktifkan", token).status_code == 404


def test_agency_users_cannot_open_the_queue(engine: Engine) -> None:
    file_with_ack(engine, policy(mode="review"))
    client = client_for(engine, "pdam1", "agency", agency="PDAM")
    assert client.get("/balasan").status_code == 403


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def test_reply_entries_show_in_the_history_of_the_page_and_the_api_not_on_lacak(
    engine: Engine,
) -> None:
    replies = policy(mode="review")
    app = create_app(engine, auth_config=AUTH, policy=replace(POLICY, replies=replies))
    cid = file_with_ack(engine, replies)
    number = number_of(engine, cid)
    client, csrf = quick_client(engine, app, "kominfo1", "operator")
    [draft] = replies_in(engine)
    assert draft.id is not None
    approved = post(client, f"/balasan/{draft.id}/setujui", csrf, text="")
    assert approved.status_code == 303
    mark_sent(engine, draft.id, "1861000000000000999", utcnow())
    history = _section(client.get(f"/complaints/{cid}").text, "<h2>Riwayat status", "</table>")
    assert history.count('class="history-balasan"') == 2
    assert history.count('class="history-status"') == 1  # filing
    assert f"Balasan #{draft.id} (Tanda terima) disetujui, tanpa perubahan teks" in history
    assert "kominfo1" in history and "akun balasan test" in history
    assert "terkirim lewat akun test (X); id balasan di platform: 1861000000000000999" in history
    with session_scope(engine) as s:
        token, _ = issue_api_token(session=s, username="kominfo1", name="uji")
    detail = TestClient(app).get(
        f"/api/v1/complaints/{cid}", headers={"Authorization": f"Bearer {token}"}
    )
    assert detail.status_code == 200, detail.text
    entries = [
        (h["kind"], h["actor"], h["from_status"], h["to_status"]) for h in detail.json()["history"]
    ]
    assert entries == [
        ("status", "t", None, "baru"),  # filed (file_with_ack's router is "t")
        ("balasan", "kominfo1", "baru", "baru"),
        ("balasan", "balasan:test", "baru", "baru"),
    ]
    public = TestClient(app).get(f"/lacak/{number}")
    assert public.status_code == 200 and number in public.text
    for private in ("kominfo1", "Balasan #", "1861000000000000999", "balasan:test", "disetujui"):
        assert private not in public.text, private
