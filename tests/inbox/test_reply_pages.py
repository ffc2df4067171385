"""The reply queue (/balasan) and the replies on a complaint's page."""

from sqlalchemy.engine import Engine

from models.replies import disable_account
from tests.support.replies import file_with_ack, number_of, policy, replies_in, reply_rows
from tests.support.web import client_for, csrf_token, post


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
