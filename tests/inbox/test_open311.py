"""Open311 GeoReport v2 (/open311/v2) on both stores: services, requests, access, errors."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from inbox.sessions import Authenticator
from lifecycle.status import bukan_wewenang, change_status
from models.db import session_scope
from models.tables import User
from models.types import utcnow
from models.vocab import CATEGORIES, ROLES
from tests.support.api import EVIL_AIR, bearer, client, serve_api
from tests.support.routing import POLICY
from tests.support.web import AUTH

BASE = "/open311/v2"


def _get(api: TestClient, path: str, token: str | None = None, **params: Any) -> Any:
    headers = bearer(token) if token else {}
    return api.get(BASE + path, headers=headers, params=params)


def _ids(api: TestClient, token: str, **params: Any) -> list[int]:
    response = _get(api, "/requests.json", token, **params)
    assert response.status_code == 200, (params, response.text)
    return [int(r["service_request_id"]) for r in response.json()]


def _is_error(response: Any, code: int, words: str = "") -> None:
    assert response.status_code == code, response.text
    assert response.headers["content-type"] == "application/json"
    (error,) = response.json()
    assert error["code"] == code and words in error["description"], error


def test_services_for_every_token_and_only_tokens(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    for role in ROLES:
        response = _get(api, "/services.json", tok[role])
        assert response.status_code == 200, role
        services = response.json()
        assert [s["service_code"] for s in services] == [
            c for c in CATEGORIES if c != "NOT_COMPLAINT"
        ]
    pdam = next(s for s in services if s["service_code"] == "PDAM")
    assert pdam["service_name"] == "Air minum"
    assert pdam["description"].endswith("Ditangani oleh: PDAM Denpasar.")
    assert (pdam["metadata"], pdam["type"], pdam["group"]) == (False, "realtime", "Utilitas")
    assert "pipa bocor" in pdam["keywords"].split(",")
    # api_key as a query parameter is the GeoReport convention; it works like the header.
    assert _get(api, "/services.json", api_key=tok["viewer"]).status_code == 200
    assert len(_get(api, "/requests.json", api_key=tok["operator"]).json()) == 3
    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.username == "operator")).one()
    browser = client(engine)  # a live browser session: opens pages, never the API
    browser.cookies.set(AUTH.session_cookie, Authenticator(engine, AUTH).start_session(user).cookie)
    assert browser.get("/inbox/PDAM").status_code == 200
    for path in ("/services.json", "/requests.json", f"/requests/{ids['evil']}.json"):
        _is_error(_get(api, path), 401, "Token API")
        _is_error(_get(api, path, "adn_wrong"), 401)
        _is_error(_get(api, path, api_key="adn_wrong"), 401)
        _is_error(browser.get(BASE + path), 401)
        assert _get(api, path).headers["www-authenticate"] == "Bearer"


def test_requests_fields_and_status_mapping(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    op = tok["operator"]
    for status in ("respon_awal", "ditindaklanjuti", "selesai"):
        change_status(
            engine=engine,
            complaint_id=ids["keruh"],
            to_status=status,
            actor="operator",
            note="beres" if status == "selesai" else "",
        )
    bukan_wewenang(
        engine=engine,
        policy=POLICY,
        complaint_id=ids["lampu"],
        actor="lpju",
        reason="lampu taman, bukan jalan",
        suggested_category="DLHK",
    )
    response = _get(api, "/requests.json", op)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    found = {int(r["service_request_id"]): r for r in response.json()}
    assert list(found) == [ids["evil"], ids["lampu"], ids["keruh"]]  # newest first, 90 days
    evil, lampu, keruh = found[ids["evil"]], found[ids["lampu"]], found[ids["keruh"]]
    assert evil["description"] == EVIL_AIR  # a citizen's post, as JSON data
    assert (evil["status"], evil["status_notes"]) == ("open", "diajukan otomatis")
    assert (evil["service_code"], evil["service_name"]) == ("PDAM", "Air minum")
    assert evil["agency_responsible"] == "PDAM Denpasar"
    assert evil["address"] == "Jl. Raya Sesetan, Sesetan, Denpasar Selatan"
    assert evil["lat"] is None and evil["long"] is None and evil["media_url"] is None
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert evil[field].endswith("Z"), field
    assert (keruh["status"], keruh["status_notes"], keruh["expected_datetime"]) == (
        "closed",
        "beres",
        None,
    )
    # Refused as not the agency's authority: back at triage and still open for the citizen.
    assert (lampu["status"], lampu["agency_responsible"]) == ("open", "Diskominfos")
    assert lampu["status_notes"].startswith("bukan wewenang LPJU: lampu taman")
    assert lampu["address"] == "Denpasar Selatan"
    for private in ("warga", "Warga", "x.com", "javascript:", "operator"):
        assert private not in response.text, private  # no authors, links or staff names
    assert _ids(api, op, status="closed") == [ids["keruh"]]
    assert _ids(api, op, status="open") == [ids["evil"], ids["lampu"]]
    assert len(_ids(api, op, status="open,closed")) == 3
    assert _ids(api, op, service_code="LPJU") == [ids["lampu"]]
    assert _ids(api, op, service_code="LPJU,PDAM") == [ids["evil"], ids["lampu"], ids["keruh"]]
    # Asked for by id, the other filters (and the 90 days) do not apply.
    wanted = f"{ids['pungli']},{ids['keruh']}"
    assert _ids(api, op, service_request_id=wanted, status="open") == [ids["keruh"], ids["pungli"]]
    one = _get(api, f"/requests/{ids['evil']}.json", op)
    assert one.status_code == 200 and one.json() == [evil]
    # The citizen's public number names the same request, in any case.
    assert evil["public_number"].startswith("DPS-")
    by_number = _get(api, f"/requests/{evil['public_number'].lower()}.json", op)
    assert by_number.status_code == 200 and by_number.json() == [evil]
    _is_error(_get(api, "/requests/DPS-99-00001.json", op), 404)
    _is_error(_get(api, "/requests.json", op, status="pending"), 400, "status: unknown pending")
    _is_error(_get(api, "/requests.json", op, service_code="NOT_COMPLAINT"), 400, "service_code")
    _is_error(_get(api, "/requests.json", op, service_request_id="1,x"), 400, "service_request_id")
    _is_error(_get(api, "/services.xml", op), 404, "JSON only")
    _is_error(_get(api, "/requests/1.xml", op), 404, "JSON only")


def test_agency_and_viewer_tokens_are_scoped(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    agency = tok["agency"]
    assert _ids(api, agency) == [ids["evil"], ids["keruh"]]
    assert _ids(api, agency, service_code="LPJU") == []
    assert _ids(api, agency, service_request_id=f"{ids['lampu']},{ids['pungli']}") == []
    missing = _get(api, "/requests/999999.json", agency)
    _is_error(missing, 404, "not found")
    for other in (ids["lampu"], ids["pungli"]):
        response = _get(api, f"/requests/{other}.json", agency)
        assert (response.status_code, response.json()) == (404, missing.json())
    for odd in ("abc", "0", "99999999999", "-1", "9" * 5000):
        _is_error(_get(api, f"/requests/{odd}.json", agency), 404)
    for odd in ("99999999999", "9" * 5000):
        _is_error(_get(api, "/requests.json", agency, service_request_id=odd), 400)
    assert _get(api, f"/requests/{ids['keruh']}.json", agency).status_code == 200
    viewer = tok["viewer"]
    _is_error(_get(api, "/requests.json", viewer), 403, "may not read")
    _is_error(_get(api, f"/requests/{ids['evil']}.json", viewer), 403, "may not read")
    assert _ids(api, tok["admin"]) == [ids["evil"], ids["lampu"], ids["keruh"]]


def test_date_filters_and_pages(engine: Engine) -> None:
    api, ids, tok = serve_api(engine)
    op, today = tok["operator"], utcnow().date()
    pungli = [ids["pungli"]]
    assert (
        _ids(
            api,
            op,
            start_date=str(today - timedelta(days=150)),
            end_date=str(today - timedelta(days=100)),
        )
        == pungli
    )
    assert _ids(api, op, start_date=str(today - timedelta(days=130))) == pungli  # + 90 days
    assert _ids(api, op, end_date=str(today - timedelta(days=100))) == pungli  # - 90 days
    since = (utcnow() - timedelta(days=2, hours=12)).isoformat().replace("+00:00", "Z")
    assert _ids(api, op, start_date=since) == [ids["evil"], ids["lampu"]]
    assert _ids(api, op, page_size=2) == [ids["evil"], ids["lampu"]]
    assert _ids(api, op, page_size=2, page=2) == [ids["keruh"]]
    assert _ids(api, op, page=3, page_size=2) == []
    bad = (
        ({"start_date": "2026-01-01", "end_date": "2026-06-01"}, "90 days"),
        ({"start_date": "2026-06-01", "end_date": "2026-01-01"}, "after start_date"),
        ({"start_date": "kemarin"}, "ISO 8601"),
        ({"end_date": "2026-13-01"}, "ISO 8601"),
        ({"page": "x"}, "page:"),
        ({"page": 0}, "page:"),
        ({"page_size": 1001}, "page_size:"),
    )
    for params, words in bad:
        _is_error(_get(api, "/requests.json", op, **params), 400, words)
