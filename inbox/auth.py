"""Sign-in and access as FastAPI dependencies, and the request checks they rely on.

Pages use the session cookie: ``CurrentUser`` (redirects to /login when nobody is
signed in), ``CsrfUser`` (also checks the form's ``csrf_token`` and the Origin) and
``require_role(...)`` / ``require_permission(...)``. The REST API uses ``ApiUser``
(``Authorization: Bearer adn_...``) and never reads cookies, so it needs no CSRF token.
Which complaints a user may see or change is decided by ``inbox.access``; sessions by
``inbox.sessions``; the key that signs cookies by ``inbox.signing``.
"""

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from markupsafe import Markup

from inbox.access import Forbidden, Permission, access
from inbox.sessions import Authenticator, SignedIn
from inbox.web import open_request_session
from models.tables import User
from models.vocab import ROLES

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: the attribute of ``app.state`` holding the Authenticator (set by install_auth)
STATE_ATTR = "aduan_auth"


class LoginRequired(HTTPException):
    """Raised by page dependencies when nobody is signed in; answered with a redirect."""

    def __init__(self, location: str) -> None:
        super().__init__(status_code=303, detail="Silakan masuk", headers={"Location": location})
        self.location = location


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


async def _app_authenticator(request: Request) -> Authenticator:
    return authenticator(request)


# Dependencies that only read the request or another dependency's value are ``async``:
# FastAPI runs a plain ``def`` one in its thread pool, a hand-over each that costs a
# page more CPU than the check itself.
AuthDep = Annotated[Authenticator, Depends(_app_authenticator)]


def optional_sign_in(request: Request, auth: AuthDep) -> SignedIn | None:
    """The browser's live session, or None; exposes user and CSRF token on ``request.state``.

    Looked up through the page's own store session when it has one (``DbSession``
    declared before the user), else through the Authenticator's own.
    """
    cookie = request.cookies.get(auth.config.session_cookie)
    if not cookie:
        return None
    signed = auth.signed_in(cookie, session=open_request_session(request))
    if signed is not None:
        request.state.user = signed.user
        request.state.csrf_token = signed.csrf_token
    return signed


OptionalSignIn = Annotated[SignedIn | None, Depends(optional_sign_in)]


async def sign_in_required(request: Request, signed: OptionalSignIn) -> SignedIn:
    """The live session; LoginRequired (a redirect to /login?next=...) when there is none."""
    if signed is None:
        raise LoginRequired(login_url(request))
    return signed


SignedInDep = Annotated[SignedIn, Depends(sign_in_required)]


async def current_user(signed: SignedInDep) -> User:
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


async def csrf_user(signed: SignedInDep, _: Annotated[None, Depends(require_csrf)]) -> User:
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


def require_role(*roles: str) -> Callable[[User], Awaitable[User]]:
    """A page dependency returning the signed-in user if their role is one of *roles*."""
    allowed = _check_roles(roles)

    async def dependency(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden()
        return user

    return dependency


def require_api_role(*roles: str) -> Callable[[User], Awaitable[User]]:
    """Like ``require_role``, for the token-authenticated API."""
    allowed = _check_roles(roles)

    async def dependency(user: ApiUser) -> User:
        if user.role not in allowed:
            raise Forbidden("Peran token ini tidak mengizinkan permintaan tersebut.")
        return user

    return dependency


def require_permission(permission: Permission) -> Callable[[User], Awaitable[User]]:
    """A page dependency returning the signed-in user if their role grants *permission*."""

    async def dependency(user: CurrentUser) -> User:
        if not access.can(user, permission):
            raise Forbidden()
        return user

    return dependency
