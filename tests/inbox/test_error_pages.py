"""Errors: the site's page in its frame for the pages, JSON for the REST and Open311 APIs."""

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from inbox.app import create_app
from models.accounts import issue_api_token
from models.db import session_scope
from tests.support.routing import POLICY
from tests.support.web import AUTH, add_complaint, add_user, login


def _client(engine: Engine, role: str = "operator") -> TestClient:
    add_user(engine, f"{role}1", role)
    app = create_app(engine, auth_config=AUTH, policy=POLICY)

    @app.get("/rusak")
    def broken_page() -> None:
        raise RuntimeError("a bug in a page")

    @app.get("/api/v1/rusak")
    def broken_api() -> None:
        raise RuntimeError("a bug in an API route")

    client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    assert login(client, f"{role}1").status_code == 303
    return client


def _framed(response_text: str) -> bool:
    """The site's frame: its stylesheet, the header with navigation and the sign-out button."""
    return all(
        part in response_text
        for part in ('href="/static/aduan.css"', 'href="/triage"', "Keluar", 'role="alert"')
    )


def test_page_errors_are_the_sites_page_in_its_frame(engine: Engine) -> None:
    add_complaint(engine, 1)
    client = _client(engine)
    for path, status, words in (
        ("/complaints/987654", 404, "Pengaduan tidak ditemukan"),
        ("/inbox/NOPE", 404, "Inbox tidak ditemukan"),
        ("/tidak-ada-halaman-ini", 404, "tidak ada"),
        ("/complaints/abc", 422, "bagian alamat \u201cnomor pengaduan\u201d"),
        ("/complaints/99999999999999999999", 422, "tidak valid"),
        ("/rusak", 500, "kesalahan di server"),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert _framed(response.text), path
        assert words in response.text, path
        assert '{"detail"' not in response.text


def test_forbidden_pages_are_the_sites_page_too(engine: Engine) -> None:
    viewer = _client(engine, "viewer")
    response = viewer.get("/triage")
    assert response.status_code == 403
    assert "Akses ditolak" in response.text and 'href="/static/aduan.css"' in response.text


def test_api_errors_stay_json(engine: Engine) -> None:
    add_complaint(engine, 1)
    client = _client(engine)
    with session_scope(engine) as s:
        token, _ = issue_api_token(session=s, username="operator1", name="t")
    bearer = {"Authorization": f"Bearer {token}", "Accept": "text/html"}
    missing = client.get("/api/v1/complaints/987654", headers=bearer)
    assert missing.status_code == 404 and missing.json()["detail"]
    unknown = client.get("/api/v1/tidak-ada", headers=bearer)
    assert unknown.status_code == 404 and unknown.json()["detail"]
    invalid = client.get("/api/v1/complaints/abc", headers=bearer)
    assert invalid.status_code == 422 and isinstance(invalid.json()["detail"], list)
    crashed = client.get("/api/v1/rusak", headers=bearer)
    assert crashed.status_code == 500 and crashed.json()["detail"]
    geo = client.get("/open311/v2/requests/987654.json", headers=bearer)
    assert geo.status_code == 404 and geo.json()[0]["code"] == 404
