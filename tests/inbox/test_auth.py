"""Accounts and access: passwords, sessions, CSRF, sign-in limits, API tokens, roles."""

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import inbox.sessions as sessions_module
import models.credentials as credentials_module
from inbox.access import Access, Forbidden, Permission
from inbox.auth import (
    ApiUser,
    CsrfUser,
    CurrentUser,
    require_api_role,
    require_permission,
    require_role,
    safe_next,
)
from inbox.login import WRONG, install_auth
from inbox.sessions import AuthConfig, Authenticator
from inbox.signing import load_secret_key, sign_value, unsign_value
from models.accounts import (
    ensure_first_admin,
    issue_api_token,
    reset_password,
    set_active,
)
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.credentials import (
    check_password,
    generate_password,
    hash_password,
    sha256_hex,
    verify_password,
)
from models.db import session_scope
from models.exceptions import AccountError, ConfigError, WeakPassword
from models.mentions import insert_mentions
from models.sessions import record_login_attempt
from models.tables import ApiToken, Complaint, LoginAttempt, Mention, User, WebSession
from models.types import utcnow
from tests.support.factories import agencies, mention
from tests.support.web import PASSWORD, add_user, login

TEMPLATES_DIR = Path(__file__).parents[2] / "inbox" / "templates"
COOKIE_KEY = b"k" * 8 + os.urandom(32)


# --- a test-only app ------------------------------------------------------------


def make_app(engine: Engine, **config: Any) -> tuple[FastAPI, Authenticator]:
    """A small app with one route per kind of protection."""
    app = FastAPI()
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    auth = install_auth(
        app, engine=engine, config=AuthConfig(secret_key=COOKIE_KEY, **config), templates=templates
    )

    @app.get("/private")
    def private(user: CurrentUser) -> dict[str, str]:
        return {"user": user.username}

    @app.get("/form", response_class=HTMLResponse)
    def form(request: Request, user: CurrentUser) -> HTMLResponse:
        page = templates.env.from_string(
            "{{ signed_in_user(request).username }}<form>{{ csrf_input(request) }}</form>"
        )
        return HTMLResponse(page.render(request=request))

    @app.post("/change")
    def change(user: CsrfUser, value: Annotated[str, Form()] = "") -> dict[str, str]:
        return {"changed": value, "by": user.username}

    @app.get("/admin")
    def admin(user: Annotated[User, Depends(require_role("admin"))]) -> dict[str, str]:
        return {"user": user.username}

    @app.get("/triage")
    def triage(
        user: Annotated[User, Depends(require_permission(Permission.TRIAGE))],
    ) -> dict[str, str]:
        return {"user": user.username}

    @app.get("/api/me")
    def me(user: ApiUser) -> dict[str, str]:
        return {"user": user.username, "role": user.role}

    @app.get("/api/admin")
    def api_admin(user: Annotated[User, Depends(require_api_role("admin"))]) -> dict[str, str]:
        return {"user": user.username}

    return app, auth


def signed_in_client(engine: Engine, username: str = "ops", role: str = "operator") -> TestClient:
    app, _ = make_app(engine)
    add_user(engine, username, role, agency="PDAM" if role == "agency" else None)
    client = TestClient(app, follow_redirects=False)
    assert login(client, username).status_code == 303
    return client


def csrf_of(client: TestClient) -> str:
    page = client.get("/form").text
    return page.split('value="')[1].split('"')[0]


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    yield signed_in_client(engine)


# --- passwords --------------------------------------------------------------------


def test_passwords_are_argon2_hashed_and_verified() -> None:
    hashed = hash_password(PASSWORD, username="ops")
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert hash_password(PASSWORD, username="ops") != hashed  # salted
    assert verify_password(PASSWORD, hashed) == (True, None)
    assert verify_password(PASSWORD + "x", hashed)[0] is False


def test_outdated_hash_is_upgraded_at_sign_in(engine: Engine) -> None:
    app, _ = make_app(engine)
    user = add_user(engine, "ops")
    weak = Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with session_scope(engine) as s:
        s.get(User, user.id).password_hash = weak  # type: ignore[union-attr]
    assert login(TestClient(app), "ops").status_code == 303
    with Session(engine) as s:
        stored = s.get(User, user.id)
        assert stored is not None and stored.password_hash != weak
        assert "m=65536" in stored.password_hash
        assert stored.last_login_at is not None


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-1", "at least 10"),
        ("siti.rahayu", "username"),
        ("SITI.RAHAYU", "username"),
        ("xx-siti.rahayu-99", "username"),
        ("aaaaaaaaaaaa", "different characters"),
        ("password123", "too common"),
        ("Katasandi123", "too common"),
        ("changeme-please", "too common"),
        ("x" * 2000, "at most"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(WeakPassword, match=why):
        hash_password(password, username="siti.rahayu")


def test_generated_passwords_are_strong_and_different() -> None:
    seen = {generate_password() for _ in range(20)}
    assert len(seen) == 20
    for password in seen:
        assert len(password) >= 20
        check_password(password, username="admin")


def test_a_generated_password_never_contains_the_username(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = iter(["xx-siti.rahayu-Q7z", "Q7zK2pLm9WvR4tYb8nHc"])
    monkeypatch.setattr(credentials_module.secrets, "token_urlsafe", lambda _n: next(drawn))
    assert generate_password("siti.rahayu") == "Q7zK2pLm9WvR4tYb8nHc"


# --- the secret key -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("short-key", "at least 32"),
        ("changeme-changeme-changeme-changeme", "placeholder"),
        ("my-super-secret-key-for-aduan-denpasar", "placeholder"),
        ("REPLACE_WITH_A_LONG_RANDOM_STRING_PLEASE", "placeholder"),
        ("a" * 40, "placeholder"),
        ("0123012301230123012301230123012301230123", "placeholder"),
    ],
)
def test_weak_secret_keys_are_refused_naming_the_variable(
    value: str, why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADUAN_WEB_SECRET", value)
    with pytest.raises(ConfigError, match=f"environment variable ADUAN_WEB_SECRET: .*{why}"):
        load_secret_key("ADUAN_WEB_SECRET", tmp_path)
    assert not (tmp_path / "web_secret.key").exists()


def test_secret_key_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = "q8Vd3LzN0pR7tYw2KsXb5HmJc9GfAe4U6nTiWoQ1"
    monkeypatch.setenv("ADUAN_WEB_SECRET", good)
    assert load_secret_key("ADUAN_WEB_SECRET", tmp_path) == good.encode()


def test_secret_key_file_is_created_private_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ADUAN_WEB_SECRET", raising=False)
    data_dir = tmp_path / "data"
    first = load_secret_key("ADUAN_WEB_SECRET", data_dir)
    path = data_dir / "web_secret.key"
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key("ADUAN_WEB_SECRET", data_dir) == first
    assert [p.name for p in data_dir.iterdir()] == ["web_secret.key"]  # no temp file left
    path.chmod(0o644)
    assert load_secret_key("ADUAN_WEB_SECRET", data_dir) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("changeme\n")
    with pytest.raises(ConfigError, match=str(path)):
        load_secret_key("ADUAN_WEB_SECRET", data_dir)


def test_auth_config_refuses_a_short_key() -> None:
    with pytest.raises(ConfigError):
        AuthConfig(secret_key=b"short")


def test_signed_values_detect_tampering() -> None:
    signed = sign_value("abc", COOKIE_KEY)
    assert unsign_value(signed, COOKIE_KEY) == "abc"
    assert unsign_value(signed[:-1] + ("A" if signed[-1] != "A" else "B"), COOKIE_KEY) is None
    assert unsign_value("abd" + signed[3:], COOKIE_KEY) is None
    assert unsign_value(signed, b"another-key-another-key-another-key") is None
    assert unsign_value("no-signature", COOKIE_KEY) is None


# --- signing in and sessions ----------------------------------------------------------


def _cookie_header(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers}")


def test_login_sets_a_hardened_session_cookie(engine: Engine) -> None:
    app, _ = make_app(engine, session_hours=8)
    add_user(engine, "ops")
    client = TestClient(app, follow_redirects=False)
    form = client.get("/login")
    assert form.status_code == 200
    assert "Masuk" in form.text and "Nama pengguna" in form.text and "Kata sandi" in form.text
    response = login(client, "ops")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = _cookie_header(response, "aduan_session").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "max-age=28800" in cookie and "expires=" in cookie
    assert "secure" not in cookie
    assert client.get("/private").json() == {"user": "ops"}
    with Session(engine) as s:
        attempt = s.exec(select(LoginAttempt)).one()
        assert (attempt.username, attempt.address, attempt.success) == ("ops", "testclient", True)


def test_secure_cookies_when_configured(engine: Engine) -> None:
    app, _ = make_app(engine, secure_cookies=True)
    add_user(engine, "ops")
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    login_form = client.get("/login")
    assert "secure" in _cookie_header(login_form, "__Host-aduan_login").lower()
    response = login(client, "ops")
    assert response.status_code == 303
    cookie = _cookie_header(response, "__Host-aduan_session").lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/private").json() == {"user": "ops"}


def test_session_id_is_stored_only_as_a_hash(engine: Engine, client: TestClient) -> None:
    cookie = client.cookies["aduan_session"]
    session_id = cookie.rsplit(".", 1)[0]
    with Session(engine) as s:
        row = s.exec(select(WebSession)).one()
    assert row.id_hash == sha256_hex(session_id)
    assert session_id not in row.id_hash and cookie not in row.model_dump_json()


@pytest.mark.parametrize("username", ["ops", "nobody"])
def test_wrong_credentials_are_refused_alike(engine: Engine, username: str) -> None:
    app, _ = make_app(engine)
    add_user(engine, "ops")
    client = TestClient(app, follow_redirects=False)
    response = login(client, username, "salah-sekali-123")
    assert response.status_code == 401
    assert WRONG in response.text
    assert f'value="{username}"' in response.text  # the name is kept, the password is not
    assert "salah-sekali-123" not in response.text
    assert "aduan_session" not in client.cookies
    assert client.get("/private").status_code == 303


def test_username_is_case_insensitive(engine: Engine) -> None:
    app, _ = make_app(engine)
    add_user(engine, "Siti.Rahayu")
    assert login(TestClient(app, follow_redirects=False), " SITI.rahayu ").status_code == 303


def test_login_form_needs_its_csrf_cookie_and_same_origin(engine: Engine) -> None:
    app, _ = make_app(engine)
    add_user(engine, "ops")
    client = TestClient(app, follow_redirects=False)
    data = {"username": "ops", "password": PASSWORD, "csrf_token": "forged"}
    assert client.post("/login", data=data).status_code == 403  # no cookie yet
    client.get("/login")
    assert client.post("/login", data=data).status_code == 403  # wrong token
    crossed = login(client, "ops", headers={"Origin": "https://evil.example"})
    assert crossed.status_code == 403
    assert "aduan_session" not in client.cookies
    assert login(client, "ops", headers={"Origin": "http://testserver"}).status_code == 303


def test_pages_redirect_to_login_with_next(engine: Engine) -> None:
    app, _ = make_app(engine)
    client = TestClient(app, follow_redirects=False)
    response = client.get("/private?status=baru&page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprivate%3Fstatus%3Dbaru%26page%3D2"
    htmx = client.get("/private", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login?next=%2Fprivate"
    assert client.post("/change").headers["location"] == "/login"


def test_login_returns_to_next(engine: Engine) -> None:
    app, _ = make_app(engine)
    add_user(engine, "ops")
    client = TestClient(app, follow_redirects=False)
    first = client.get("/private?x=1")
    form = client.get(first.headers["location"])
    assert 'name="next" value="/private?x=1"' in form.text
    response = login(client, "ops", next="/private?x=1")
    assert response.headers["location"] == "/private?x=1"
    again = client.get("/login?next=/private")
    assert again.status_code == 303 and again.headers["location"] == "/private"


OFFSITE = [
    "//evil.com",
    "https://evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "http:evil.com",
    "javascript:alert(1)",
    "/\t/evil.com",
    "/%0a/evil.com\n",
    "evil.com",
    "/login",
]


@pytest.mark.parametrize("target", OFFSITE)
def test_safe_next_refuses_offsite_targets(target: str) -> None:
    assert safe_next(target) is None


def test_next_cannot_redirect_elsewhere(engine: Engine) -> None:
    app, _ = make_app(engine)
    add_user(engine, "ops")
    for target in OFFSITE:
        client = TestClient(app, follow_redirects=False)
        form = client.get("/login", params={"next": target})
        assert 'name="next"' not in form.text
        assert login(client, "ops", next=target).headers["location"] == "/", target


def test_agency_users_land_on_their_inbox(engine: Engine) -> None:
    app, _ = make_app(engine)
    add_user(engine, "pdam1", "agency", agency="PDAM")
    response = login(TestClient(app, follow_redirects=False), "pdam1")
    assert response.headers["location"] == "/inbox/PDAM"


def test_expired_session_is_refused(engine: Engine, client: TestClient) -> None:
    assert client.get("/private").status_code == 200
    with session_scope(engine) as s:
        row = s.exec(select(WebSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/private").status_code == 303


def test_session_expires_after_session_hours(engine: Engine) -> None:
    app, auth = make_app(engine, session_hours=2)
    add_user(engine, "ops")
    client = TestClient(app, follow_redirects=False)
    login(client, "ops")
    start = utcnow()
    auth.clock = lambda: start + timedelta(hours=1, minutes=59)
    assert client.get("/private").status_code == 200
    auth.clock = lambda: start + timedelta(hours=2, minutes=1)
    assert client.get("/private").status_code == 303


def test_tampered_cookie_is_refused(engine: Engine, client: TestClient) -> None:
    cookie = client.cookies["aduan_session"]
    session_id = cookie.rsplit(".", 1)[0]
    other = TestClient(client.app, follow_redirects=False)
    flipped = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    for forged in (session_id, sign_value(session_id, b"x" * 40), flipped):
        other.cookies.set("aduan_session", forged)
        assert other.get("/private").status_code == 303


def test_logout_kills_every_copy_of_the_cookie(engine: Engine, client: TestClient) -> None:
    copied = client.cookies["aduan_session"]
    token = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/private").status_code == 200  # a refused logout changes nothing
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert 'aduan_session=""' in _cookie_header(response, "aduan_session")
    thief = TestClient(client.app, follow_redirects=False)
    thief.cookies.set("aduan_session", copied)
    assert thief.get("/private").status_code == 303
    with Session(engine) as s:
        assert s.exec(select(WebSession)).one().revoked_at is not None


def test_new_login_replaces_an_old_session(engine: Engine, client: TestClient) -> None:
    old = client.cookies["aduan_session"]
    assert client.get("/login").headers["location"] == "/"  # signed in: no form
    client.cookies.set("aduan_login", "t" * 43)  # as if a form was still open in a tab
    data = {"username": "ops", "password": PASSWORD, "csrf_token": "t" * 43}
    assert client.post("/login", data=data).status_code == 303
    assert client.cookies["aduan_session"] != old
    stale = TestClient(client.app, follow_redirects=False)
    stale.cookies.set("aduan_session", old)
    assert stale.get("/private").status_code == 303


def test_disabled_user_is_locked_out_at_once(engine: Engine, client: TestClient) -> None:
    assert client.get("/private").status_code == 200
    with session_scope(engine) as s:
        set_active(session=s, username="ops", active=False)
    assert client.get("/private").status_code == 303
    with Session(engine) as s:
        assert s.exec(select(WebSession)).one().revoked_at is not None
    fresh = TestClient(client.app, follow_redirects=False)
    assert login(fresh, "ops").status_code == 401  # the right password no longer works


def test_disabled_user_is_locked_out_even_with_a_live_session_row(
    engine: Engine, client: TestClient
) -> None:
    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.username == "ops")).one()
        user.active = False  # changed directly: the session row itself is still live
    assert client.get("/private").status_code == 303


def test_password_reset_ends_sessions(engine: Engine, client: TestClient) -> None:
    with session_scope(engine) as s:
        reset_password(session=s, username="ops", password="teh-manis-sore-8")
    assert client.get("/private").status_code == 303
    assert login(client, "ops").status_code == 401
    assert login(client, "ops", "teh-manis-sore-8").status_code == 303


# --- CSRF ----------------------------------------------------------------------------


def test_csrf_token_is_required_on_state_changes(engine: Engine, client: TestClient) -> None:
    token = csrf_of(client)
    assert len(token) >= 40
    assert client.get("/form").text.startswith('ops<form><input type="hidden"')
    missing = client.post("/change", data={"value": "x"})
    assert missing.status_code == 403
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    wrong = client.post("/change", data={"value": "x", "csrf_token": forged})
    assert wrong.status_code == 403
    right = client.post("/change", data={"value": "x", "csrf_token": token})
    assert right.json() == {"changed": "x", "by": "ops"}
    header = client.post("/change", data={"value": "y"}, headers={"X-CSRF-Token": token})
    assert header.json()["changed"] == "y"


def test_csrf_token_of_another_session_is_refused(engine: Engine, client: TestClient) -> None:
    add_user(engine, "ops2")
    other = TestClient(client.app, follow_redirects=False)
    login(other, "ops2")
    assert client.post("/change", data={"csrf_token": csrf_of(other)}).status_code == 403


def test_cross_origin_posts_are_refused(client: TestClient) -> None:
    token = csrf_of(client)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        response = client.post("/change", data={"csrf_token": token}, headers=headers)
        assert response.status_code == 403, headers
    same = client.post(
        "/change",
        data={"csrf_token": token},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 200


def test_forbidden_is_an_indonesian_page_for_browsers(client: TestClient) -> None:
    page = client.post("/change", headers={"Accept": "text/html"})
    assert page.status_code == 403
    assert "Akses ditolak" in page.text and "<html" in page.text
    # A page route answers with the page whatever the client accepts; APIs keep JSON.
    assert "Akses ditolak" in client.post("/change").text


# --- sign-in limits ------------------------------------------------------------------


def _fail(client: TestClient, username: str, times: int) -> None:
    for _ in range(times):
        assert login(client, username, "bukan-sandinya-9").status_code == 401


def test_failures_lock_out_their_address_only_never_the_right_password_elsewhere(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app(engine, login_attempts=3)
    add_user(engine, "ops")
    attacker = TestClient(app, client=("10.0.0.1", 1000), follow_redirects=False)
    _fail(attacker, "ops", 3)

    def no_verify(*args: object) -> tuple[bool, None]:
        raise AssertionError("the password must not be checked while locked")

    monkeypatch.setattr(sessions_module, "verify_password", no_verify)
    with caplog.at_level("WARNING", logger="inbox.sessions"):
        refused = login(attacker, "ops")  # even the right password, from the same address
    assert refused.status_code == 429
    assert "coba lagi dalam 15 menit" in refused.text
    assert 890 <= int(refused.headers["Retry-After"]) <= 900
    assert any("10.0.0.1" in r.getMessage() and "'ops'" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    # The real user, elsewhere, is never locked out by someone else's failures.
    elsewhere = TestClient(app, client=("10.0.0.2", 1000), follow_redirects=False)
    assert login(elsewhere, "ops").status_code == 303
    with session_scope(engine) as s:  # fifteen minutes later the failures no longer count
        for row in s.exec(select(LoginAttempt)):
            row.at = row.at - timedelta(minutes=16)
    assert login(attacker, "ops").status_code == 303


def test_hammering_a_blocked_sign_in_does_not_keep_it_blocked(engine: Engine) -> None:
    app, auth = make_app(engine, login_attempts=3)
    add_user(engine, "ops")
    start = utcnow()
    now = [start]
    auth.clock = lambda: now[0]
    client = TestClient(app, client=("10.0.0.3", 1000), follow_redirects=False)
    _fail(client, "ops", 3)
    for minutes in (1, 5, 10, 14):  # every try while blocked is refused, and not counted
        now[0] = start + timedelta(minutes=minutes)
        refused = login(client, "ops", "bukan-sandinya-9")
        assert refused.status_code == 429
        assert f"coba lagi dalam {15 - minutes} menit" in refused.text
    now[0] = start + timedelta(minutes=15, seconds=1)
    assert login(client, "ops").status_code == 303


def test_too_many_failures_from_one_address_block_it(engine: Engine) -> None:
    app, _ = make_app(engine, login_attempts=3, login_attempts_per_address=3)
    add_user(engine, "ops")
    noisy = TestClient(app, client=("10.0.0.9", 1000), follow_redirects=False)
    for name in ("budi", "wayan", "made"):  # password spraying over several accounts
        _fail(noisy, name, 1)
    assert login(noisy, "ops").status_code == 429
    quiet = TestClient(app, client=("10.0.0.10", 1000), follow_redirects=False)
    assert login(quiet, "ops").status_code == 303


def test_success_resets_only_its_own_pair(engine: Engine) -> None:
    app, _ = make_app(engine, login_attempts=4)
    add_user(engine, "ops")
    attacker = TestClient(app, client=("10.0.0.66", 1000), follow_redirects=False)
    user = TestClient(app, client=("10.0.0.7", 1000), follow_redirects=False)
    _fail(user, "ops", 2)
    _fail(attacker, "ops", 3)
    assert login(user, "ops").status_code == 303  # clears the user's 2
    _fail(attacker, "ops", 1)  # the attacker's 3 stay: a success elsewhere clears nothing
    assert login(attacker, "ops").status_code == 429
    user = TestClient(app, client=("10.0.0.7", 1000), follow_redirects=False)  # signed out
    _fail(user, "ops", 3)  # without the reset the second of these would be refused
    assert login(user, "ops").status_code == 303


def test_every_attempt_is_recorded(engine: Engine) -> None:
    with session_scope(engine) as s:
        record_login_attempt(
            session=s, username="x" * 300, address="a" * 300, success=False, at=utcnow()
        )
    with Session(engine) as s:
        row = s.exec(select(LoginAttempt)).one()
        assert len(row.username) == 100 and len(row.address) == 100


# --- API tokens ----------------------------------------------------------------------


def _token(engine: Engine, username: str = "ops", role: str = "operator") -> tuple[str, int]:
    add_user(engine, username, role, agency="PDAM" if role == "agency" else None)
    with session_scope(engine) as s:
        token, row = issue_api_token(session=s, username=username, name="sp4n sync")
    assert row.id is not None
    return token, row.id


def test_api_token_is_stored_hashed_and_authenticates(engine: Engine) -> None:
    app, _ = make_app(engine)
    token, token_id = _token(engine)
    assert token.startswith("adn_") and len(token) > 40
    with Session(engine) as s:
        row = s.get(ApiToken, token_id)
        assert row is not None
        assert row.token_hash == sha256_hex(token) and row.prefix == token[:12]
        assert token not in row.model_dump_json() and row.last_used_at is None
    client = TestClient(app)
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"user": "ops", "role": "operator"}
    with Session(engine) as s:
        used = s.get(ApiToken, token_id)
        assert used is not None and used.last_used_at is not None


@pytest.mark.parametrize(
    "authorization", [None, "Bearer adn_wrong", "Bearer ", "Basic b3BzOnBhc3M=", "adn_x"]
)
def test_api_refuses_missing_or_wrong_tokens(engine: Engine, authorization: str | None) -> None:
    app, _ = make_app(engine)
    _token(engine)
    headers = {"Authorization": authorization} if authorization else {}
    response = TestClient(app).get("/api/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_api_ignores_session_cookies(client: TestClient) -> None:
    assert client.get("/private").status_code == 200
    assert client.get("/api/me").status_code == 401


def test_revoked_token_and_disabled_user_are_refused(engine: Engine) -> None:
    from models.accounts import revoke_api_token

    app, _ = make_app(engine)
    token, token_id = _token(engine)
    token2, _ = _token(engine, "ops2")
    client = TestClient(app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=bearer).status_code == 200
    with session_scope(engine) as s:
        revoke_api_token(session=s, token_id=token_id)
    assert client.get("/api/me", headers=bearer).status_code == 401
    bearer2 = {"Authorization": f"Bearer {token2}"}
    assert client.get("/api/me", headers=bearer2).status_code == 200
    with session_scope(engine) as s:
        set_active(session=s, username="ops2", active=False)
    assert client.get("/api/me", headers=bearer2).status_code == 401
    with session_scope(engine) as s, pytest.raises(AccountError, match="disabled"):
        issue_api_token(session=s, username="ops2", name="again")


def test_reset_and_disable_revoke_every_token_for_good(engine: Engine) -> None:
    app, _ = make_app(engine)
    client = TestClient(app)
    for change in ("reset", "disable"):
        name = f"ops-{change}"
        tokens = [_token(engine, name)[0]]
        with session_scope(engine) as s:
            tokens.append(issue_api_token(session=s, username=name, name="kedua")[0])
        for token in tokens:
            assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).is_success
        with session_scope(engine) as s:
            if change == "reset":
                reset_password(session=s, username=name, password="teh-manis-dingin-4")
            else:
                set_active(session=s, username=name, active=False)
        with session_scope(engine) as s:  # enabling the account again brings none back
            set_active(session=s, username=name, active=True)
        for token in tokens:
            bearer = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/me", headers=bearer).status_code == 401, change
        with Session(engine) as s:
            rows = s.exec(select(ApiToken).join(User).where(User.username == name)).all()
            assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)


def test_api_role_dependency(engine: Engine) -> None:
    app, _ = make_app(engine)
    ops, _ = _token(engine, "ops", "operator")
    boss, _ = _token(engine, "boss", "admin")
    client = TestClient(app)
    assert client.get("/api/admin", headers={"Authorization": f"Bearer {ops}"}).status_code == 403
    assert client.get("/api/admin", headers={"Authorization": f"Bearer {boss}"}).status_code == 200


# --- roles and access -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "admin", "triage"),
    [("admin", 200, 200), ("operator", 403, 200), ("agency", 403, 403), ("viewer", 403, 403)],
)
def test_role_dependencies(engine: Engine, role: str, admin: int, triage: int) -> None:
    client = signed_in_client(engine, "someone", role)
    assert client.get("/admin").status_code == admin
    assert client.get("/triage").status_code == triage
    assert client.get("/private").status_code == 200


def test_require_role_refuses_unknown_roles() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        require_role("superuser")


def _user(role: str, agency: str | None = None, active: bool = True) -> User:
    return User(username=role, password_hash="-", role=role, agency_code=agency, active=active)


def _complaint(inbox: str) -> Complaint:
    return Complaint(origin_mention_id=1, category=inbox, inbox=inbox, routed_by="test")


def test_access_matrix() -> None:
    access = Access()
    pdam, lpju = _complaint("PDAM"), _complaint("LPJU")
    expected = {
        # role: (inbox_filter, read PDAM, read LPJU, change PDAM, change LPJU)
        "admin": (None, True, True, True, True),
        "operator": (None, True, True, True, True),
        "agency": ("PDAM", True, False, True, False),
    }
    for role, (inbox, read_p, read_l, change_p, change_l) in expected.items():
        user = _user(role, "PDAM" if role == "agency" else None)
        assert access.inbox_filter(user) == inbox
        assert access.can_read_complaint(user, pdam) is read_p
        assert access.can_read_complaint(user, lpju) is read_l
        assert access.can_change(user, pdam) is change_p
        assert access.can_change(user, lpju) is change_l
    viewer = _user("viewer")
    assert access.can(viewer, Permission.DASHBOARD)
    assert not access.can_read_complaint(viewer, pdam) and not access.can_change(viewer, pdam)
    with pytest.raises(Forbidden):  # fails closed instead of meaning "every inbox"
        access.inbox_filter(viewer)
    with pytest.raises(Forbidden):
        access.inbox_filter(_user("agency", None))
    assert not access.can_read_complaint(_user("agency", None), pdam)
    assert not access.can_read_complaint(_user("admin", active=False), pdam)
    assert access.can(_user("admin"), Permission.MANAGE_USERS)
    assert not access.can(_user("operator"), Permission.MANAGE_USERS)
    assert access.can(_user("operator"), Permission.TRIAGE)
    assert not access.can(_user("agency", "PDAM"), Permission.TRIAGE)
    assert not access.can(_user("agency", "PDAM"), Permission.DASHBOARD)
    assert access.can_read_inbox(_user("agency", "PDAM"), "PDAM")
    assert not access.can_read_inbox(_user("agency", "PDAM"), "LPJU")
    assert not access.can_read_inbox(_user("agency", None), "PDAM")
    assert access.can_read_inbox(_user("operator"), "LPJU")
    assert not access.can_read_inbox(_user("viewer"), "LPJU")


def test_complaint_or_404_hides_other_inboxes(engine: Engine) -> None:
    from fastapi import HTTPException

    from inbox.access import access

    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=[mention(1), mention(2)])
    ids = {}
    with session_scope(engine) as s:
        for n, inbox in ((1, "PDAM"), (2, "LPJU")):
            m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()
            c = file_complaint(
                session=s, mention=m, category=inbox, inbox=inbox, confidence=0.9, routed_by="t"
            )
            assert c is not None and c.id is not None
            ids[inbox] = c.id
    agency = _user("agency", "PDAM")
    with Session(engine) as s:
        assert access.complaint_or_404(session=s, user=agency, complaint_id=ids["PDAM"])
        for guess in (ids["LPJU"], 999_999):
            with pytest.raises(HTTPException) as caught:
                access.complaint_or_404(session=s, user=agency, complaint_id=guess)
            assert caught.value.status_code == 404
        assert access.complaint_or_404(session=s, user=_user("operator"), complaint_id=ids["LPJU"])


# --- account rules and the first admin ---------------------------------------------------


@pytest.mark.parametrize(
    ("role", "agency", "why"),
    [
        ("agency", None, "needs --agency"),
        ("agency", "NOPE", "unknown agency code 'NOPE'; known: KOMINFO, LPJU, PDAM"),
        ("operator", "PDAM", "do not give an agency code"),
        ("superuser", None, "unknown role"),
    ],
)
def test_roles_and_agencies_must_fit(
    engine: Engine, role: str, agency: str | None, why: str
) -> None:
    with pytest.raises(AccountError, match=why):
        add_user(engine, "someone", role, agency=agency)


@pytest.mark.parametrize("username", ["a", "with space", "-dash", "ünï", "x" * 101])
def test_invalid_usernames_are_refused(engine: Engine, username: str) -> None:
    with pytest.raises(AccountError, match="invalid username"):
        add_user(engine, username)


def test_duplicate_usernames_are_refused(engine: Engine) -> None:
    add_user(engine, "ops")
    with pytest.raises(AccountError, match="already exists"):
        add_user(engine, "OPS")


def test_first_admin_is_created_once_with_a_random_password(engine: Engine) -> None:
    password = ensure_first_admin(engine)
    assert password is not None and len(password) >= 20
    assert ensure_first_admin(engine) is None
    with Session(engine) as s:
        admin = s.exec(select(User).where(User.username == "admin")).one()
        assert admin.role == "admin" and password not in admin.password_hash
    app, _ = make_app(engine)
    client = TestClient(app, follow_redirects=False)
    assert login(client, "admin", password).status_code == 303
    assert client.get("/admin").status_code == 200


def test_first_admin_is_not_created_when_an_admin_exists(engine: Engine) -> None:
    add_user(engine, "kominfo", "admin")
    with session_scope(engine) as s:
        set_active(session=s, username="kominfo", active=False)
    assert ensure_first_admin(engine) is None  # a disabled admin was a decision


def test_first_admin_does_not_take_over_a_used_name(engine: Engine) -> None:
    add_user(engine, "admin", "viewer")
    assert ensure_first_admin(engine) is None
    with Session(engine) as s:
        assert s.exec(select(User).where(User.username == "admin")).one().role == "viewer"
