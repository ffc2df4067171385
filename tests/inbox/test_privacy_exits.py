"""Personal data at the web app's exits, on both stores.

A post carrying a NIK, KK, phone number, e-mail address, plate and house address is
filed. Open311, the REST API (masked by default; ``original=true`` for the configured
roles, logged), the CSV export (logged with filters and row count), the inbox list,
the triage queue and the complaint page (masked by default; "tampilkan teks asli"
for allowed roles, logged) must never give it out unmasked otherwise. Confidential
complaints never leave through Open311; marking and unmarking is logged.
"""

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inbox.app import create_app
from models.accounts import issue_api_token
from models.agencies import sync_agencies
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import AccessLogEntry, Complaint, Mention
from models.vocab import AccessAction
from router.route import route_pending
from tests.support.factories import agencies, mention
from tests.support.personal import EMAIL, HOSTILE_TEXT, NIK, PHONE, leaks
from tests.support.routing import POLICY, KeywordClassifier
from tests.support.web import AUTH, csrf_token, quick_client

#: the display name carries a phone number too
NAME = f"Kadek {PHONE}"


@dataclass
class Site:
    """The app, the complaint ids, and signed-in clients and tokens per user."""

    engine: Engine
    hostile: int  # the LPJU complaint carrying personal data
    secret: int  # a confidential LPJU complaint
    browsers: dict[str, TestClient]
    tokens: dict[str, str]
    csrf: dict[str, str]

    def api(self, who: str, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.browsers[who].get(path, headers=headers, params=params)


def _site(engine: Engine, roles: tuple[str, ...] | None = None) -> Site:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[
                mention(1, text=HOSTILE_TEXT, author_name=NAME),
                mention(2, text="lampu mati depan rumah pejabat korupsi, hp 081234567890"),
                mention(3, text=f"bingung mau lapor, NIK saya {NIK}"),
            ],
        )
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with session_scope(engine) as s:
        by_text = {m.platform_id: m.id or 0 for m in s.exec(select(Mention))}
        complaints = {c.origin_mention_id: c for c in s.exec(select(Complaint))}
        hostile, secret = complaints[by_text["1001"]], complaints[by_text["1002"]]
        secret.confidential = True
        s.add(secret)
        assert hostile.id is not None and secret.id is not None
        ids = (hostile.id, secret.id)
    users = {"operator": None, "lpju": "LPJU", "viewer": None, "admin": None}
    browsers, tokens, csrf = {}, {}, {}
    app = create_app(engine, auth_config=AUTH, policy=POLICY, original_text_roles=roles)
    for name, agency in users.items():
        role = "agency" if agency else name
        browsers[name], csrf[name] = quick_client(engine, app, name, role, agency)
        with session_scope(engine) as s:
            tokens[name], _ = issue_api_token(session=s, username=name, name="t")
    return Site(engine, ids[0], ids[1], browsers, tokens, csrf)


def _log(engine: Engine, action: str) -> list[AccessLogEntry]:
    with Session(engine) as s:
        stmt = select(AccessLogEntry).where(AccessLogEntry.action == action)
        return list(s.exec(stmt.order_by(col(AccessLogEntry.id))))


def test_open311_gives_out_no_personal_data_and_no_confidential_complaint(
    engine: Engine,
) -> None:
    site = _site(engine)
    listed = site.api("operator", "/open311/v2/requests.json")
    assert listed.status_code == 200
    assert leaks(listed.text) == [] and "warga1" not in listed.text and "Kadek" not in listed.text
    ids = [int(r["service_request_id"]) for r in listed.json()]
    assert site.hostile in ids and site.secret not in ids
    [one] = site.api("operator", f"/open311/v2/requests/{site.hostile}.json").json()
    assert "[NIK]" in one["description"] and "Jl. Teuku Umar No. [nomor]" in one["description"]
    assert leaks(str(one)) == []
    for who in ("operator", "admin", "lpju"):
        hidden = site.api(who, f"/open311/v2/requests/{site.secret}.json")
        assert hidden.status_code == 404, who
    # Unmarked, it is an ordinary complaint again.
    token = site.csrf["operator"]
    done = site.browsers["operator"].post(
        f"/complaints/{site.secret}/rahasia", data={"csrf_token": token, "confidential": "0"}
    )
    assert done.status_code == 303 and done.headers["location"].endswith("ok=bukan_rahasia")
    assert site.api("operator", f"/open311/v2/requests/{site.secret}.json").status_code == 200


def test_the_api_masks_unless_an_allowed_role_asks_and_that_is_logged(engine: Engine) -> None:
    site = _site(engine)
    for who in ("operator", "lpju"):
        detail = site.api(who, f"/api/v1/complaints/{site.hostile}")
        assert detail.status_code == 200
        assert leaks(detail.text) == [] and NAME not in detail.text
        listed = site.api(who, "/api/v1/complaints", inbox="LPJU")
        assert leaks(listed.text) == [] and "[telepon]" in listed.text
    assert _log(engine, AccessAction.API_ORIGINAL) == []
    # The agency role is not configured to read original text: 403, nothing logged.
    refused = site.api("lpju", f"/api/v1/complaints/{site.hostile}", original="true")
    assert refused.status_code == 403 and _log(engine, AccessAction.API_ORIGINAL) == []
    raw = site.api("operator", f"/api/v1/complaints/{site.hostile}", original="true")
    assert raw.status_code == 200
    [m] = raw.json()["mentions"]
    assert m["text"] == HOSTILE_TEXT and m["author_name"] == NAME
    listed = site.api("operator", "/api/v1/complaints", inbox="LPJU", original="true")
    assert HOSTILE_TEXT in [item["text"] for item in listed.json()["items"]]
    one, many = _log(engine, AccessAction.API_ORIGINAL)
    assert (one.actor, one.target, one.details) == (
        "operator",
        f"complaint:{site.hostile}",
        {"complaints": [site.hostile]},
    )
    assert many.target == "complaints" and site.hostile in many.details["complaints"]


def test_roles_allowed_to_read_original_text_come_from_the_config(engine: Engine) -> None:
    site = _site(engine, roles=("admin", "agency"))
    assert site.api("lpju", f"/api/v1/complaints/{site.hostile}", original="1").status_code == 200
    refused = site.api("operator", f"/api/v1/complaints/{site.hostile}", original="1")
    assert refused.status_code == 403
    assert [e.actor for e in _log(engine, AccessAction.API_ORIGINAL)] == ["lpju"]


def test_the_csv_export_is_masked_and_logged(engine: Engine) -> None:
    site = _site(engine)
    for who in ("operator", "lpju"):
        response = site.browsers[who].get("/inbox/LPJU/export.csv?status=baru&q=lampu")
        assert response.status_code == 200
        assert leaks(response.text) == [] and NAME not in response.text
        assert "Jl. Teuku Umar No. [nomor]" in response.text
    first, second = _log(engine, AccessAction.EXPORT_CSV)
    assert first.actor == "operator" and second.actor == "lpju"
    assert first.target == "inbox:LPJU"
    assert first.details == {
        "filters": {"inbox": "LPJU", "status": "baru", "q": "lampu", "sort": "newest"},
        "rows": 2,
        "complete": True,
    }
    # A search for a NIK is recorded as a search, not as the number.
    site.browsers["operator"].get("/inbox/LPJU/export.csv", params={"q": NIK})
    last = _log(engine, AccessAction.EXPORT_CSV)[-1]
    assert last.details["filters"]["q"] == "[NIK]" and last.details["rows"] == 1


def test_pages_mask_by_default_and_the_original_view_is_logged(engine: Engine) -> None:
    site = _site(engine)
    operator, agency = site.browsers["operator"], site.browsers["lpju"]
    for page in (f"/complaints/{site.hostile}", "/inbox/LPJU", "/triage"):
        html = operator.get(page).text
        assert leaks(html) == [] and NAME not in html, page
    page = agency.get(f"/complaints/{site.hostile}").text
    assert leaks(page) == [] and "Tampilkan teks asli" not in page
    assert "Tampilkan teks asli" in operator.get(f"/complaints/{site.hostile}").text
    # The agency role may not: 403, and nothing is logged.
    token = site.csrf["lpju"]
    refused = agency.post(f"/complaints/{site.hostile}/teks-asli", data={"csrf_token": token})
    assert refused.status_code == 403 and _log(engine, AccessAction.VIEW_ORIGINAL) == []
    # Without the form's CSRF token nothing is shown or logged either.
    forged = operator.post(f"/complaints/{site.hostile}/teks-asli", data={})
    assert forged.status_code == 403 and _log(engine, AccessAction.VIEW_ORIGINAL) == []
    assert csrf_token(operator, f"/complaints/{site.hostile}") == site.csrf["operator"]
    token = site.csrf["operator"]
    shown = operator.post(f"/complaints/{site.hostile}/teks-asli", data={"csrf_token": token})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert NIK in shown.text and EMAIL in shown.text and "tercatat di log akses" in shown.text
    [entry] = _log(engine, AccessAction.VIEW_ORIGINAL)
    assert (entry.actor, entry.target, entry.details["inbox"]) == (
        "operator",
        f"complaint:{site.hostile}",
        "LPJU",
    )
    # The next ordinary visit is masked again.
    assert leaks(operator.get(f"/complaints/{site.hostile}").text) == []


def test_marking_confidential_is_for_kominfo_staff_and_logged(engine: Engine) -> None:
    site = _site(engine)
    operator, agency = site.browsers["operator"], site.browsers["lpju"]
    token = site.csrf["lpju"]
    refused = agency.post(
        f"/complaints/{site.hostile}/rahasia", data={"csrf_token": token, "confidential": "1"}
    )
    assert refused.status_code == 403
    token = site.csrf["operator"]
    for value in ("1", "1", "0"):  # marking twice records once
        done = operator.post(
            f"/complaints/{site.hostile}/rahasia", data={"csrf_token": token, "confidential": value}
        )
        assert done.status_code == 303
    entries = [
        (e.action, e.actor, e.target)
        for e in _log(engine, AccessAction.CONFIDENTIAL)
        + _log(engine, AccessAction.NOT_CONFIDENTIAL)
    ]
    target = f"complaint:{site.hostile}"
    assert entries == [
        (AccessAction.CONFIDENTIAL, "operator", target),
        (AccessAction.NOT_CONFIDENTIAL, "operator", target),
    ]
    bad = operator.post(
        f"/complaints/{site.hostile}/rahasia", data={"csrf_token": token, "confidential": "ya"}
    )
    assert bad.status_code == 400
    # The assigned inbox still sees the confidential complaint; the badge says what it is.
    page = agency.get(f"/complaints/{site.secret}")
    assert page.status_code == 200 and 'id="confidential"' in page.text
