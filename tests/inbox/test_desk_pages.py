"""The agency desk in the web inbox and the API: assigning a petugas, "Pengaduan saya"."""

import re
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inbox.app import create_app
from models.accounts import issue_api_token, set_email
from models.db import session_scope
from models.tables import Complaint, ComplaintAssignment, Outbox, User
from tests.support.replies import file_with_ack, policy, replies_in, reply_rows
from tests.support.routing import POLICY
from tests.support.web import AUTH, add_complaint, post, quick_client


def _assignee(engine: Engine, cid: int) -> str | None:
    with Session(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None
        if c.assignee_id is None:
            return None
        user = s.get(User, c.assignee_id)
        assert user is not None
        return user.username


def _history_rows(engine: Engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(ComplaintAssignment)).all())


@pytest.fixture
def desk(engine: Engine) -> dict[str, Any]:
    """Petugas ayu and budi (PDAM), citra (LPJU), an operator; complaints in both inboxes."""
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    out: dict[str, Any] = {"app": app}
    for name, role, agency in (
        ("ayu", "agency", "PDAM"),
        ("budi", "agency", "PDAM"),
        ("citra", "agency", "LPJU"),
        ("ops", "operator", None),
    ):
        out[name] = quick_client(engine, app, name, role, agency)
    out["pdam"] = add_complaint(engine, 1, inbox="PDAM")
    out["pdam2"] = add_complaint(engine, 2, inbox="PDAM")
    out["lpju"] = add_complaint(engine, 3, inbox="LPJU")
    return out


def test_an_operator_assigns_and_the_page_shows_petugas_and_history(
    engine: Engine, desk: dict[str, Any]
) -> None:
    client, csrf = desk["ops"]
    cid = desk["pdam"]
    page = client.get(f"/complaints/{cid}").text
    # Only PDAM's users are offered for a PDAM complaint.
    assert 'value="ayu"' in page and 'value="budi"' in page and 'value="citra"' not in page
    response = post(client, f"/complaints/{cid}/petugas", csrf, assignee="ayu")
    assert response.status_code == 303
    assert response.headers["location"] == f"/complaints/{cid}?ok=petugas"
    assert _assignee(engine, cid) == "ayu"
    page = client.get(f"/complaints/{cid}?ok=petugas").text
    assert "Petugas pengaduan diperbarui." in page
    assert '<dd id="petugas">ayu</dd>' in page
    assert "Riwayat petugas" in page
    # Unassign: the empty choice.
    response = post(client, f"/complaints/{cid}/petugas", csrf, assignee="")
    assert response.headers["location"] == f"/complaints/{cid}?ok=tanpa_petugas"
    assert _assignee(engine, cid) is None
    assert _history_rows(engine) == 2


def test_an_agency_user_assigns_only_colleagues(engine: Engine, desk: dict[str, Any]) -> None:
    client, csrf = desk["ayu"]
    cid = desk["pdam"]
    response = post(client, f"/complaints/{cid}/petugas", csrf, assignee="citra")
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "bukan petugas inbox PDAM" in response.text
    assert _assignee(engine, cid) is None
    # Another inbox's complaint answers like a missing one, and nothing changes.
    response = post(client, f"/complaints/{desk['lpju']}/petugas", csrf, assignee="citra")
    assert response.status_code == 404
    assert _assignee(engine, desk["lpju"]) is None
    response = post(client, f"/complaints/{cid}/petugas", csrf, assignee="budi")
    assert response.status_code == 303 and _assignee(engine, cid) == "budi"
    assert _history_rows(engine) == 1


def test_assigning_needs_the_csrf_token(engine: Engine, desk: dict[str, Any]) -> None:
    client, _ = desk["ops"]
    response = post(client, f"/complaints/{desk['pdam']}/petugas", "palsu", assignee="ayu")
    assert response.status_code == 403
    assert _assignee(engine, desk["pdam"]) is None


def test_my_complaints_lists_mine_with_the_count_in_the_navigation(
    engine: Engine, desk: dict[str, Any]
) -> None:
    ops, csrf = desk["ops"]
    for key in ("pdam", "pdam2"):
        post(ops, f"/complaints/{desk[key]}/petugas", csrf, assignee="ayu")
    ayu, _ = desk["ayu"]
    page = ayu.get("/pengaduan-saya").text
    assert f'href="/complaints/{desk["pdam"]}"' in page
    assert f'href="/complaints/{desk["pdam2"]}"' in page
    assert f'href="/complaints/{desk["lpju"]}"' not in page
    assert "Pengaduan saya (2)" in page
    budi, _ = desk["budi"]
    page = budi.get("/pengaduan-saya").text
    assert "Belum ada pengaduan yang ditugaskan kepada Anda." in page
    assert "Pengaduan saya (0)" in page
    # Kominfo staff are nobody's petugas: the page says so.
    assert 'id="bukan-petugas"' in ops.get("/pengaduan-saya").text


def _token(engine: Engine, username: str) -> dict[str, str]:
    with session_scope(engine) as s:
        token, _ = issue_api_token(session=s, username=username, name="desk")
    return {"Authorization": f"Bearer {token}"}


def test_the_api_assigns_within_the_agency_only(engine: Engine, desk: dict[str, Any]) -> None:
    api = TestClient(desk["app"])
    ayu, ops = _token(engine, "ayu"), _token(engine, "ops")
    path = f"/api/v1/complaints/{desk['pdam']}/assignee"
    response = api.post(path, json={"assignee": "budi"}, headers=ayu)
    assert response.status_code == 200, response.text
    assert response.json()["assignee"] == "budi" and response.json()["inbox"] == "PDAM"
    detail = api.get(f"/api/v1/complaints/{desk['pdam']}", headers=ayu).json()
    assert detail["assignee"] == "budi"
    response = api.post(path, json={"assignee": "citra"}, headers=ayu)
    assert response.status_code == 409 and "bukan petugas" in response.json()["detail"]
    response = api.post(
        f"/api/v1/complaints/{desk['lpju']}/assignee", json={"assignee": "citra"}, headers=ayu
    )
    assert response.status_code == 404
    response = api.post(
        f"/api/v1/complaints/{desk['lpju']}/assignee", json={"assignee": "citra"}, headers=ops
    )
    assert response.status_code == 200 and response.json()["assignee"] == "citra"
    response = api.post(path, json={"assignee": None}, headers=ops)
    assert response.status_code == 200 and response.json()["assignee"] is None
    assert _assignee(engine, desk["pdam"]) is None and _assignee(engine, desk["lpju"]) == "citra"
    assert _history_rows(engine) == 3


def _bulk(client: TestClient, csrf: str, ids: list[int | str], **fields: str) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf, "id": [str(i) for i in ids], **fields}
    return client.post("/complaints/massal", data=data)


def test_the_inbox_list_offers_the_selection_and_bulk_form(
    engine: Engine, desk: dict[str, Any]
) -> None:
    client, _ = desk["budi"]
    page = client.get("/inbox/PDAM").text
    assert f'name="id" value="{desk["pdam"]}" form="massal"' in page
    assert 'id="massal"' in page and 'value="ayu"' in page and 'value="citra"' not in page


def test_a_bulk_status_change_applies_to_all_and_returns_to_the_list(
    engine: Engine, desk: dict[str, Any]
) -> None:
    client, csrf = desk["ayu"]
    ids = [desk["pdam"], desk["pdam2"]]
    back = "/inbox/PDAM?status=baru"
    response = _bulk(
        client, csrf, ids, tindakan="status", to_status="respon_awal", note="dicek", kembali=back
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox/PDAM?status=baru&ok=massal"
    with Session(engine) as s:
        assert {s.get(Complaint, i).status for i in ids} == {"respon_awal"}  # type: ignore[union-attr]
    page = client.get(response.headers["location"]).text
    assert "Tindakan massal diterapkan" in page


def test_a_refused_bulk_action_names_each_refusal_and_changes_nothing(
    engine: Engine, desk: dict[str, Any]
) -> None:
    done = [add_complaint(engine, n, status="selesai") for n in (10, 11)]
    client, csrf = desk["ayu"]
    ids = [desk["pdam"], desk["pdam2"], *done, desk["lpju"]]
    response = _bulk(client, csrf, ids, tindakan="status", to_status="respon_awal")
    assert response.status_code == 409
    text = response.text
    assert "Ditolak untuk 3 dari 5 pengaduan; tidak ada yang diubah." in text
    assert text.count("tidak bisa dari Selesai ke Respon awal") == 2
    assert "pengaduan tidak ditemukan" in text  # LPJU's complaint, to a PDAM user
    with Session(engine) as s:
        assert s.get(Complaint, desk["pdam"]).status == "baru"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("ids", "fields", "message"),
    [
        (["0"], {"tindakan": "catatan", "note": "x"}, "Nomor pengaduan tidak sah"),
        (["abc"], {"tindakan": "catatan", "note": "x"}, "Nomor pengaduan tidak sah"),
        ([str(2**31)], {"tindakan": "catatan", "note": "x"}, "Nomor pengaduan tidak sah"),
        ([str(i) for i in range(1, 102)], {"tindakan": "catatan", "note": "x"}, "paling banyak"),
        ([], {"tindakan": "catatan", "note": "x"}, "minimal satu"),
        (["1"], {"tindakan": "status"}, "Pilih status tujuan"),
    ],
)
def test_a_bulk_request_that_cannot_be_tried_says_why(
    engine: Engine, desk: dict[str, Any], ids: list[str], fields: dict[str, str], message: str
) -> None:
    client, csrf = desk["ops"]
    response = _bulk(client, csrf, list(ids), **fields)
    assert response.status_code == 400
    assert 'role="alert"' in response.text and message in response.text
    assert _history_rows(engine) == 0


def test_bulk_needs_csrf_and_never_returns_off_site(engine: Engine, desk: dict[str, Any]) -> None:
    client, csrf = desk["ops"]
    ids = [desk["pdam"]]
    assert _bulk(client, "palsu", ids, tindakan="petugas", assignee="ayu").status_code == 403
    assert _assignee(engine, desk["pdam"]) is None
    response = _bulk(
        client, csrf, ids, tindakan="petugas", assignee="ayu", kembali="https://evil.example/"
    )
    assert response.status_code == 303 and response.headers["location"] == "/?ok=massal"
    assert _assignee(engine, desk["pdam"]) == "ayu"


def test_the_bulk_api_answers_what_changed_or_what_was_refused(
    engine: Engine, desk: dict[str, Any]
) -> None:
    api = TestClient(desk["app"])
    ayu = _token(engine, "ayu")
    body = {"ids": [desk["pdam"], desk["lpju"]], "action": "petugas", "assignee": "budi"}
    response = api.post("/api/v1/complaints/bulk", json=body, headers=ayu)
    assert response.status_code == 409
    assert response.json()["refused"] == [
        {"id": desk["lpju"], "reason": "pengaduan tidak ditemukan"}
    ]
    assert response.json()["changed"] == [] and _assignee(engine, desk["pdam"]) is None
    body["ids"] = [desk["pdam"], desk["pdam2"]]
    response = api.post("/api/v1/complaints/bulk", json=body, headers=ayu)
    assert response.status_code == 200, response.text
    assert sorted(response.json()["changed"]) == sorted(body["ids"])
    assert _assignee(engine, desk["pdam2"]) == "budi"
    too_many = {"ids": list(range(1, 102)), "action": "catatan", "note": "x"}
    response = api.post("/api/v1/complaints/bulk", json=too_many, headers=ayu)
    assert response.status_code == 422 and "paling banyak" in response.json()["detail"]


def test_the_workload_page_shows_each_petugas_of_the_inbox(
    engine: Engine, desk: dict[str, Any]
) -> None:
    ops, csrf = desk["ops"]
    post(ops, f"/complaints/{desk['pdam']}/petugas", csrf, assignee="ayu")
    ayu, _ = desk["ayu"]
    page = ayu.get("/beban-kerja?inbox=LPJU").text  # an agency user gets their own inbox
    rows = re.findall(r"<tr[^>]*>\s*<td>(.*?)</td>\s*<td>(\d+)</td>", page, re.S)
    assert [(who.strip(), n) for who, n in rows] == [
        ("ayu (ayu)", "1"),
        ("budi (budi)", "0"),
        ("<em>Belum ditugaskan</em>", "1"),
    ]
    assert "citra" not in page
    page = ops.get("/beban-kerja?inbox=LPJU").text
    assert "citra (citra)" in page and "ayu (ayu)" not in page
    assert 'name="inbox"' in ops.get("/beban-kerja").text  # staff choose the inbox
    assert ops.get("/beban-kerja?inbox=NOPE").status_code == 404


def test_bulk_status_changes_from_the_desk_and_the_api_draft_the_replies(
    engine: Engine,
) -> None:
    replies = policy()
    app = create_app(engine, auth_config=AUTH, policy=replace(POLICY, replies=replies))
    ids = [file_with_ack(engine, replies, n) for n in (1, 2, 3)]
    client, csrf = quick_client(engine, app, "ayu", "agency", "PDAM")
    response = _bulk(
        client, csrf, [str(i) for i in ids[:2]], tindakan="status", to_status="respon_awal"
    )
    assert response.status_code == 303
    api = TestClient(app)
    body = {"ids": ids, "action": "status", "status": "ditindaklanjuti"}
    response = api.post("/api/v1/complaints/bulk", json=body, headers=_token(engine, "ayu"))
    assert response.status_code == 200, response.text
    drafted = sorted((r.complaint_id, r.event) for r in replies_in(engine) if r.event != "diterima")
    assert drafted == sorted(
        [(i, "respon_awal") for i in ids[:2]] + [(i, "ditindaklanjuti") for i in ids]
    )
    assert all(r.status == "queued" for r in replies_in(engine))
    assert len(reply_rows(engine)) == len(replies_in(engine))


def test_the_history_says_how_the_petugas_was_told(engine: Engine, desk: dict[str, Any]) -> None:
    with session_scope(engine) as s:
        set_email(session=s, username="budi", email="budi@pdam.example.org")
    client, csrf = desk["ops"]
    cid = desk["pdam"]
    post(client, f"/complaints/{cid}/petugas", csrf, assignee="ayu")  # no address
    post(client, f"/complaints/{cid}/petugas", csrf, assignee="budi")
    cells = re.findall(r'<td class="notified">([^<]*)</td>', client.get(f"/complaints/{cid}").text)
    assert cells == ["tidak bisa diberi tahu (tanpa alamat e-mail)", "email"]
    with Session(engine) as s:
        queued = s.exec(select(Outbox).where(Outbox.recipient == "petugas")).all()
    assert [o.payload["to"] for o in queued] == ["budi@pdam.example.org"]
    # The link in it points at the inbox the configuration names (none here: a path).
    assert queued[0].payload["data"]["link"] == f"/complaints/{cid}"
