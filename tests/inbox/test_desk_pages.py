"""The agency desk in the web inbox and the API: assigning a petugas, "Pengaduan saya"."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inbox.app import create_app
from models.accounts import issue_api_token
from models.db import session_scope
from models.tables import Complaint, ComplaintAssignment, User
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
