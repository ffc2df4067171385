"""Every route of the web app against every role, on both stores.

Confidential complaints have their own rows: one in the agency user's inbox and one in
another inbox. Its own inbox, operators and admins see it; viewers never; Open311
never gives it to anyone (404 as if it did not exist).

The table below says, independently of ``inbox.auth``, who may use each route and
what everyone else gets: a sign-in redirect (pages) or 401 (APIs) when anonymous, 403
when the role lacks the right, 404 when an agency user reaches for another inbox's
complaint (the same answer as for an id that does not exist, so ids cannot be probed).
A meta-test fails when the app has a route this table does not cover.

Requests that must be refused all run first; the store is then compared with a
snapshot, so a refused request that changed anything fails too. Allowed requests
run after that: they only have to get past access control (any answer but 401, 403
or 404, and never a 5xx).
"""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from inbox.app import ROUTERS, create_app
from inbox.sessions import Authenticator
from lifecycle.status import bukan_wewenang
from models.accounts import create_user, issue_api_token
from models.agencies import sync_agencies
from models.confidential import set_confidential
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import (
    AccessLogEntry,
    Complaint,
    ComplaintAssignment,
    ComplaintMention,
    ComplaintNote,
    Correction,
    Mention,
    Outbox,
    SavedView,
    StatusChange,
    User,
)
from models.vocab import ROLES, OutboxStatus
from router.route import route_pending
from tests.support.factories import agencies, mention
from tests.support.numbers import number
from tests.support.routing import POLICY, KeywordClassifier
from tests.support.web import AUTH

#: everyone who may knock: nobody signed in, then each role
VISITORS = ("anonymous", *ROLES)
#: the answer to an anonymous page request: a redirect to the sign-in page
LOGIN = "login"
#: allowed: past access control (not 401/403/404, not 5xx)
OK = "ok"
#: an id nobody has: guessing must look the same as reaching into another inbox
MISSING = 987_654
#: the posts of the two confidential complaints (a neighbour; corruption)
TEXT_5 = "tetangga saya di Jl. Kenyeri No. 12 berbuat kasar, air mati"
TEXT_6 = "lampu mati depan rumah pejabat yang korupsi, hp 081234567890"


@dataclass(frozen=True)
class Case:
    """One request and the answer each role must get."""

    method: str
    path: str
    expect: dict[str, str | int]
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None

    @property
    def api(self) -> bool:
        return self.path.startswith(("/api/", "/open311/"))


def page(staff: str | int, agency: str | int, viewer: str | int) -> dict[str, str | int]:
    """Expectations of a page: admin and operator get *staff*."""
    return {
        "anonymous": LOGIN,
        "admin": staff,
        "operator": staff,
        "agency": agency,
        "viewer": viewer,
    }


#: a page only the admin may use
ADMIN_ONLY: dict[str, str | int] = {
    "anonymous": LOGIN,
    "admin": OK,
    "operator": 403,
    "agency": 403,
    "viewer": 403,
}


def api(staff: str | int, agency: str | int, viewer: str | int) -> dict[str, str | int]:
    """Expectations of an API route: no token is 401."""
    return {"anonymous": 401, "admin": staff, "operator": staff, "agency": agency, "viewer": viewer}


@dataclass(frozen=True)
class World:
    """The ids the cases point at."""

    pdam: int  # a complaint in the agency user's own inbox (PDAM)
    lpju: int  # a complaint in another agency's inbox
    bounced: int  # a complaint refused as bukan wewenang, waiting in triage
    mention: int  # a mention waiting in triage
    dead: int  # a dead-lettered notification
    token: int  # an API token of the account below
    secret_pdam: int  # a confidential complaint in the agency user's own inbox
    secret_lpju: int  # a confidential complaint in another inbox
    view: int  # a saved view of the account below (shared: still nobody else's to delete)
    user: str = "sasaran"  # an account the admin's pages act on
    author: str = "twitter:warga2"  # a citizen whose data the privacy pages export, erase


def cases(w: World) -> list[Case]:
    """Every route with its expected answer per role."""
    status = {"to_status": "respon_awal", "note": "dicek"}
    refuse = {"reason": "bukan kami", "suggested_category": "PUPR"}
    note = {"text": "catatan internal"}
    out = [
        Case("GET", "/", page(OK, 303, OK)),  # agency users are sent to their inbox
        Case("GET", "/dashboard/charts/volume-category.svg", page(OK, 403, OK)),
        Case("GET", "/dashboard/charts/volume-inbox.svg", page(OK, 403, OK)),
        Case("GET", "/dashboard/charts/volume-platform.svg", page(OK, 403, OK)),
        Case("GET", "/dashboard/charts/status.svg", page(OK, 403, OK)),
        Case("GET", "/dashboard/charts/places.svg", page(OK, 403, OK)),
        Case("GET", "/dashboard/charts/response-times.svg?year=2026", page(OK, 403, OK)),
        Case("GET", "/dashboard/response-times.csv?year=2026", page(OK, 403, OK)),
        Case("POST", f"/deliveries/{w.dead}/retry", page(OK, 403, 403), form={}),
        Case("GET", "/complaints", page(OK, 303, 403)),  # agency users: their own inbox
        Case("GET", "/pengaduan-saya", page(OK, OK, 403)),
        Case("GET", "/tampilan", page(OK, OK, 403)),
        Case("GET", "/beban-kerja", page(OK, OK, 403)),
        Case("GET", "/beban-kerja?inbox=PDAM", page(OK, OK, 403)),
        # An agency user always gets their own inbox's page, whatever they ask for.
        Case("GET", "/beban-kerja?inbox=LPJU", page(OK, OK, 403)),
        Case("GET", "/beban-kerja?inbox=NOPE", page(404, OK, 403)),
        # The response times per petugas: named people's figures, never for viewers.
        Case("GET", "/laporan/petugas", page(OK, OK, 403)),
        Case("GET", "/laporan/petugas?inbox=LPJU&tahun=2026", page(OK, OK, 403)),
        Case("GET", "/laporan/petugas?inbox=NOPE", page(404, OK, 403)),
        Case("POST", "/tampilan", page(OK, OK, 403), form={"nama": "pagi", "status": "baru"}),
        Case(
            "POST",
            "/tampilan",
            page(OK, 404, 403),
            form={"nama": "lampu", "kode_inbox": "LPJU"},
        ),
        Case("POST", f"/tampilan/{w.view}/hapus", page(404, 404, 403), form={}),
        Case("POST", f"/tampilan/{MISSING}/hapus", page(404, 404, 403), form={}),
        # Bulk: another inbox's complaint in the selection refuses the whole request.
        Case(
            "POST",
            "/complaints/massal",
            page(OK, OK, 403),
            form={"tindakan": "catatan", "note": "cek massal", "id": str(w.pdam)},
        ),
        Case(
            "POST",
            "/complaints/massal",
            page(OK, 409, 403),
            form={"tindakan": "catatan", "note": "cek massal", "id": str(w.lpju)},
        ),
        Case(
            "POST",
            "/api/v1/complaints/bulk",
            api(OK, OK, 403),
            json={"ids": [w.pdam], "action": "catatan", "note": "cek massal"},
        ),
        Case(
            "POST",
            "/api/v1/complaints/bulk",
            api(OK, 409, 403),
            json={"ids": [w.lpju], "action": "catatan", "note": "cek massal"},
        ),
        # Bulk export: the ticked ones (another inbox's id refuses it all), or a list.
        Case("POST", "/complaints/massal/ekspor.csv", page(OK, OK, 403), form={"id": str(w.pdam)}),
        Case("POST", "/complaints/massal/ekspor.csv", page(OK, 409, 403), form={"id": str(w.lpju)}),
        Case(
            "POST",
            "/complaints/massal/ekspor.csv",
            page(OK, 404, 403),
            form={"cakupan": "hasil", "kembali": "/inbox/LPJU?status=baru"},
        ),
        Case(
            "POST",
            "/complaints/massal/ekspor.csv",
            page(OK, OK, 403),
            form={"cakupan": "hasil", "kembali": "/complaints?inbox=LPJU"},
        ),
        Case("GET", "/pengaduan-saya?semua=1", page(OK, OK, 403)),
        Case("GET", "/complaints?status=baru&inbox=LPJU", page(OK, 303, 403)),
        Case("GET", "/inbox/PDAM", page(OK, OK, 403)),
        Case("GET", "/inbox/LPJU", page(OK, 404, 403)),
        Case("GET", "/inbox/NOPE", page(404, 404, 403)),
        Case("GET", "/inbox/PDAM/export.csv", page(OK, OK, 403)),
        Case("GET", "/inbox/LPJU/export.csv", page(OK, 404, 403)),
        Case("GET", "/triage", page(OK, 403, 403)),
        Case(
            "POST",
            f"/triage/mentions/{w.mention}/assign",
            page(OK, 403, 403),
            form={"category": "PDAM"},
        ),
        Case(
            "POST",
            f"/triage/mentions/{w.mention}/merge",
            page(OK, 403, 403),
            form={"complaint_id": str(w.pdam)},
        ),
        Case(
            "POST",
            f"/triage/complaints/{w.bounced}/assign",
            page(OK, 403, 403),
            form={"category": "PDAM"},
        ),
        Case("GET", "/api/v1/complaints", api(OK, OK, 403)),
        Case("GET", "/api/v1/complaints?inbox=LPJU", api(OK, 404, 403)),
        Case("GET", "/api/v1/categories", api(OK, OK, OK)),
        Case("GET", "/api/v1/inboxes", api(OK, OK, OK)),
        Case("GET", "/api/v1/reports/response-times?year=2026", api(OK, OK, OK)),
        Case("GET", "/open311/v2/services.json", api(OK, OK, OK)),
        Case("GET", "/open311/v2/requests.json", api(OK, OK, 403)),
        # Unknown Open311 paths answer GeoReport's 404 to everyone: there is nothing there.
        Case("GET", "/open311/v2/discovery.xml", {r: 404 for r in VISITORS}),
        Case("GET", "/admin/users", ADMIN_ONLY),
        Case(
            "POST",
            "/admin/users",
            ADMIN_ONLY,
            form={"username": "baru", "display_name": "Baru", "role": "viewer", "agency": ""},
        ),
        Case("POST", f"/admin/users/{w.user}/disable", ADMIN_ONLY, form={}),
        Case("POST", f"/admin/users/{w.user}/enable", ADMIN_ONLY, form={}),
        Case("POST", f"/admin/users/{w.user}/reset-password", ADMIN_ONLY, form={}),
        Case("POST", f"/admin/users/{w.user}/tokens", ADMIN_ONLY, form={"name": "sinkron"}),
        Case("POST", f"/admin/users/{w.user}/email", ADMIN_ONLY, form={"email": "a@b.example"}),
        Case("POST", f"/admin/tokens/{w.token}/revoke", ADMIN_ONLY, form={}),
        Case("GET", "/admin/config", ADMIN_ONLY),
        Case("GET", f"/admin/privacy?author={w.author}", ADMIN_ONLY),
        Case("POST", "/admin/privacy/export", ADMIN_ONLY, form={"author": w.author}),
        Case("GET", "/admin/access-log", ADMIN_ONLY),
        Case("GET", "/admin/access-log?action=complaint.view_original", ADMIN_ONLY),
        Case("GET", "/admin/access-log.csv", ADMIN_ONLY),
        # The reply queue: the Kominfo team (admins, operators).
        Case("GET", "/balasan", page(OK, 403, 403)),
        # (no such reply, no switched-off channel: 404 past access control)
        Case("POST", f"/balasan/{MISSING}/setujui", page(404, 403, 403), form={"text": ""}),
        Case("POST", f"/balasan/{MISSING}/buang", page(404, 403, 403), form={}),
        Case("POST", f"/balasan/akun/{w.user}/aktifkan", page(404, 403, 403), form={}),
        # The public tracking page: no sign-in, for anyone with a number.
        Case("GET", "/lacak", {r: OK for r in VISITORS}),
        Case("GET", "/lacak?nomor=dps-26-1", {r: OK for r in VISITORS}),
        Case("GET", f"/lacak/{number(1)}", {r: OK for r in VISITORS}),
    ]
    # Confidential complaints: seen by their own inbox and Kominfo staff, never by
    # viewers, and never given out through Open311.
    for cid, agency in ((w.secret_pdam, OK), (w.secret_lpju, 404)):
        out += [
            Case("GET", f"/complaints/{cid}", page(OK, agency, 403)),
            Case("GET", f"/api/v1/complaints/{cid}", api(OK, agency, 403)),
            Case("GET", f"/open311/v2/requests/{cid}.json", api(404, 404, 403)),
            Case(
                "POST",
                f"/complaints/{cid}/teks-asli",
                page(OK, 403 if agency == OK else 404, 403),
                form={},
            ),
        ]
    # The complaint routes: own inbox, another inbox, and an id that does not exist.
    for cid, agency in ((w.pdam, OK), (w.lpju, 404), (MISSING, 404)):
        staff: str | int = 404 if cid == MISSING else OK
        out += [
            Case("GET", f"/complaints/{cid}", page(staff, agency, 403)),
            Case("POST", f"/complaints/{cid}/status", page(staff, agency, 403), form=status),
            Case("POST", f"/complaints/{cid}/notes", page(staff, agency, 403), form=note),
            # The PDAM agency user is the petugas offered for a PDAM complaint.
            Case(
                "POST",
                f"/complaints/{cid}/petugas",
                page(staff, agency, 403),
                form={"assignee": "agency"},
            ),
            Case(
                "POST",
                f"/api/v1/complaints/{cid}/assignee",
                api(staff, agency, 403),
                json={"assignee": "agency"},
            ),
            Case("GET", f"/api/v1/complaints/{cid}", api(staff, agency, 403)),
            Case(
                "POST",
                f"/api/v1/complaints/{cid}/status",
                api(staff, agency, 403),
                json={"status": "respon_awal", "note": "dicek"},
            ),
            Case("POST", f"/api/v1/complaints/{cid}/notes", api(staff, agency, 403), json=note),
            Case("GET", f"/open311/v2/requests/{cid}.json", api(staff, agency, 403)),
            # The original text: the configured roles (admin, operator by default) only.
            Case(
                "POST",
                f"/complaints/{cid}/teks-asli",
                page(staff, 403 if agency == OK else agency, 403),
                form={},
            ),
            Case(
                "POST",
                f"/complaints/{cid}/rahasia",
                page(staff, 403, 403),
                form={"confidential": "1"},
            ),
            Case(
                "GET",
                f"/api/v1/complaints/{cid}?original=true",
                api(staff, 403 if agency == OK else agency, 403),
            ),
        ]
    # Erasing a citizen's data changes what later rows read: near the end.
    out.append(
        Case(
            "POST",
            "/admin/privacy/erase",
            ADMIN_ONLY,
            form={"author": w.author, "konfirmasi": "HAPUS"},
        )
    )
    # Last: refusing a complaint moves it out of the agency's inbox.
    for cid, agency in ((w.pdam, OK), (w.lpju, 404), (MISSING, 404)):
        staff = 404 if cid == MISSING else OK
        out.append(
            Case("POST", f"/complaints/{cid}/bukan-wewenang", page(staff, agency, 403), form=refuse)
        )
    return out


#: routes that are not about complaints and are open to everyone, or are the sign-in
OPEN_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/api/docs"),
    ("GET", "/api/docs/oauth2-redirect"),
    ("GET", "/api/openapi.json"),
}


def _template(path: str, w: World) -> str:
    """A concrete path back to the app's route template, to compare coverage."""
    path = re.sub(r"^/inbox/[A-Z]+", "/inbox/{code}", path.split("?")[0])
    for value, name in (
        (w.pdam, "id"),
        (w.lpju, "id"),
        (MISSING, "id"),
        (w.bounced, "id"),
        (w.mention, "id"),
        (w.dead, "id"),
        (w.token, "id"),
        (w.secret_pdam, "id"),
        (w.secret_lpju, "id"),
        (w.user, "id"),
        (w.view, "id"),
    ):
        path = re.sub(rf"/{value}(?=/|\.json|$)", "/{" + name + "}", path)
    return path


def _normalise(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", template)


def fill(engine: Engine) -> World:
    """Complaints in two inboxes, a bounced one, a triage mention and a dead notification."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[
                mention(1, text="air mati di panjer"),
                mention(2, text="lampu jalan mati di renon"),
                mention(3, text="air keruh di ubung"),
                mention(4, text="bingung ini lapor ke mana"),
                mention(5, text=TEXT_5),
                mention(6, text=TEXT_6),
            ],
        )
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with Session(engine) as s:
        by_text = {m.text: m.id for m in s.exec(select(Mention)) if m.id is not None}
        complaint_of = {
            c.origin_mention_id: c.id for c in s.exec(select(Complaint)) if c.id is not None
        }
    bounced = complaint_of[by_text["air keruh di ubung"]]
    bukan_wewenang(
        engine=engine,
        policy=POLICY,
        complaint_id=bounced,
        actor="pdam",
        reason="pipa milik provinsi",
        suggested_category="PUPR",
    )
    with session_scope(engine) as s:
        dead = Outbox(
            complaint_id=bounced,
            agency_code="PDAM",
            channel="email",
            payload={"event": "complaint.filed"},
            status=OutboxStatus.DEAD,
            attempts=8,
            last_error="550 mailbox unavailable",
        )
        s.add(dead)
        s.flush()
        assert dead.id is not None
        dead_id = dead.id
        target = create_user(session=s, username="sasaran", role="viewer", password_hash="-")
        _, token = issue_api_token(session=s, username="sasaran", name="sasaran")
        view = SavedView(name="milik sasaran", owner_id=target.id or 0, shared=True)
        s.add(view)
        s.flush()
        assert view.id is not None
        assert token.id is not None
        secret_pdam = complaint_of[by_text[TEXT_5]]
        secret_lpju = complaint_of[by_text[TEXT_6]]
        for cid in (secret_pdam, secret_lpju):
            set_confidential(session=s, complaint_id=cid, confidential=True, actor="operator")
    return World(
        pdam=complaint_of[by_text["air mati di panjer"]],
        lpju=complaint_of[by_text["lampu jalan mati di renon"]],
        bounced=bounced,
        mention=by_text["bingung ini lapor ke mana"],
        dead=dead_id,
        token=token.id,
        secret_pdam=secret_pdam,
        secret_lpju=secret_lpju,
        view=view.id,
    )


@dataclass
class Caller:
    """A role's client: a signed-in browser (cookie + CSRF token) and an API token."""

    client: TestClient
    csrf: str = ""
    token: str = ""

    def send(self, case: Case) -> Any:
        headers = {"accept": "text/html"}
        if case.api and self.token:
            headers = {"Authorization": f"Bearer {self.token}"}
        if case.method == "GET":
            return self.client.get(case.path, headers=headers)
        if case.json is not None:
            return self.client.post(case.path, json=case.json, headers=headers)
        form = {**(case.form or {}), "csrf_token": self.csrf}
        return self.client.post(case.path, data=form, headers=headers)


def callers(engine: Engine) -> dict[str, Caller]:
    """One caller per role; users made without password hashing (sign-in is tested apart)."""
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    out = {"anonymous": Caller(TestClient(app, follow_redirects=False))}
    auth = Authenticator(engine, AUTH)
    for role in VISITORS[1:]:
        with session_scope(engine) as s:
            agency = "PDAM" if role == "agency" else None
            create_user(session=s, username=role, role=role, password_hash="-", agency_code=agency)
            token, _ = issue_api_token(session=s, username=role, name="access")
        with Session(engine) as s:
            user = s.exec(select(User).where(User.username == role)).one()
        started = auth.start_session(user)
        client = TestClient(app, follow_redirects=False)
        client.cookies.set(AUTH.session_cookie, started.cookie)
        out[role] = Caller(client, started.csrf_token, token)
    return out


def snapshot(engine: Engine) -> dict[str, Any]:
    """What a refused request must not change."""
    with Session(engine) as s:
        counts = {
            t.__name__: s.exec(select(func.count()).select_from(t)).one()
            for t in (
                Complaint,
                ComplaintAssignment,
                ComplaintMention,
                ComplaintNote,
                Correction,
                StatusChange,
                Outbox,
                AccessLogEntry,
                SavedView,
            )
        }
        complaints = sorted(
            (c.id, c.status, c.inbox, c.category, c.confidential, c.assignee_id)
            for c in s.exec(select(Complaint))
        )
        mentions = sorted((m.id, m.state, m.text, m.author_handle) for m in s.exec(select(Mention)))
        outbox = sorted((o.id, o.status) for o in s.exec(select(Outbox)))
    return {"counts": counts, "complaints": complaints, "mentions": mentions, "outbox": outbox}


def _verdict(case: Case, expected: str | int, response: Any) -> str | None:
    """None if *response* is what *expected* says, else what went wrong."""
    got = response.status_code
    if got >= 500:
        return f"server error {got}"
    if expected == LOGIN:
        location = response.headers.get("location", "")
        return None if got == 303 and location.startswith("/login") else f"{got} {location!r}"
    if expected == OK:
        return None if got not in (401, 403, 404) else f"refused with {got}"
    if expected == 303:
        return None if got == 303 and response.headers["location"] == "/inbox/PDAM" else str(got)
    return None if got == expected else f"expected {expected}, got {got}"


def test_refused_requests_are_refused_and_change_nothing(engine: Engine) -> None:
    w = fill(engine)
    who = callers(engine)
    before = snapshot(engine)
    wrong = []
    for case in cases(w):
        for role in VISITORS:
            expected = case.expect[role]
            if expected == OK or (expected == 303 and case.method == "GET"):
                continue
            problem = _verdict(case, expected, who[role].send(case))
            if problem:
                wrong.append(f"{role:9s} {case.method} {case.path}: {problem}")
    assert wrong == []
    assert snapshot(engine) == before


@pytest.mark.parametrize("role", VISITORS[1:])
def test_allowed_requests_get_past_access_control(engine: Engine, role: str) -> None:
    # A fresh store per role: one role's changes (a refusal, a retry) must not decide
    # what the next role is answered.
    w = fill(engine)
    caller = callers(engine)[role]
    wrong = []
    for case in cases(w):
        expected = case.expect[role]
        if expected not in (OK, 303):
            continue
        problem = _verdict(case, expected, caller.send(case))
        if problem:
            wrong.append(f"{role:9s} {case.method} {case.path}: {problem}")
    assert wrong == [], "\n".join(wrong)


def test_an_agency_list_never_holds_another_inbox(engine: Engine) -> None:
    w = fill(engine)
    agency = callers(engine)["agency"]
    page_text = agency.client.get("/inbox/PDAM").text
    assert f"/complaints/{w.pdam}" in page_text and f"/complaints/{w.lpju}" not in page_text
    csv_text = agency.client.get("/inbox/PDAM/export.csv").text
    assert "lampu jalan mati" not in csv_text and "air mati di panjer" in csv_text
    bearer = {"Authorization": f"Bearer {agency.token}"}
    listed = agency.client.get("/api/v1/complaints", headers=bearer).json()
    assert {item["inbox"] for item in listed["items"]} == {"PDAM"}
    requests = agency.client.get("/open311/v2/requests.json", headers=bearer).json()
    assert w.lpju not in {int(r["service_request_id"]) for r in requests}
    assert w.pdam in {int(r["service_request_id"]) for r in requests}


def test_every_route_of_the_app_is_in_the_table() -> None:
    w = World(
        pdam=11,
        lpju=12,
        bounced=13,
        mention=14,
        dead=15,
        token=16,
        secret_pdam=17,
        secret_lpju=18,
        view=19,
    )
    covered = {(c.method, _normalise(_template(c.path, w))) for c in cases(w)}
    routes = {
        (method, _normalise(route.path))
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert len(routes) >= 25  # the walk found the routes (a vacuous check would pass)
    # Route templates with a parameter inside a segment (volume-{by}.svg, the Open311
    # catch-all) are covered by their concrete paths.
    concrete = {
        ("GET", "/dashboard/charts/volume-{id}.svg"): "/dashboard/charts/volume-category.svg",
        ("GET", "/open311/v2/{id}"): "/open311/v2/discovery.xml",
        ("GET", "/lacak/{id}"): f"/lacak/{number(1)}",
    }
    missing = sorted(
        r for r in routes - covered if not (r in concrete and ("GET", concrete[r]) in covered)
    )
    assert missing == [], f"routes without access expectations: {missing}"


def test_the_open_routes_are_only_sign_in_and_operations() -> None:
    app = create_app(create_engine("sqlite://"), auth_config=AUTH, policy=POLICY)
    paths = {path for _, path in OPEN_ROUTES}
    in_schema = set(app.openapi()["paths"])
    # Nothing open is part of the documented API; the documented API is all in ROUTERS.
    assert not paths & in_schema
    documented = {
        route.path
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
    }
    assert in_schema <= documented


#: ids no row can have: zero, negative, past 64 bits, and far past anything
BAD_IDS = ("0", "-1", str(2**31), str(2**63), "1" * 30)


def _with_bad_ids(case: Case, w: World) -> list[Case]:
    """*case* with each of its numeric ids (path segment or form field) made impossible."""
    ids = {str(v) for v in (w.pdam, w.lpju, w.bounced, w.mention, w.dead, w.token, w.view, MISSING)}
    out = []
    for bad in BAD_IDS:
        path = case.path
        for value in ids:
            path = re.sub(rf"/{value}(?=/|\.json|$)", f"/{bad}", path)
        if path != case.path:
            out.append(Case(case.method, path, case.expect, case.form, case.json))
        if case.form and case.form.get("complaint_id") in ids:
            out.append(
                Case(case.method, case.path, case.expect, {**case.form, "complaint_id": bad})
            )
    return out


def test_impossible_ids_are_refused_with_a_message_on_every_route(engine: Engine) -> None:
    w = fill(engine)
    who = callers(engine)
    before = snapshot(engine)
    swept, wrong = 0, []
    for case in cases(w):
        for bad in _with_bad_ids(case, w):
            # The admin may use every route, so access control answers nothing first.
            response = who["admin"].send(bad)
            swept += 1
            got = response.status_code
            body = response.text
            if got not in (404, 422):
                wrong.append(f"{bad.method} {bad.path} {bad.form or ''}: {got}")
            elif bad.api and not body.strip().startswith(("{", "[")):
                wrong.append(f"{bad.method} {bad.path}: an API answered without JSON")
            elif not bad.api and ("<html" not in body or 'role="alert"' not in body):
                wrong.append(f"{bad.method} {bad.path} {bad.form or ''}: no error page")
    assert swept >= 60, swept  # every route with an id, each impossible id
    assert wrong == [], "\n".join(wrong)
    assert snapshot(engine) == before


#: what every answer must carry (the CSP's directives are checked one by one below)
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
#: markup the CSP would refuse: inline script, inline style, event-handler attributes
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)


def _security_problems(response: Any) -> list[str]:
    problems = [
        f"{name}: {response.headers.get(name)!r}"
        for name, value in SECURITY_HEADERS.items()
        if response.headers.get(name) != value
    ]
    csp = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"CSP without frame-ancestors 'none': {csp!r}")
    if response.headers.get("content-type", "").startswith("text/html"):
        for name in ("script-src", "style-src"):
            if directives.get(name, directives.get("default-src")) != ["'self'"]:
                problems.append(f"CSP {name} is not 'self' alone: {csp!r}")
        if found := INLINE.search(response.text):
            problems.append(f"inline script or style in the page: {found.group(0)!r}")
    return problems


def test_every_answer_has_the_security_headers_and_pages_no_inline_code(engine: Engine) -> None:
    w = fill(engine)
    who = callers(engine)
    extra = [Case("GET", "/login", {}), Case("GET", "/nirgends", {}), Case("GET", "/healthz", {})]
    wrong, pages = [], 0
    for role in ("anonymous", "admin", "agency"):
        for case in [*cases(w), *extra]:
            response = who[role].send(case)
            pages += response.headers.get("content-type", "").startswith("text/html")
            wrong += [
                f"{role} {case.method} {case.path}: {p}" for p in _security_problems(response)
            ]
    assert pages >= 40  # the pages themselves were checked, not only redirects
    assert wrong == [], "\n".join(wrong)
