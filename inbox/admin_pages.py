"""The Kominfo admin's pages: accounts and API tokens, and the running configuration.

Every action is a plain POST form (CSRF-checked, MANAGE_USERS) that goes through the
same account functions as ``aduan users`` / ``aduan tokens``, and is recorded in the
access log in the same transaction. A new password or
token is shown once, in the answer to the POST that made it (never in a URL, never
stored in clear), with ``Cache-Control: no-store``; it cannot be shown again. A
refused action answers with the page, the reason in Indonesian and a 4xx status,
having changed nothing.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from inbox.access import Permission
from inbox.auth import require_permission
from inbox.form_actions import Refused, acting_user
from inbox.web import TEMPLATES, DbSession, EngineDep, RowId, whole_number
from models.access_log import record_access
from models.accounts import (
    USERNAME_PATTERN,
    create_account,
    find_user,
    issue_api_token,
    list_api_tokens,
    list_users,
    normalize_email,
    normalize_username,
    reset_password,
    revoke_api_token,
    set_active,
    set_email,
)
from models.credentials import generate_password
from models.db import session_scope
from models.exceptions import AccountError, NotFound
from models.tables import Agency, User
from models.vocab import ROLE_LABELS, AccessAction, Role

router = APIRouter(include_in_schema=False)

#: the attribute of ``app.state`` holding ``aduan.config_view.redacted_config``'s result
CONFIG_VIEW_ATTR = "aduan_config_view"
MAX_NAME = 200
DONE = {
    "disabled": "Akun {user} dinonaktifkan; semua sesinya diakhiri dan semua token API-nya "
    "dicabut.",
    "enabled": "Akun {user} diaktifkan kembali. Token API lamanya tetap dicabut; buat token "
    "baru bila perlu.",
    "revoked": "Token API #{token} dicabut.",
    "email": "Alamat e-mail {user} diperbarui.",
}
BAD_USERNAME = (
    "Nama pengguna harus 2-100 karakter: huruf kecil, angka, titik, garis bawah atau "
    "tanda hubung, diawali huruf atau angka."
)
BAD_EMAIL = (
    "Alamat e-mail tidak sah: tulis satu alamat saja, mis. nama@pdam.denpasarkota.go.id "
    "(paling banyak 254 karakter)."
)
SELF_DISABLE = "Anda tidak dapat menonaktifkan akun Anda sendiri; tidak ada yang diubah."

ManagerPage = Annotated[User, Depends(require_permission(Permission.MANAGE_USERS))]
ManagerForm = Annotated[User, Depends(acting_user(Permission.MANAGE_USERS))]
ConfigViewer = Annotated[User, Depends(require_permission(Permission.VIEW_CONFIG))]
Text = Annotated[str, Form()]


@dataclass(frozen=True)
class ShownOnce:
    """A password or token just made, for this one answer only."""

    label: str
    username: str
    value: str
    note: str


def render_users(
    request: Request,
    db: Session,
    *,
    notice: str | None = None,
    error: str | None = None,
    secret: ShownOnce | None = None,
    draft: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The accounts page; every answer is ``no-store`` (it may carry a secret)."""
    tokens = list_api_tokens(session=db)
    context: dict[str, Any] = {
        "users": list_users(session=db),
        "tokens": tokens,
        "live_tokens": Counter(owner.id for t, owner in tokens if t.revoked_at is None),
        "agencies": db.exec(select(Agency).order_by(col(Agency.code))).all(),
        "roles": ROLE_LABELS,
        "notice": notice,
        "error": error,
        "secret": secret,
        "draft": draft or {},
    }
    response = TEMPLATES.TemplateResponse(request, "admin_users.html", context, status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _notice(params: dict[str, str]) -> str | None:
    """The confirmation named by the redirect's query, built only from checked values."""
    template = DONE.get(params.get("done", ""))
    if template is None:
        return None
    if "{user}" in template:
        user = params.get("user", "")
        return template.format(user=user) if USERNAME_PATTERN.fullmatch(user) else None
    token = whole_number(params.get("token"))
    return template.format(token=token) if token is not None else None


def _audit(
    s: Session, admin: User, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    """Record an account or token change in the access log, in the change's transaction."""
    record_access(session=s, actor=admin.username, action=action, target=target, details=details)


def _back(**params: object) -> RedirectResponse:
    return RedirectResponse(f"/admin/users?{urlencode(params)}", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DbSession, _: ManagerPage) -> HTMLResponse:
    """Every account and API token, and the form for a new account."""
    return render_users(request, db, notice=_notice(dict(request.query_params)))


def _checked_email(email: str) -> str:
    """*email* as it will be stored ("" for none); Refused (400) in Indonesian."""
    try:
        return normalize_email(email) or ""
    except AccountError:
        raise Refused(BAD_EMAIL, 400) from None


def _checked_new_user(
    s: Session, username: str, display_name: str, role: str, agency: str
) -> tuple[str, str | None]:
    """(the username, the agency code) of a new account; Refused (400) in Indonesian."""
    try:
        name = normalize_username(username)
    except AccountError:
        raise Refused(BAD_USERNAME, 400) from None
    if role not in ROLE_LABELS:
        raise Refused("Peran tidak dikenal; pilih salah satu dari daftar.", 400)
    if len(display_name.strip()) > MAX_NAME:
        raise Refused(f"Nama tampilan paling banyak {MAX_NAME} karakter.", 400)
    if role == Role.AGENCY and not agency:
        raise Refused("Akun instansi harus dipilihkan instansinya (inbox yang dikerjakan).", 400)
    if role == Role.AGENCY and s.get(Agency, agency) is None:
        raise Refused("Instansi yang dipilih tidak dikenal.", 400)
    if role != Role.AGENCY and agency:
        raise Refused(
            f"Peran {ROLE_LABELS[Role(role)]} melihat semua inbox; kosongkan instansi.", 400
        )
    if find_user(session=s, username=name) is not None:
        raise Refused(f"Nama pengguna {name} sudah dipakai.", 400)
    return name, agency or None


@router.post("/admin/users", response_class=HTMLResponse)
def create_user_form(
    request: Request,
    admin: ManagerForm,
    engine: EngineDep,
    db: DbSession,
    username: Text = "",
    display_name: Text = "",
    role: Text = "",
    agency: Text = "",
    email: Text = "",
) -> HTMLResponse:
    """Create an account with a random password, shown once in this answer."""
    draft = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "agency": agency,
        "email": email,
    }
    try:
        with session_scope(engine) as s:
            name, agency_code = _checked_new_user(s, username, display_name, role, agency)
            address = _checked_email(email)
            password = generate_password(name)
            create_account(
                session=s,
                username=name,
                role=role,
                password=password,
                display_name=display_name,
                agency_code=agency_code,
                email=address,
            )
            _audit(s, admin, AccessAction.USER_CREATE, f"user:{name}", {"role": role})
    except Refused as err:
        return render_users(request, db, error=err.message, draft=draft, status_code=400)
    except (AccountError, IntegrityError):  # the same name created at the same moment
        refused = "Akun tidak dapat dibuat (nama sudah dipakai?); tidak ada yang diubah."
        return render_users(request, db, error=refused, draft=draft, status_code=400)
    note = "Berikan kepada pemiliknya lewat jalur aman; ia dapat masuk dengannya sekarang."
    secret = ShownOnce("Kata sandi", name, password, note)
    notice = f"Akun {name} ({ROLE_LABELS[Role(role)]}) dibuat."
    return render_users(request, db, notice=notice, secret=secret)


@router.post("/admin/users/{username}/disable", response_model=None)
def disable_user(
    request: Request, user: ManagerForm, username: str, engine: EngineDep, db: DbSession
) -> HTMLResponse | RedirectResponse:
    """Disable an account: its sessions end and its tokens are revoked at once."""
    if username.strip().lower() == user.username:
        return _refused(request, db, Refused(SELF_DISABLE, 400))
    return _set_active(request, db, engine, user, username, active=False)


@router.post("/admin/users/{username}/enable", response_model=None)
def enable_user(
    request: Request, admin: ManagerForm, username: str, engine: EngineDep, db: DbSession
) -> HTMLResponse | RedirectResponse:
    """Enable a disabled account (its old sessions stay ended)."""
    return _set_active(request, db, engine, admin, username, active=True)


def _set_active(
    request: Request, db: Session, engine: Engine, admin: User, username: str, *, active: bool
) -> HTMLResponse | RedirectResponse:
    try:
        with session_scope(engine) as s:
            name = set_active(session=s, username=username, active=active).username
            action = AccessAction.USER_ENABLE if active else AccessAction.USER_DISABLE
            _audit(s, admin, action, f"user:{name}")
    except NotFound:
        return _refused(request, db, _missing(username))
    return _back(done="enabled" if active else "disabled", user=name)


def _missing(username: str) -> Refused:
    """The 404 for an account that does not exist (the name echoed only if well-formed)."""
    shown = username if USERNAME_PATTERN.fullmatch(username) else "itu"
    return Refused(f"Pengguna {shown} tidak ditemukan; tidak ada yang diubah.", 404)


def _existing(s: Session, username: str) -> User:
    """The account named *username*; Refused (404) if there is none."""
    user = find_user(session=s, username=username)
    if user is None:
        raise _missing(username)
    return user


def _refused(request: Request, db: Session, err: Refused) -> HTMLResponse:
    return render_users(request, db, error=err.message, status_code=err.status_code)


@router.post("/admin/users/{username}/email", response_model=None)
def set_email_form(
    request: Request,
    admin: ManagerForm,
    username: str,
    engine: EngineDep,
    db: DbSession,
    email: Text = "",
) -> HTMLResponse | RedirectResponse:
    """Set (or, empty, remove) the address where the account hears of its assignments."""
    try:
        with session_scope(engine) as s:
            user = _existing(s, username)
            set_email(session=s, username=user.username, email=_checked_email(email))
            details = {"set": bool(email.strip())}
            _audit(s, admin, AccessAction.USER_EMAIL, f"user:{user.username}", details)
    except Refused as err:
        return _refused(request, db, err)
    return _back(done="email", user=user.username)


@router.post("/admin/users/{username}/reset-password", response_class=HTMLResponse)
def reset_password_form(
    request: Request, admin: ManagerForm, username: str, engine: EngineDep, db: DbSession
) -> HTMLResponse:
    """Give an account a new random password, shown once; its sessions end, its tokens
    are revoked."""
    try:
        with session_scope(engine) as s:
            user = _existing(s, username)
            password = generate_password(user.username)
            reset_password(session=s, username=user.username, password=password)
            _audit(s, admin, AccessAction.USER_PASSWORD, f"user:{user.username}")
    except Refused as err:
        return _refused(request, db, err)
    note = (
        "Semua sesi akun ini sudah diakhiri dan semua token API-nya dicabut; kata sandi "
        "lama tidak berlaku lagi."
    )
    secret = ShownOnce("Kata sandi baru", user.username, password, note)
    return render_users(request, db, notice=f"Kata sandi {user.username} diganti.", secret=secret)


@router.post("/admin/users/{username}/tokens", response_class=HTMLResponse)
def issue_token_form(
    request: Request,
    admin: ManagerForm,
    username: str,
    engine: EngineDep,
    db: DbSession,
    name: Text = "",
) -> HTMLResponse:
    """Create an API token acting as the account, shown once in this answer."""
    try:
        with session_scope(engine) as s:
            owner = _existing(s, username)
            if not owner.active:
                raise Refused(
                    f"Akun {owner.username} nonaktif; aktifkan dulu sebelum membuat token.", 400
                )
            if not name.strip() or len(name.strip()) > MAX_NAME:
                raise Refused(f"Beri token nama (apa yang memakainya), 1-{MAX_NAME} karakter.", 400)
            token, row = issue_api_token(session=s, username=owner.username, name=name)
            details = {"user": owner.username}
            _audit(s, admin, AccessAction.TOKEN_ISSUE, f"token:{row.id}", details)
    except Refused as err:
        return _refused(request, db, err)
    note = (
        f"Token #{row.id} \u201c{row.name}\u201d bertindak sebagai {owner.username} dengan "
        "perannya. Simpan di sistem yang memakainya."
    )
    secret = ShownOnce("Token API", owner.username, token, note)
    return render_users(request, db, notice=f"Token API #{row.id} dibuat.", secret=secret)


@router.post("/admin/tokens/{token_id}/revoke", response_model=None)
def revoke_token_form(
    request: Request, admin: ManagerForm, token_id: RowId, engine: EngineDep, db: DbSession
) -> HTMLResponse | RedirectResponse:
    """Revoke an API token: requests using it are refused from now on."""
    try:
        with session_scope(engine) as s:
            revoke_api_token(session=s, token_id=token_id)
            _audit(s, admin, AccessAction.TOKEN_REVOKE, f"token:{token_id}")
    except NotFound:
        missing = Refused(f"Token API #{token_id} tidak ditemukan; tidak ada yang diubah.", 404)
        return _refused(request, db, missing)
    return _back(done="revoked", token=token_id)


@router.get("/admin/config", response_class=HTMLResponse)
def config_page(request: Request, _: ConfigViewer) -> HTMLResponse:
    """The running configuration, read-only, secrets shown only as variable names."""
    view = getattr(request.app.state, CONFIG_VIEW_ATTR, None)
    context = {"config": view, "roles": ROLE_LABELS}
    response = TEMPLATES.TemplateResponse(request, "admin_config.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response
