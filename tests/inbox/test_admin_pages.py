"""The admin's pages: accounts, API tokens and the configuration view, on both stores.

Users are made without password hashing and signed in by starting a session directly
(sign-in itself is tested in test_auth.py); only the actions that make a password hash
one, so the module stays fast.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from aduan.config_view import redacted_config
from inbox.app import create_app
from inbox.sessions import Authenticator
from models.accounts import create_user, issue_api_token
from models.agencies import sync_agencies
from models.credentials import verify_password
from models.db import session_scope
from models.tables import AccessLogEntry, ApiToken, User, WebSession
from tests.support.config import SECRETS, URL_SECRETS, settings_with_secrets
from tests.support.factories import agencies
from tests.support.web import AUTH, SCRIPT

SHOWN = re.compile(r'<code class="secret">([^<]+)</code>')
HTML = {"accept": "text/html"}
#: the signed-in users: username -> (role, agency)
PEOPLE = {
    "kominfo": ("admin", None),
    "ops": ("operator", None),
    "pdam": ("agency", "PDAM"),
    "lihat": ("viewer", None),
}


@dataclass
class Browser:
    """A signed-in browser and its session's CSRF token."""

    client: TestClient
    csrf: str

    def post(
        self,
        path: str,
        fields: Mapping[str, str] | None = None,
        /,
        *,
        csrf: bool = True,
        **data: str,
    ) -> Any:
        """Send a form (*fields* and *data*), with this session's CSRF token unless told not to."""
        form = {**(fields or {}), **data}
        if csrf:
            form["csrf_token"] = self.csrf
        return self.client.post(path, data=form, headers=HTML)

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=HTML)


def browsers(engine: Engine, config_view: Mapping[str, Any] | None = None) -> dict[str, Browser]:
    """One signed-in browser per person in PEOPLE, over the same app."""
    app = create_app(engine, auth_config=AUTH, config_view=config_view)
    auth = Authenticator(engine, AUTH)
    out = {}
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        for name, (role, agency) in PEOPLE.items():
            create_user(
                session=s,
                username=name,
                role=role,
                password_hash="-",
                agency_code=agency,
                display_name=name.title(),
            )
    for name in PEOPLE:
        with Session(engine) as s:
            user = s.exec(select(User).where(User.username == name)).one()
        started = auth.start_session(user)
        client = TestClient(app, follow_redirects=False)
        client.cookies.set(AUTH.session_cookie, started.cookie)
        out[name] = Browser(client, started.csrf_token)
    return out


def state(engine: Engine) -> dict[str, Any]:
    """Everything an admin action could change."""
    with Session(engine) as s:
        users = sorted(
            (u.username, u.role, u.agency_code, u.active, u.password_hash, u.display_name, u.email)
            for u in s.exec(select(User))
        )
        tokens = sorted((t.id, t.user_id, t.revoked_at) for t in s.exec(select(ApiToken)))
        sessions = sorted((w.id_hash, w.revoked_at) for w in s.exec(select(WebSession)))
    return {"users": users, "tokens": tokens, "sessions": sessions}


def user(engine: Engine, name: str) -> User:
    with Session(engine) as s:
        return s.exec(select(User).where(User.username == name)).one()


def shown_once(response: Any) -> str:
    """The password or token a response shows, checking it is shown once and not cached."""
    assert response.headers["cache-control"] == "no-store"
    found = SHOWN.findall(response.text)
    assert len(found) == 1
    assert response.text.count(found[0]) == 1
    return str(found[0])


def signed_in(browser: Browser) -> bool:
    return browser.get("/inbox/PDAM").status_code != 303


# --- the list and creating users ----------------------------------------------------


def test_the_list_shows_every_user_with_times_in_wita_and_live_tokens(engine: Engine) -> None:
    who = browsers(engine)
    with session_scope(engine) as s:
        create_user(
            session=s, username="nakal", role="viewer", password_hash="-", display_name=SCRIPT
        )
        ops = s.exec(select(User).where(User.username == "ops")).one()
        ops.last_login_at = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
        s.add(ops)
        issue_api_token(session=s, username="ops", name="satu")
        _, revoked = issue_api_token(session=s, username="ops", name="dua")
        revoked.revoked_at = datetime(2026, 11, 21, tzinfo=UTC)
        s.add(revoked)
    page = who["kominfo"].get("/admin/users")
    assert page.status_code == 200
    row = page.text.split('id="user-ops"')[1].split("</tr>")[0]
    assert "Operator Kominfo" in row and "20-11-2026 09:30 WITA" in row
    assert '<td class="num">1</td>' in row  # the revoked token does not count
    pdam = page.text.split('id="user-pdam"')[1].split("</tr>")[0]
    assert "Instansi" in pdam and "PDAM" in pdam
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text
    assert 'href="/admin/users">Admin</a>' in page.text
    # The admin cannot disable themselves, so the list offers no button for it.
    own = page.text.split('id="user-kominfo"')[1].split("</tr>")[0]
    assert "/disable" not in own


def test_a_new_users_password_is_shown_once_and_only_its_hash_stored(engine: Engine) -> None:
    who = browsers(engine)
    admin = who["kominfo"]
    response = admin.post(
        "/admin/users", username="Siti", display_name=SCRIPT, role="agency", agency="PDAM"
    )
    assert response.status_code == 200
    password = shown_once(response)
    assert "Akun siti (Instansi) dibuat." in response.text
    assert SCRIPT not in response.text and "&lt;script&gt;" in response.text
    siti = user(engine, "siti")
    assert (siti.role, siti.agency_code, siti.display_name, siti.active) == (
        "agency",
        "PDAM",
        SCRIPT,
        True,
    )
    assert password not in siti.password_hash
    assert verify_password(password, siti.password_hash)[0] is True
    # Not retrievable afterwards: the list shows no password.
    again = admin.get("/admin/users")
    assert password not in again.text and SHOWN.search(again.text) is None
    assert "siti" in again.text


@pytest.mark.parametrize("role", ["ops", "pdam", "lihat"])
def test_pages_are_refused_to_everyone_but_the_admin(engine: Engine, role: str) -> None:
    who = browsers(engine)
    with session_scope(engine) as s:
        _, token = issue_api_token(session=s, username="lihat", name="sinkron")
    other = who[role]
    before = state(engine)
    for path in ("/admin/users", "/admin/config"):
        assert other.get(path).status_code == 403
    posts = [
        ("/admin/users", {"username": "baru", "role": "admin", "agency": ""}),
        ("/admin/users/kominfo/disable", {}),
        ("/admin/users/lihat/enable", {}),
        ("/admin/users/kominfo/reset-password", {}),
        ("/admin/users/kominfo/tokens", {"name": "curian"}),
        ("/admin/users/kominfo/email", {"email": "curian@example.org"}),
        (f"/admin/tokens/{token.id}/revoke", {}),
    ]
    for path, data in posts:
        response = other.post(path, data)
        assert response.status_code == 403, path
        assert SHOWN.search(response.text) is None
    assert state(engine) == before
    assert 'href="/admin/users"' not in other.get("/inbox/PDAM").text


def test_forms_without_the_csrf_token_change_nothing(engine: Engine) -> None:
    who = browsers(engine)
    admin = who["kominfo"]
    with session_scope(engine) as s:
        _, token = issue_api_token(session=s, username="ops", name="sinkron")
    before = state(engine)
    posts = [
        ("/admin/users", {"username": "baru", "role": "viewer", "agency": ""}),
        ("/admin/users/ops/disable", {}),
        ("/admin/users/ops/reset-password", {}),
        ("/admin/users/ops/tokens", {"name": "curian"}),
        ("/admin/users/ops/email", {"email": "curian@example.org"}),
        (f"/admin/tokens/{token.id}/revoke", {}),
    ]
    for path, data in posts:
        assert admin.post(path, csrf=False, **data).status_code == 403, path
        forged = admin.post(path, csrf=False, csrf_token="palsu", **data)
        assert forged.status_code == 403, path
    assert state(engine) == before


def test_a_refused_new_user_says_why_in_indonesian_and_changes_nothing(engine: Engine) -> None:
    admin = browsers(engine)["kominfo"]
    before = state(engine)
    refused = [
        ({"username": "OPS", "role": "viewer"}, "Nama pengguna ops sudah dipakai."),
        ({"username": "dinas", "role": "agency"}, "harus dipilihkan instansinya"),
        ({"username": "dinas", "role": "agency", "agency": "NOPE"}, "Instansi yang dipilih tidak"),
        ({"username": "dinas", "role": "operator", "agency": "PDAM"}, "kosongkan instansi"),
        ({"username": "dinas", "role": "raja"}, "Peran tidak dikenal"),
        ({"username": "x", "role": "viewer"}, "Nama pengguna harus 2-100 karakter"),
        ({"username": "dinas", "role": "viewer", "display_name": "A" * 201}, "paling banyak 200"),
        ({"username": "dinas", "role": "viewer", "email": "dinas@"}, "Alamat e-mail tidak sah"),
    ]
    for form, message in refused:
        response = admin.post("/admin/users", form)
        assert response.status_code == 400, form
        assert message in response.text, form
        assert SHOWN.search(response.text) is None
    # The form keeps what was typed, escaped.
    kept = admin.post("/admin/users", username="dinas", role="agency", display_name=SCRIPT)
    assert 'value="dinas"' in kept.text and SCRIPT not in kept.text
    assert state(engine) == before


# --- disabling, passwords and tokens ----------------------------------------------


def test_disable_and_enable(engine: Engine) -> None:
    who = browsers(engine)
    admin = who["kominfo"]
    assert signed_in(who["ops"])
    response = admin.post("/admin/users/ops/disable")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users?done=disabled&user=ops"
    assert user(engine, "ops").active is False
    assert not signed_in(who["ops"])  # the session ended at once
    confirmed = admin.get(response.headers["location"]).text
    assert "Akun ops dinonaktifkan" in confirmed and "token API-nya dicabut" in confirmed
    response = admin.post("/admin/users/OPS/enable")
    assert response.headers["location"] == "/admin/users?done=enabled&user=ops"
    assert user(engine, "ops").active is True
    assert not signed_in(who["ops"])  # old sessions stay ended
    # A forged confirmation in the query is not shown.
    assert "dinonaktifkan" not in admin.get("/admin/users?done=disabled&user=%3Cb%3E").text
    before = state(engine)
    myself = admin.post("/admin/users/kominfo/disable")
    assert myself.status_code == 400
    assert "tidak dapat menonaktifkan akun Anda sendiri" in myself.text
    missing = admin.post("/admin/users/siapa/disable")
    assert missing.status_code == 404 and "Pengguna siapa tidak ditemukan" in missing.text
    assert state(engine) == before and signed_in(admin)


def test_a_reset_password_is_shown_once_and_ends_the_users_sessions(engine: Engine) -> None:
    who = browsers(engine)
    admin = who["kominfo"]
    assert signed_in(who["ops"])
    response = admin.post("/admin/users/ops/reset-password")
    assert response.status_code == 200
    password = shown_once(response)
    assert "Kata sandi ops diganti." in response.text
    assert "token API-nya dicabut" in response.text
    stored = user(engine, "ops").password_hash
    assert stored != "-" and password not in stored
    assert verify_password(password, stored)[0] is True
    assert not signed_in(who["ops"])
    assert signed_in(admin)
    assert password not in admin.get("/admin/users").text
    before = state(engine)
    assert admin.post("/admin/users/siapa/reset-password").status_code == 404
    assert state(engine) == before


def test_a_token_is_shown_once_works_and_can_be_revoked(engine: Engine) -> None:
    who = browsers(engine)
    admin = who["kominfo"]
    response = admin.post("/admin/users/ops/tokens", name=f"sp4n {SCRIPT}")
    assert response.status_code == 200
    token = shown_once(response)
    assert token.startswith("adn_")
    assert SCRIPT not in response.text
    auth = Authenticator(engine, AUTH)
    owner = auth.user_for_token(token)
    assert owner is not None and owner.username == "ops"
    with Session(engine) as s:
        row = s.exec(select(ApiToken)).one()
    assert row.token_hash != token and row.name == f"sp4n {SCRIPT}"
    page = admin.get("/admin/users").text
    assert token not in page and f"{token[:12]}…" in page
    response = admin.post(f"/admin/tokens/{row.id}/revoke")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users?done=revoked&token={row.id}"
    assert auth.user_for_token(token) is None
    page = admin.get(response.headers["location"]).text
    assert f"Token API #{row.id} dicabut." in page
    assert page.split(f'id="token-{row.id}"')[1].split("</tr>")[0].count("dicabut") == 1


def test_a_refused_token_says_why_and_changes_nothing(engine: Engine) -> None:
    who = browsers(engine)
    admin = who["kominfo"]
    admin.post("/admin/users/lihat/disable")
    before = state(engine)
    blank = admin.post("/admin/users/ops/tokens", name="  ")
    assert blank.status_code == 400 and "Beri token nama" in blank.text
    disabled = admin.post("/admin/users/lihat/tokens", name="sinkron")
    assert disabled.status_code == 400 and "Akun lihat nonaktif" in disabled.text
    assert admin.post("/admin/users/siapa/tokens", name="sinkron").status_code == 404
    gone = admin.post("/admin/tokens/987654/revoke")
    assert gone.status_code == 404 and "Token API #987654 tidak ditemukan" in gone.text
    assert state(engine) == before


# --- the configuration ------------------------------------------------------------


def test_the_configuration_shows_names_never_secret_values(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with_secrets(tmp_path, monkeypatch)
    who = browsers(engine, config_view=redacted_config(settings))
    page = who["kominfo"].get("/admin/config")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    for leaked in (*SECRETS.values(), *URL_SECRETS):
        assert leaked not in page.text
    for name in SECRETS:
        assert name in page.text
    assert '<code>ADUAN_FACEBOOK_PAGE_TOKEN</code> <span class="badge bad">belum diisi' in page.text
    assert '<code>ADUAN_TWITTER_BEARER_TOKEN</code> <span class="badge">terisi' in page.text
    assert "https://***@hooks.example.org/aduan?***#***" in page.text
    assert "postgresql+psycopg://aduan:***@db.example:5433/aduan" in page.text
    assert "mail.denpasarkota.go.id:587" in page.text and "setiap 15 menit" in page.text
    assert (
        "lampu-lalu-lintas" in page.text
        and "Perizinan <code>PERIZINAN</code> → <code>DPMPTSP</code>" in page.text
    )
    assert "Respon awal 3 hari kerja" in page.text
    assert who["ops"].get("/admin/config").status_code == 403


def test_without_a_configuration_the_page_says_so(engine: Engine) -> None:
    page = browsers(engine)["kominfo"].get("/admin/config")
    assert page.status_code == 200
    assert "Konfigurasi tidak tersedia" in page.text
    assert "<h2>Sumber</h2>" not in page.text


def test_the_config_view_escapes_what_it_shows(engine: Engine) -> None:
    view: dict[str, Any] = {"sources": [], "rules": [], "agencies": [{"code": "X", "name": SCRIPT}]}
    view |= {"routing": {"categories": {}, "thresholds": {}}, "deadlines": {}, "delivery": {}}
    view |= {"store": {"url": SCRIPT}, "web": {"secret_key_env": None}}
    page = browsers(engine, config_view=view)["kominfo"].get("/admin/config")
    assert page.status_code == 200
    assert SCRIPT not in page.text and page.text.count("&lt;script&gt;") == 2


def test_the_active_token_count_ignores_other_users(engine: Engine) -> None:
    # Only live tokens of that very user are counted (and listed by their owner).
    who = browsers(engine)
    with session_scope(engine) as s:
        for name in ("a", "b"):
            issue_api_token(session=s, username="pdam", name=name)
    page = who["kominfo"].get("/admin/users").text
    assert page.split('id="user-pdam"')[1].split("</tr>")[0].count('<td class="num">2</td>') == 1
    assert page.split('id="user-ops"')[1].split("</tr>")[0].count('<td class="num">0</td>') == 1
    with Session(engine) as s:
        owners = set(s.exec(select(ApiToken.user_id).where(col(ApiToken.revoked_at).is_(None))))
    assert owners == {user(engine, "pdam").id}


# --- e-mail addresses (where a petugas hears of assignments) -------------------------


def test_the_admin_sets_changes_and_removes_an_email_address(engine: Engine) -> None:
    who = browsers(engine)
    admin = who["kominfo"]
    response = admin.post("/admin/users/pdam/email", email=" Pdam.Satu@PDAM.Example.ORG ")
    assert response.status_code == 303
    assert user(engine, "pdam").email == "Pdam.Satu@pdam.example.org"
    page = admin.get(response.headers["location"]).text
    assert "Alamat e-mail pdam diperbarui." in page
    assert 'value="Pdam.Satu@pdam.example.org"' in page
    assert admin.post("/admin/users/pdam/email", email="").status_code == 303
    assert user(engine, "pdam").email is None
    created = admin.post(
        "/admin/users", username="petugas2", role="agency", agency="PDAM", email="p2@example.org"
    )
    assert created.status_code == 200
    assert user(engine, "petugas2").email == "p2@example.org"
    with Session(engine) as s:
        logged = s.exec(select(AccessLogEntry).where(AccessLogEntry.action == "user.email")).all()
    assert [(e.actor, e.target) for e in logged] == [("kominfo", "user:pdam")] * 2


@pytest.mark.parametrize(
    "bad",
    [
        "pdam",
        "pdam@",
        "Budi <budi@example.org>",
        "a@example.org, b@example.org",
        "a@example.org\r\nBcc: x@example.org",
        "a" * 250 + "@example.org",
        "a..b@example.org",
    ],
)
def test_an_invalid_address_is_refused_naming_it_and_changes_nothing(
    engine: Engine, bad: str
) -> None:
    admin = browsers(engine)["kominfo"]
    before = state(engine)
    response = admin.post("/admin/users/pdam/email", email=bad)
    assert response.status_code == 400
    assert "Alamat e-mail tidak sah" in response.text
    assert state(engine) == before
    missing = admin.post("/admin/users/hantu/email", email="a@example.org")
    assert missing.status_code == 404
