"""Sign-in and access: passwords, sessions, CSRF, sign-in limits, API tokens and roles.

Pages use the session cookie: ``CurrentUser`` (redirects to /login when nobody is
signed in), ``CsrfUser`` (also checks the form's ``csrf_token`` and the Origin) and
``require_role(...)`` / ``require_permission(...)``. The REST API uses ``ApiUser``
(``Authorization: Bearer adn_...``) and never reads cookies, so it needs no CSRF token.
Which complaints a user may see or change is decided by ``access`` (an ``Access``).

The cookie carries a random session id signed with the secret key; the store keeps
only the SHA-256 of that id, so a copy of the table cannot be turned into cookies,
and revoking the row (logout, disable, password reset) kills every copy of the cookie.
"""

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from base64 import urlsafe_b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from markupsafe import Markup
from pwdlib import PasswordHash
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from inbox.accounts import (
    AccountError,
    WeakPassword,
    add_api_token,
    admin_exists,
    check_role,
    create_user,
    create_web_session,
    find_api_token,
    find_user,
    find_web_session,
    get_user,
    mark_login,
    normalize_username,
    prune_login_attempts,
    recent_failures,
    record_login_attempt,
    revoke_user_sessions,
    revoke_web_session,
    set_password_hash,
    touch_api_token,
)
from models.db import session_scope
from models.exceptions import ConfigError
from models.tables import ApiToken, Complaint, User
from models.types import utcnow
from models.vocab import ROLES, Role

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
#: argon2 takes any length, but hashing megabytes per request would be a cheap DoS
MAX_PASSWORD_LENGTH = 1024
MIN_SECRET_LENGTH = 32
SECRET_FILE = "web_secret.key"  # noqa: S105 (a file name, not a secret)
LOGIN_WINDOW = timedelta(minutes=15)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TOKEN_PREFIX = "adn_"  # noqa: S105 (marks our tokens, e.g. for secret scanners)
#: characters of a token kept in clear, to tell tokens apart in lists
TOKEN_PREFIX_LENGTH = 12
#: a token's last_used_at is written at most this often, not on every API call
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
#: the attribute of ``app.state`` holding the Authenticator (set by install_auth)
STATE_ATTR = "aduan_auth"

_COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "password12", "password123", "passw0rd", "1234567890",
        "12345678910", "0123456789", "qwertyuiop", "qwerty1234", "qwerty12345", "1q2w3e4r5t",
        "katasandi", "katasandi1", "katasandi123", "administrator", "admin12345", "adminadmin",
        "iloveyou12", "denpasar123", "bismillah", "bismillah123", "aduan12345", "rahasia123",
        "changeme123", "letmein123", "welcome123", "selamatdatang",
    }
)  # fmt: skip
_PLACEHOLDER_WORDS = (
    "changeme", "change-me", "change_me", "changethis", "secret", "placeholder", "example",
    "password", "your-", "your_", "replace", "todo", "xxxxxx", "rahasia",
)  # fmt: skip

_hasher = PasswordHash.recommended()


# --- passwords --------------------------------------------------------------------


def check_password(password: str, *, username: str) -> None:
    """Raise WeakPassword unless *password* is long, varied and unrelated to *username*."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"password must be at most {MAX_PASSWORD_LENGTH} characters")
    low, name = password.lower(), username.strip().lower()
    # Short names would forbid too many passwords by mere containment.
    if name and (low == name or (len(name) >= 4 and name in low)):
        raise WeakPassword("password must not be or contain the username")
    if len(set(password)) < 5:
        raise WeakPassword("password has too few different characters")
    if low in _COMMON_PASSWORDS or "changeme" in low:
        raise WeakPassword("password is too common")


def hash_password(password: str, *, username: str) -> str:
    """The argon2 hash of *password* after checking its strength."""
    check_password(password, username=username)
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one uses outdated parameters, else None)."""
    return _hasher.verify_and_update(password, password_hash)


def generate_password(username: str = "") -> str:
    """A random password that passes ``check_password`` for *username* (about 120 bits)."""
    while True:
        candidate = secrets.token_urlsafe(15)
        try:
            check_password(candidate, username=username)
        except WeakPassword:  # pragma: no cover - astronomically unlikely
            continue
        return candidate


@cache
def _dummy_hash() -> str:
    # Verifying against this for unknown users makes them take as long as known ones,
    # so response time does not reveal which usernames exist.
    return _hasher.hash(secrets.token_urlsafe(16))


# --- the secret key and signed values --------------------------------------------


def load_secret_key(env_name: str, data_dir: Path) -> bytes:
    """The cookie-signing key: from $env_name if set, else from (or created at) a key file.

    A set variable that is short or a placeholder is refused with ConfigError naming
    it. The file is created once with mode 0600 and reused, so sessions survive restarts.
    """
    value = os.environ.get(env_name, "")
    if value:
        _check_secret(value, f"environment variable {env_name}")
        return value.encode()
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        _create_key_file(path)
    try:
        if path.stat().st_mode & 0o077:
            log.warning("%s was readable by others; restricting it to its owner", path)
            path.chmod(0o600)
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the web secret key: {err}") from None
    _check_secret(text, str(path))
    return text.encode()


def _check_secret(value: str, where: str) -> None:
    hint = "create one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{where}: the web secret key must be at least {MIN_SECRET_LENGTH} characters; {hint}"
        )
    low = value.lower()
    if any(word in low for word in _PLACEHOLDER_WORDS) or len(set(value)) < 10:
        raise ConfigError(f"{where}: the web secret key looks like a placeholder; {hint}")


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a private temporary file and linked into place: the key is never
    # visible half-written or with loose permissions, and when two processes start at
    # once the link of the second fails and it reads the first one's key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".web_secret.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    log.info("created a new web secret key at %s", path)


def _subkey(key: bytes, purpose: str) -> bytes:
    # One key per use, so a value signed for one purpose is never accepted for another.
    return hmac.new(key, b"aduan:" + purpose.encode(), hashlib.sha256).digest()


def sign_value(value: str, key: bytes) -> str:
    """*value* with an HMAC-SHA256 signature appended (``value.signature``)."""
    mac = hmac.new(key, value.encode(), hashlib.sha256).digest()
    return f"{value}.{urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def unsign_value(signed: str, key: bytes) -> str | None:
    """The value of a ``sign_value`` result, or None if the signature does not match."""
    value, sep, _ = signed.rpartition(".")
    if not sep or not value:
        return None
    if hmac.compare_digest(sign_value(value, key).encode(), signed.encode()):
        return value
    return None


def sha256_hex(value: str) -> str:
    """Hex SHA-256 of *value*: how session ids and API tokens are stored."""
    return hashlib.sha256(value.encode()).hexdigest()


# --- configuration and the authenticator -----------------------------------------


@dataclass(frozen=True)
class AuthConfig:
    """Sign-in settings, built by the composition root from ``WebConfig``."""

    secret_key: bytes
    session_hours: int = 12
    secure_cookies: bool = False
    #: failed sign-ins allowed per account and per address within LOGIN_WINDOW
    login_attempts: int = 5

    def __post_init__(self) -> None:
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"the web secret key must be at least {MIN_SECRET_LENGTH} bytes")

    @property
    def session_cookie(self) -> str:
        """The session cookie's name; ``__Host-`` pins it to our host when served over HTTPS."""
        return "__Host-aduan_session" if self.secure_cookies else "aduan_session"

    @property
    def login_cookie(self) -> str:
        """The cookie holding the sign-in form's CSRF token (before any session exists)."""
        return "__Host-aduan_login" if self.secure_cookies else "aduan_login"


class LoginResult(StrEnum):
    """How a sign-in attempt ended."""

    OK = "ok"
    INVALID = "invalid"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class LoginOutcome:
    """The result of ``Authenticator.authenticate``; *user* is set only when OK."""

    result: LoginResult
    user: User | None = None


@dataclass(frozen=True)
class SignedIn:
    """A live browser session: who, and the CSRF token their forms must echo."""

    user: User
    session_hash: str
    csrf_token: str


@dataclass(frozen=True)
class NewSession:
    """A session just started: the cookie value to set and when it expires."""

    cookie: str
    csrf_token: str
    expires_at: datetime


@dataclass
class Authenticator:
    """Sign-in, sessions and tokens over one store; held in ``app.state``."""

    engine: Engine
    config: AuthConfig
    clock: Callable[[], datetime] = field(default=utcnow)

    def authenticate(self, username: str, password: str, address: str) -> LoginOutcome:
        """Check a sign-in, recording it; BLOCKED (password unchecked) when over the limit."""
        now = self.clock()
        name = username.strip().lower()[:100]
        with session_scope(self.engine) as s:
            for_account, for_address = recent_failures(
                session=s, username=name, address=address, since=now - LOGIN_WINDOW
            )
            limit = self.config.login_attempts
            if for_account >= limit or for_address >= limit:
                # Recorded as a failure, so hammering a locked account keeps it locked.
                record_login_attempt(
                    session=s, username=name, address=address, success=False, at=now
                )
                log.warning("sign-in refused (too many failures): user %r from %s", name, address)
                return LoginOutcome(LoginResult.BLOCKED)
            user = find_user(session=s, username=name)
        # Hashing is slow on purpose; it runs outside any transaction.
        if not password or len(password) > MAX_PASSWORD_LENGTH:
            ok, new_hash = False, None
        else:
            ok, new_hash = verify_password(
                password, user.password_hash if user is not None else _dummy_hash()
            )
        ok = ok and user is not None and user.active
        with session_scope(self.engine) as s:
            record_login_attempt(session=s, username=name, address=address, success=ok, at=now)
            if not ok or user is None or user.id is None:
                return LoginOutcome(LoginResult.INVALID)
            mark_login(session=s, user_id=user.id, at=now)
            if new_hash is not None:
                set_password_hash(session=s, user_id=user.id, password_hash=new_hash)
            # Attempts older than a day no longer count; keeping them only grows the table.
            prune_login_attempts(session=s, before=now - timedelta(days=1))
        user.last_login_at = now
        return LoginOutcome(LoginResult.OK, user)

    def start_session(self, user: User, *, replacing: str | None = None) -> NewSession:
        """Start a session for *user* with a fresh id; *replacing* (an old cookie) is revoked."""
        assert user.id is not None
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        expires_at = now + timedelta(hours=self.config.session_hours)
        with session_scope(self.engine) as s:
            if replacing and (old := self._session_hash(replacing)) is not None:
                revoke_web_session(session=s, id_hash=old, now=now)
            create_web_session(
                session=s,
                user_id=user.id,
                id_hash=sha256_hex(session_id),
                csrf_token=csrf_token,
                expires_at=expires_at,
            )
        return NewSession(
            sign_value(session_id, _subkey(self.config.secret_key, "session")),
            csrf_token,
            expires_at,
        )

    def signed_in(self, cookie: str | None) -> SignedIn | None:
        """The live session a cookie value names, or None (bad signature, expired, revoked)."""
        id_hash = self._session_hash(cookie) if cookie else None
        if id_hash is None:
            return None
        with Session(self.engine, expire_on_commit=False) as s:
            found = find_web_session(session=s, id_hash=id_hash, now=self.clock())
        if found is None:
            return None
        web_session, user = found
        return SignedIn(user=user, session_hash=id_hash, csrf_token=web_session.csrf_token)

    def end_session(self, cookie: str | None) -> None:
        """Revoke the session a cookie names (logout); unknown cookies are ignored."""
        id_hash = self._session_hash(cookie) if cookie else None
        if id_hash is not None:
            with session_scope(self.engine) as s:
                revoke_web_session(session=s, id_hash=id_hash, now=self.clock())

    def user_for_token(self, token: str) -> User | None:
        """The enabled user an unrevoked API token belongs to; notes when it was used."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        now = self.clock()
        with session_scope(self.engine) as s:
            found = find_api_token(session=s, token_hash=sha256_hex(token))
            if found is None:
                return None
            api_token, user = found
            last = api_token.last_used_at
            if api_token.id is not None and (last is None or now - last >= TOKEN_TOUCH_INTERVAL):
                touch_api_token(session=s, token_id=api_token.id, at=now)
        return user

    def _session_hash(self, cookie: str) -> str | None:
        session_id = unsign_value(cookie, _subkey(self.config.secret_key, "session"))
        return sha256_hex(session_id) if session_id else None


# --- account operations (used by the CLI and the run command) ---------------------


def create_account(
    *,
    session: Session,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    agency_code: str | None = None,
) -> User:
    """Create a user with *password* after checking role, agency and password strength."""
    name = normalize_username(username)
    check_role(session=session, role=role, agency_code=agency_code)
    return create_user(
        session=session,
        username=name,
        role=role,
        password_hash=hash_password(password, username=name),
        display_name=display_name,
        agency_code=agency_code,
    )


def reset_password(*, session: Session, username: str, password: str) -> User:
    """Give a user a new password and end all their browser sessions."""
    user = get_user(session=session, username=username)
    assert user.id is not None
    set_password_hash(
        session=session,
        user_id=user.id,
        password_hash=hash_password(password, username=user.username),
    )
    revoke_user_sessions(session=session, user_id=user.id)
    return user


def issue_api_token(*, session: Session, username: str, name: str) -> tuple[str, ApiToken]:
    """Create an API token for a user: (the token, shown once; its stored row)."""
    user = get_user(session=session, username=username)
    if not user.active:
        raise AccountError(f"user {user.username!r} is disabled")
    if not name.strip():
        raise AccountError("give the token a --name saying what uses it")
    assert user.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = add_api_token(
        session=session,
        user_id=user.id,
        name=name,
        prefix=token[:TOKEN_PREFIX_LENGTH],
        token_hash=sha256_hex(token),
    )
    return token, row


FIRST_ADMIN = "admin"


def ensure_first_admin(engine: Engine) -> str | None:
    """Create user "admin" with a random password if no admin exists; return that password.

    Returns None when an admin exists (even a disabled one: disabling was a decision)
    or when the name "admin" is taken by a non-admin; the caller prints the password once.
    """
    password = generate_password(FIRST_ADMIN)
    try:
        with session_scope(engine) as s:
            if admin_exists(session=s):
                return None
            if find_user(session=s, username=FIRST_ADMIN) is not None:
                log.warning(
                    "no admin account and the name %r is taken; "
                    "create one with: aduan users create NAME --role admin",
                    FIRST_ADMIN,
                )
                return None
            create_account(
                session=s, username=FIRST_ADMIN, role=Role.ADMIN, password=password,
                display_name="Administrator",
            )  # fmt: skip
    except IntegrityError:
        # Another process created it at the same moment; its password was printed there.
        return None
    return password


# --- roles and permissions --------------------------------------------------------


class Permission(StrEnum):
    """Something a role may do; ROLE_PERMISSIONS says who."""

    DASHBOARD = "dashboard"
    READ_COMPLAINTS = "read_complaints"
    WORK_COMPLAINTS = "work_complaints"
    TRIAGE = "triage"
    REASSIGN = "reassign"
    EXPORT = "export"
    RETRY_DELIVERY = "retry_delivery"
    MANAGE_USERS = "manage_users"
    VIEW_CONFIG = "view_config"


#: The role matrix. Agency users are further limited to their own inbox by Access;
#: viewers see city-wide aggregates only, never a complaint's text or its authors.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Listed one by one, so a permission added later is not granted by default.
    Role.OPERATOR: frozenset(
        {
            Permission.DASHBOARD,
            Permission.READ_COMPLAINTS,
            Permission.WORK_COMPLAINTS,
            Permission.TRIAGE,
            Permission.REASSIGN,
            Permission.EXPORT,
            Permission.RETRY_DELIVERY,
        }
    ),
    Role.AGENCY: frozenset(
        {Permission.READ_COMPLAINTS, Permission.WORK_COMPLAINTS, Permission.EXPORT}
    ),
    Role.VIEWER: frozenset({Permission.DASHBOARD}),
}


class Forbidden(HTTPException):
    """Raised when a signed-in user may not do something; answered with 403."""

    def __init__(self, detail: str = "Anda tidak berhak membuka halaman ini.") -> None:
        super().__init__(status_code=403, detail=detail)


class LoginRequired(HTTPException):
    """Raised by page dependencies when nobody is signed in; answered with a redirect."""

    def __init__(self, location: str) -> None:
        super().__init__(status_code=303, detail="Silakan masuk", headers={"Location": location})
        self.location = location


class Access:
    """Which complaints a user may read or change; every page and API route asks here."""

    def can(self, user: User, permission: Permission) -> bool:
        """Whether *user*'s role grants *permission* (before any per-inbox limit)."""
        return user.active and permission in ROLE_PERMISSIONS.get(user.role, frozenset())

    def inbox_filter(self, user: User) -> str | None:
        """The inbox an agency user is limited to; None (all inboxes) for Kominfo staff.

        Fails closed: raises Forbidden for a role that may not list complaints
        (viewer) and for an agency user without an agency, rather than returning None.
        """
        if not self.can(user, Permission.READ_COMPLAINTS):
            raise Forbidden()
        if user.role == Role.AGENCY:
            if not user.agency_code:
                raise Forbidden("Akun instansi ini belum terhubung ke inbox mana pun.")
            return user.agency_code
        return None

    def can_read_inbox(self, user: User, code: str) -> bool:
        """Whether *user* may list the inbox *code* (an agency user: only their own)."""
        if not self.can(user, Permission.READ_COMPLAINTS):
            return False
        return user.role != Role.AGENCY or (bool(user.agency_code) and code == user.agency_code)

    def can_read_complaint(self, user: User, complaint: Complaint) -> bool:
        """Whether *user* may see *complaint* (its text, history, mentions)."""
        return self.can(user, Permission.READ_COMPLAINTS) and self._in_scope(user, complaint)

    def can_change(self, user: User, complaint: Complaint) -> bool:
        """Whether *user* may change *complaint*: status, notes, "bukan wewenang"."""
        return self.can(user, Permission.WORK_COMPLAINTS) and self._in_scope(user, complaint)

    def complaint_or_404(self, *, session: Session, user: User, complaint_id: int) -> Complaint:
        """The complaint if *user* may read it; 404 both when missing and when not theirs.

        The same answer for both stops an agency user from learning, by guessing ids,
        which complaints exist in other inboxes.
        """
        complaint = session.get(Complaint, complaint_id)
        if complaint is None or not self.can_read_complaint(user, complaint):
            raise HTTPException(status_code=404, detail="Pengaduan tidak ditemukan")
        return complaint

    def _in_scope(self, user: User, complaint: Complaint) -> bool:
        if user.role == Role.AGENCY:
            return bool(user.agency_code) and complaint.inbox == user.agency_code
        return True


access = Access()


def landing_page(user: User) -> str:
    """Where a user goes after signing in when no page was asked for."""
    if user.role == Role.AGENCY and user.agency_code:
        return f"/inbox/{user.agency_code}"
    return "/"


def safe_next(value: str | None) -> str | None:
    """*value* if it is a local path to return to after sign-in, else None (no open redirect)."""
    if not value or len(value) > 2000 or not value.startswith("/"):
        return None
    # "//host" and "/\\host" are read by browsers as another host.
    if value.startswith("//") or "\\" in value:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return None
    return value


def login_url(request: Request) -> str:
    """/login, with the current page as ``next`` when it can be returned to (GET only)."""
    if request.method not in ("GET", "HEAD"):
        return "/login"
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = safe_next(here)
    return "/login?" + urlencode({"next": target}) if target and target != "/" else "/login"


def check_same_origin(request: Request) -> None:
    """Raise Forbidden when a browser says the request comes from another site."""
    origin = request.headers.get("origin")
    if origin is not None:
        host = (request.headers.get("host") or "").lower()
        if origin == "null" or urlsplit(origin).netloc.lower() != host:
            raise Forbidden("Permintaan dari situs lain ditolak.")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Forbidden("Permintaan dari situs lain ditolak.")


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: uvicorn --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def csrf_input(request: Request) -> Markup:
    """The hidden ``csrf_token`` form field; a Jinja global: ``{{ csrf_input(request) }}``."""
    token = getattr(request.state, "csrf_token", "") or ""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def signed_in_user(request: Request) -> User | None:
    """The user of this page request, if signed in; a Jinja global for the page header."""
    user = getattr(request.state, "user", None)
    return user if isinstance(user, User) else None


# --- FastAPI dependencies ---------------------------------------------------------


def authenticator(request: Request) -> Authenticator:
    """The app's Authenticator (installed by ``inbox.login.install_auth``)."""
    auth = getattr(request.app.state, STATE_ATTR, None)
    if not isinstance(auth, Authenticator):
        raise RuntimeError("inbox.login.install_auth(app, ...) was not called")
    return auth


AuthDep = Annotated[Authenticator, Depends(authenticator)]


def optional_sign_in(request: Request, auth: AuthDep) -> SignedIn | None:
    """The browser's live session, or None; exposes user and CSRF token on ``request.state``."""
    signed = auth.signed_in(request.cookies.get(auth.config.session_cookie))
    if signed is not None:
        request.state.user = signed.user
        request.state.csrf_token = signed.csrf_token
    return signed


OptionalSignIn = Annotated[SignedIn | None, Depends(optional_sign_in)]


def sign_in_required(request: Request, signed: OptionalSignIn) -> SignedIn:
    """The live session; LoginRequired (a redirect to /login?next=...) when there is none."""
    if signed is None:
        raise LoginRequired(login_url(request))
    return signed


SignedInDep = Annotated[SignedIn, Depends(sign_in_required)]


def current_user(signed: SignedInDep) -> User:
    """The signed-in user of a page request."""
    return signed.user


CurrentUser = Annotated[User, Depends(current_user)]


async def require_csrf(request: Request, signed: SignedInDep) -> None:
    """Reject (403) a state-changing request without this session's CSRF token or from elsewhere.

    The token comes from the form field ``csrf_token`` or, for htmx, the header
    ``X-CSRF-Token``.
    """
    check_same_origin(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        # Starlette caches the parsed form, so the route's Form() parameters still work.
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), signed.csrf_token.encode()):
        raise Forbidden("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")


def csrf_user(signed: SignedInDep, _: Annotated[None, Depends(require_csrf)]) -> User:
    """The signed-in user of a state-changing form, after the CSRF and Origin checks."""
    return signed.user


CsrfUser = Annotated[User, Depends(csrf_user)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="API token from `aduan tokens create USERNAME --name NAME`",
)


def api_user(
    auth: AuthDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of an API request (``Authorization: Bearer adn_...``); 401 otherwise."""
    user = auth.user_for_token(credentials.credentials) if credentials is not None else None
    if user is None:
        raise HTTPException(
            status_code=401,
            detail="Token API tidak ada, tidak sah, atau sudah dicabut",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


ApiUser = Annotated[User, Depends(api_user)]


def _check_roles(roles: tuple[str, ...]) -> frozenset[str]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}; known: {', '.join(ROLES)}")
    return frozenset(roles)


def require_role(*roles: str) -> Callable[[User], User]:
    """A page dependency returning the signed-in user if their role is one of *roles*."""
    allowed = _check_roles(roles)

    def dependency(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden()
        return user

    return dependency


def require_api_role(*roles: str) -> Callable[[User], User]:
    """Like ``require_role``, for the token-authenticated API."""
    allowed = _check_roles(roles)

    def dependency(user: ApiUser) -> User:
        if user.role not in allowed:
            raise Forbidden("Peran token ini tidak mengizinkan permintaan tersebut.")
        return user

    return dependency


def require_permission(permission: Permission) -> Callable[[User], User]:
    """A page dependency returning the signed-in user if their role grants *permission*."""

    def dependency(user: CurrentUser) -> User:
        if not access.can(user, permission):
            raise Forbidden()
        return user

    return dependency
