"""The REST API (/api/v1) on both stores: tokens, roles, agency scoping, lifecycle, filters."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inbox.app import create_app
from inbox.sessions import Authenticator
from models.accounts import create_user, issue_api_token, revoke_api_token, set_active
from models.db import make_engine, session_scope
from models.tables import Complaint, ComplaintNote, StatusChange, User
from models.types import utcnow
from models.vocab import CATEGORIES, ROLES
from tests.support.api import EVIL_AIR, bearer, client, serve_api
from tests.support.routing import POLICY
from tests.support.web import AUTH


def _history(engine: Engine, cid: int) -> list[str]:
    with Session(engine) as s:
        rows = s.exec(select(StatusChange).where(StatusChange.complaint_id == cid))
        return [r.to_status for r in rows]


def _status(engine: Engine, cid: int) -> tuple[str, str]:
    with Session(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None
        return c.status, c.inbox


def _routes(ids: dict[str, int]) -> list[tuple[str, str, dict[str, Any] | None]]:
    cid = ids["evil"]
    return [
        ("GET", "/api/v1/complaints", None),
        ("GET", f"/api/v1/complaints/{cid}", None),
        ("POST", f"/api/v1/complaints/{cid}/status", {"status": "respon_awal"}),
        ("POST", f"/api/v1/complaints/{cid}/notes", {"text": "dicek"}),
        ("GET", "/api/v1/categories", None),
        ("GET", "/api/v1/inboxes", None),
    ]


# --- authentication ----------------------------------------------------------------------


def test_every_route_needs_a_live_token_never_a_cookie(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    with session_scope(engine) as s:
        revoked, row = issue_api_token(session=s, username="operator", name="old")
        assert row.id is not None
        revoke_api_token(session=s, token_id=row.id)
        create_user(session=s, username="gone", role="operator", password_hash="-")
        disabled, _ = issue_api_token(session=s, username="gone", name="x")
        set_active(session=s, username="gone", active=False)
        user = s.exec(select(User).where(User.username == "operator")).one()
    # A live browser session of the same operator: it opens pages, never the API.
    browser = client(engine)
    browser.cookies.set(AUTH.session_cookie, Authenticator(engine, AUTH).start_session(user).cookie)
    assert browser.get("/inbox/PDAM").status_code == 200
    wrong = [
        {},
        bearer("adn_wrong"),
        bearer(revoked),
        bearer(disabled),
        {"Authorization": "Basic b3BlcmF0b3I6eA=="},
        {"Authorization": tok["operator"]},
    ]
    for method, path, body in _routes(ids):
        for headers in wrong:
            response = api.request(method, path, headers=headers, json=body)
            assert response.status_code == 401, (path, headers)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "Token API" in response.json()["detail"]
        response = browser.request(method, path, json=body)
        assert response.status_code == 401, path
    assert _history(engine, ids["evil"]) == ["baru"]  # nothing changed by any of them
    with Session(engine) as s:
        assert s.exec(select(ComplaintNote)).all() == []


# --- roles and agency scoping ----------------------------------------------------------


def test_each_route_for_each_role(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    expected = {  # role: (list, get, status, notes, categories, inboxes)
        "admin": (200, 200, 200, 201, 200, 200),
        "operator": (200, 200, 409, 201, 200, 200),  # admin already moved it on
        "agency": (200, 200, 409, 201, 200, 200),
        "viewer": (403, 403, 403, 403, 200, 200),
    }
    for role, codes in expected.items():
        for (method, path, body), code in zip(_routes(ids), codes, strict=True):
            # An HTML Accept header (a browser) must not turn API errors into pages.
            headers = {**bearer(tok[role]), "Accept": "text/html"}
            response = api.request(method, path, headers=headers, json=body)
            assert response.status_code == code, (role, path, response.text)
            assert response.headers["content-type"] == "application/json"
            if code >= 400:
                assert isinstance(response.json()["detail"], str)
    assert _history(engine, ids["evil"]) == ["baru", "respon_awal"]
    inboxes = {
        role: [i["code"] for i in api.get("/api/v1/inboxes", headers=bearer(tok[role])).json()]
        for role in ROLES
    }
    assert inboxes["agency"] == ["PDAM"]
    assert inboxes["viewer"] == inboxes["operator"] == ["KOMINFO", "LPJU", "PDAM"]


def test_agency_tokens_never_reach_other_inboxes(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    agency = bearer(tok["agency"])
    listed = api.get("/api/v1/complaints", headers=agency).json()
    assert {c["id"] for c in listed["items"]} == {ids["evil"], ids["keruh"]}
    assert listed["total"] == 2 and {c["inbox"] for c in listed["items"]} == {"PDAM"}
    assert api.get("/api/v1/complaints?inbox=PDAM", headers=agency).json()["total"] == 2
    for other in ("LPJU", "KOMINFO", "NOPE"):
        response = api.get(f"/api/v1/complaints?inbox={other}", headers=agency)
        assert response.status_code == 404 and "not found" in response.json()["detail"]
    missing = api.get("/api/v1/complaints/999999", headers=agency)
    for key in ("lampu", "pungli"):
        cid = ids[key]
        got = api.get(f"/api/v1/complaints/{cid}", headers=agency)
        assert (got.status_code, got.json()) == (404, missing.json())  # same as a missing id
        for path, body in (
            (f"/api/v1/complaints/{cid}/status", {"status": "respon_awal"}),
            (f"/api/v1/complaints/{cid}/notes", {"text": "bukan urusan kami"}),
        ):
            response = api.post(path, headers=agency, json=body)
            assert (response.status_code, response.json()) == (404, missing.json())
        assert _history(engine, cid) == ["baru"]
    with Session(engine) as s:
        assert s.exec(select(ComplaintNote)).all() == []
    # Kominfo staff see every inbox; an unknown inbox is 404 for them too.
    operator = bearer(tok["operator"])
    assert api.get("/api/v1/complaints", headers=operator).json()["total"] == 4
    assert api.get("/api/v1/complaints?inbox=LPJU", headers=operator).json()["total"] == 1
    assert api.get("/api/v1/complaints?inbox=NOPE", headers=operator).status_code == 404
    # NUL (which PostgreSQL cannot compare) is dropped from the text people type.
    odd = api.get("/api/v1/complaints", headers=operator, params={"inbox": "\x00"})
    assert odd.status_code == 404
    params = {"q": "\x00keruh", "kecamatan": "Denpasar Utara\x00"}
    assert api.get("/api/v1/complaints", headers=operator, params=params).json()["total"] == 1
    # Ids beyond the store's integer key are refused before they reach the database.
    for path in ("/api/v1/complaints/99999999999", "/api/v1/complaints/0"):
        assert api.get(path, headers=operator).status_code == 422


# --- status changes and notes ------------------------------------------------------------


def test_status_full_path_and_refused_changes(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    agency, cid = bearer(tok["agency"]), ids["evil"]
    url = f"/api/v1/complaints/{cid}/status"
    for status in ("respon_awal", "ditindaklanjuti", "selesai"):
        response = api.post(url, headers=agency, json={"status": status, "note": f"ke {status}"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["id"], body["status"], body["inbox"]) == (cid, status, "PDAM")
        assert body["updated_at"].endswith("Z")
    detail = api.get(f"/api/v1/complaints/{cid}", headers=agency).json()
    assert [h["to_status"] for h in detail["history"]] == [
        "baru",
        "respon_awal",
        "ditindaklanjuti",
        "selesai",
    ]
    assert [h["actor"] for h in detail["history"][1:]] == ["agency"] * 3
    assert detail["history"][2]["from_status"] == "respon_awal"
    assert detail["history"][3]["note"] == "ke selesai"
    assert detail["deadlines"]["resolved_at"].endswith("Z")
    assert detail["next_statuses"] == ["ditindaklanjuti"]
    # Refused changes: 409 naming both statuses, nothing changed.
    for target in ("respon_awal", "baru"):
        refused = api.post(url, headers=agency, json={"status": target, "note": "x"})
        assert refused.status_code == 409
        assert "selesai" in refused.json()["detail"] and target in refused.json()["detail"]
    reopen = api.post(url, headers=agency, json={"status": "ditindaklanjuti"})
    assert reopen.status_code == 409 and "note" in reopen.json()["detail"]
    skip = api.post(
        f"/api/v1/complaints/{ids['keruh']}/status", headers=agency, json={"status": "selesai"}
    )
    assert skip.status_code == 409 and "baru → selesai" in skip.json()["detail"]
    assert _history(engine, cid) == ["baru", "respon_awal", "ditindaklanjuti", "selesai"]
    assert _history(engine, ids["keruh"]) == ["baru"]
    # Bad bodies are 422 before anything is tried.
    for bad in (
        {"status": "tutup"},
        {},
        {"status": "selesai", "extra": 1},
        {"status": "selesai", "reason": "x"},
        {"status": "respon_awal", "note": "x" * 5001},
    ):
        response = api.post(f"/api/v1/complaints/{ids['keruh']}/status", headers=agency, json=bad)
        assert response.status_code == 422, bad
        assert isinstance(response.json()["detail"], list)
    assert (
        api.post(
            "/api/v1/complaints/999999/status", headers=agency, json={"status": "respon_awal"}
        ).status_code
        == 404
    )


def test_bukan_wewenang_needs_reason_and_goes_to_triage(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    agency, cid = bearer(tok["agency"]), ids["keruh"]
    url = f"/api/v1/complaints/{cid}/status"
    for bad in (
        {"status": "bukan_wewenang"},
        {"status": "bukan_wewenang", "reason": " ", "suggested_category": "PUPR"},
        {"status": "bukan_wewenang", "reason": "jalan", "suggested_category": "JALAN"},
    ):
        response = api.post(url, headers=agency, json=bad)
        assert response.status_code == 422, bad
        assert "reason" in response.text or "category" in response.text
    refusal = {
        "status": "bukan_wewenang",
        "reason": "itu jalan rusak",
        "suggested_category": "PUPR",
    }
    no_policy = client(engine, policy=None).post(url, headers=agency, json=refusal)
    assert no_policy.status_code == 503 and no_policy.json()["detail"]
    assert _status(engine, cid) == ("baru", "PDAM")
    response = api.post(url, headers=agency, json=refusal)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["inbox"]) == ("bukan_wewenang", "KOMINFO")
    assert _status(engine, cid) == ("bukan_wewenang", "KOMINFO")
    # It left the agency's inbox: from now on it is as unknown to them as any other.
    assert api.get(f"/api/v1/complaints/{cid}", headers=agency).status_code == 404
    seen = api.get(f"/api/v1/complaints/{cid}", headers=bearer(tok["operator"])).json()
    assert seen["history"][-1]["note"] == (
        "bukan wewenang PDAM: itu jalan rusak (saran kategori: Jalan dan drainase)"
    )
    assert seen["next_statuses"] == []  # back to baru only through triage's reassign


def test_notes_are_added_and_listed(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    url = f"/api/v1/complaints/{ids['evil']}/notes"
    first = api.post(url, headers=bearer(tok["agency"]), json={"text": f"  {EVIL_AIR}  "})
    assert first.status_code == 201, first.text
    assert first.json()["text"] == EVIL_AIR and first.json()["author"] == "agency"
    assert first.json()["at"].endswith("Z")
    second = api.post(url, headers=bearer(tok["operator"]), json={"text": "sudah diteruskan"})
    assert second.status_code == 201
    for bad in (
        {"text": ""},
        {"text": "   "},
        {"text": "\x00"},
        {"text": "x" * 5001},
        {},
        {"text": "ok", "author": "someone else"},
    ):
        response = api.post(url, headers=bearer(tok["operator"]), json=bad)
        assert response.status_code == 422, bad
    # half a surrogate pair, which JSON may escape: refused (422), not a crash (500)
    odd = api.post(
        url,
        headers={**bearer(tok["operator"]), "Content-Type": "application/json"},
        content=b'{"text": "air mati \\ud83d lagi"}',
    )
    assert odd.status_code == 422, odd.text
    assert odd.json()["detail"][0]["loc"] == ["body", "text"]
    detail = api.get(f"/api/v1/complaints/{ids['evil']}", headers=bearer(tok["agency"])).json()
    assert [(n["author"], n["text"]) for n in detail["notes"]] == [
        ("agency", EVIL_AIR),
        ("operator", "sudah diteruskan"),
    ]
    assert _history(engine, ids["evil"]) == ["baru"]  # a note is not a status change


# --- reading -------------------------------------------------------------------------------


def _ids(api: TestClient, token: str, query: str) -> list[int]:
    response = api.get(f"/api/v1/complaints?{query}", headers=bearer(token))
    assert response.status_code == 200, (query, response.text)
    return [c["id"] for c in response.json()["items"]]


def test_list_filters_sort_and_pages(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    op = tok["operator"]
    evil, keruh, lampu, pungli = (ids[k] for k in ("evil", "keruh", "lampu", "pungli"))
    assert _ids(api, op, "") == [evil, lampu, keruh, pungli]  # newest first
    assert _ids(api, op, "sort=oldest") == [pungli, keruh, lampu, evil]
    assert _ids(api, op, "category=PDAM") == [evil, keruh]
    assert _ids(api, op, "kecamatan=Denpasar Selatan") == [evil, lampu]
    assert _ids(api, op, "platform=facebook") == [keruh]
    assert _ids(api, op, "overdue=true") == [evil]
    assert _ids(api, op, "q=100%") == [keruh]  # % is text, not a wildcard
    assert _ids(api, op, "q=AIR") == [evil, keruh]
    today = utcnow().date()
    assert _ids(api, op, f"since={today - timedelta(days=10)}") == [evil, lampu, keruh]
    assert _ids(api, op, f"until={today - timedelta(days=10)}") == [pungli]
    since = (utcnow() - timedelta(days=2, hours=12)).isoformat()
    assert _ids(api, op, f"since={since.replace('+00:00', 'Z')}") == [evil, lampu]
    api.post(
        f"/api/v1/complaints/{keruh}/status", headers=bearer(op), json={"status": "respon_awal"}
    )
    assert _ids(api, op, "status=respon_awal") == [keruh]
    page = api.get("/api/v1/complaints?page=2&page_size=3", headers=bearer(op)).json()
    assert [c["id"] for c in page["items"]] == [pungli]
    assert (page["total"], page["page"], page["page_size"], page["pages"]) == (4, 2, 3, 2)
    for bad in (
        "status=tutup",
        "category=JALAN",
        "platform=myspace",
        "since=kemarin",
        "since=2026-02-30",
        "until=0001-01-01",
        "since=2026-11-20&until=2026-11-19",
        "page=0",
        "page_size=201",
        "sort=random",
        "overdue=mungkin",
        "colour=red",
    ):
        response = api.get(f"/api/v1/complaints?{bad}", headers=bearer(op))
        assert response.status_code == 422, bad
        problem = response.json()["detail"]
        assert isinstance(problem, list) and problem[0]["msg"], bad


def test_detail_gives_untrusted_text_as_json_data(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    response = api.get(f"/api/v1/complaints/{ids['evil']}", headers=bearer(tok["operator"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    detail = response.json()
    (post,) = detail["mentions"]
    assert post["text"] == EVIL_AIR and post["author_name"] == "<b>Warga 1</b>"
    assert post["author_handle"] == "warga1" and post["url"] is None  # javascript: dropped
    assert post["link_reason"] == "origin" and post["platform"] == "twitter"
    assert (detail["inbox"], detail["inbox_name"], detail["category"]) == (
        "PDAM",
        "PDAM Denpasar",
        "PDAM",
    )
    assert detail["location"] == {
        "kecamatan": "Denpasar Selatan",
        "desa": "Sesetan",
        "street": "Jl. Raya Sesetan",
        "span": None,
        "inside_city": None,
    }
    assert detail["deadlines"]["overdue_step"] == "respon_awal"
    assert detail["deadlines"]["respond_by"].endswith("Z")
    assert detail["created_at"].endswith("Z") and detail["history"][0]["at"].endswith("Z")
    assert detail["next_statuses"] == ["bukan_wewenang", "ditindaklanjuti", "respon_awal"]
    listed = api.get("/api/v1/complaints?q=script", headers=bearer(tok["operator"])).json()
    (item,) = listed["items"]
    assert item["text"] == EVIL_AIR and "author_name" not in item and "author_handle" not in item
    assert item["overdue_step"] == "respon_awal" and item["platform"] == "twitter"


def test_categories_and_inboxes(engine: Engine) -> None:
    api, _, tok = serve_api(engine)
    cats = api.get("/api/v1/categories", headers=bearer(tok["viewer"])).json()
    assert [c["code"] for c in cats] == list(CATEGORIES)
    by_code = {c["code"]: c for c in cats}
    assert by_code["LPJU"]["inbox"] == "LPJU" and by_code["LPJU"]["name"]
    assert by_code["DLHK"]["inbox"] == "KOMINFO"  # unmapped categories go to triage
    assert by_code["NOT_COMPLAINT"] == {
        **by_code["NOT_COMPLAINT"],
        "inbox": None,
        "is_complaint": False,
    }
    no_policy = client(engine, policy=None).get("/api/v1/categories", headers=bearer(tok["admin"]))
    assert {c["inbox"] for c in no_policy.json()} == {None}
    boxes = api.get("/api/v1/inboxes", headers=bearer(tok["viewer"])).json()
    pdam = next(b for b in boxes if b["code"] == "PDAM")
    assert pdam["counts"]["baru"] == 2 and pdam["total"] == 2 and pdam["overdue"] == 1
    assert pdam["name"] == "PDAM Denpasar" and "email" not in pdam


def test_openapi_documents_routes_and_bearer_scheme(tmp_path: Path) -> None:
    # The schema does not depend on the store: built once, over an empty one.
    app = create_app(
        make_engine(f"sqlite:///{tmp_path / 'a.db'}"),
        auth_config=AUTH,
        policy=POLICY,
        api_docs=True,
    )
    schema = TestClient(app).get("/api/openapi.json").json()
    paths = schema["paths"]
    for path, method in (
        ("/api/v1/complaints", "get"),
        ("/api/v1/complaints/{complaint_id}", "get"),
        ("/api/v1/complaints/{complaint_id}/status", "post"),
        ("/api/v1/complaints/{complaint_id}/notes", "post"),
        ("/api/v1/categories", "get"),
        ("/api/v1/inboxes", "get"),
        ("/open311/v2/services.json", "get"),
        ("/open311/v2/requests.json", "get"),
        ("/open311/v2/requests/{service_request_id}.json", "get"),
    ):
        operation = paths[path][method]
        assert {"token": []} in operation["security"], path
        assert "401" in operation["responses"], path
    assert schema["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "API token from `aduan tokens create USERNAME --name NAME`",
    }
    params = {p["name"] for p in paths["/api/v1/complaints"]["get"]["parameters"]}
    assert {
        "inbox",
        "status",
        "category",
        "kecamatan",
        "platform",
        "since",
        "until",
        "overdue",
        "q",
        "sort",
        "page",
        "page_size",
    } <= params
    detail = schema["components"]["schemas"]["ComplaintDetail"]
    assert detail["description"] and detail["properties"]["mentions"]["description"]
    assert "409" in paths["/api/v1/complaints/{complaint_id}/status"]["post"]["responses"]
    open311 = paths["/open311/v2/requests.json"]["get"]["responses"]
    assert "400" in open311 and "422" not in open311  # GeoReport answers bad parameters 400
    assert {"api_key": []} in paths["/open311/v2/requests.json"]["get"]["security"]
    assert not any(p.startswith("/inbox") or p == "/login" for p in paths)  # pages stay out
