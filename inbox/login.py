"""The sign-in and sign-out pages, and ``install_auth`` that plugs accounts into an app."""

import hmac
import math
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from inbox.access import Forbidden, landing_page
from inbox.auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    STATE_ATTR,
    AuthDep,
    LoginRequired,
    OptionalSignIn,
    check_same_origin,
    client_address,
    csrf_input,
    safe_next,
    signed_in_user,
)
from inbox.error_pages import install_error_pages
from inbox.sessions import AuthConfig, Authenticator, LoginResult

WRONG = "Nama pengguna atau kata sandi salah."
BLOCKED = (
    "Terlalu banyak percobaan yang gagal dari alamat ini; coba lagi dalam {minutes} menit. "
    "Dari perangkat atau jaringan lain Anda tetap dapat masuk."
)
STALE_FORM = "Formulir kedaluwarsa. Silakan coba lagi."
#: the sign-in form's CSRF cookie lives this long (seconds)
LOGIN_FORM_SECONDS = 3600


def install_auth(
    app: FastAPI, *, engine: Engine, config: AuthConfig, templates: Jinja2Templates
) -> Authenticator:
    """Give *app* sign-in: the Authenticator, /login and /logout, error pages, ``csrf_input``.

    Error pages (``inbox.error_pages``) come with it: a refused page request shows the
    site's page, in its frame, with the signed-in user's navigation.
    """
    auth = Authenticator(engine=engine, config=config)
    setattr(app.state, STATE_ATTR, auth)
    app.include_router(login_router(templates))
    templates.env.globals["csrf_input"] = csrf_input
    templates.env.globals["signed_in_user"] = signed_in_user

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        if request.headers.get("hx-request") == "true":
            # htmx swaps a redirect's body into the page; this makes it navigate instead.
            return Response(status_code=401, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)

    app.add_exception_handler(LoginRequired, on_login_required)
    install_error_pages(app, templates)
    return auth


def login_router(templates: Jinja2Templates) -> APIRouter:
    """GET/POST /login and POST /logout, rendered with *templates* (``login.html``)."""
    router = APIRouter(include_in_schema=False)

    def form_page(
        request: Request,
        auth: Authenticator,
        *,
        next_path: str | None,
        username: str = "",
        error: str | None = None,
        status_code: int = 200,
        retry_after: int | None = None,
    ) -> Response:
        cookie_name = auth.config.login_cookie
        # Reused while valid, so two open sign-in tabs do not invalidate each other.
        token = request.cookies.get(cookie_name) or ""
        if len(token) != 43:
            token = secrets.token_urlsafe(32)
        response = templates.TemplateResponse(
            request,
            "login.html",
            {"next": next_path, "username": username, "error": error, "login_token": token},
            status_code=status_code,
        )
        response.set_cookie(
            cookie_name,
            token,
            max_age=LOGIN_FORM_SECONDS,
            httponly=True,
            samesite="lax",
            secure=auth.config.secure_cookies,
        )
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @router.get("/login", response_class=HTMLResponse)
    def login_form(
        request: Request, auth: AuthDep, signed: OptionalSignIn, next: str | None = None
    ) -> Response:
        target = safe_next(next)
        if signed is not None:
            return RedirectResponse(target or landing_page(signed.user), status_code=303)
        return form_page(request, auth, next_path=target)

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        auth: AuthDep,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str | None, Form()] = None,
        csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    ) -> Response:
        check_same_origin(request)
        target = safe_next(next)
        username = username[:200]
        expected = request.cookies.get(auth.config.login_cookie) or ""
        # Double-submit check: a page on another site can post this form but cannot
        # read or set our cookie, so it cannot sign a victim in to its own account.
        if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
            return form_page(
                request,
                auth,
                next_path=target,
                username=username,
                error=STALE_FORM,
                status_code=403,
            )
        outcome = auth.authenticate(username, password, client_address(request))
        if outcome.result is LoginResult.BLOCKED:
            seconds = math.ceil((outcome.retry_after or timedelta(0)).total_seconds())
            return form_page(
                request,
                auth,
                next_path=target,
                username=username,
                error=BLOCKED.format(minutes=max(1, math.ceil(seconds / 60))),
                status_code=429,
                retry_after=seconds,
            )
        if outcome.result is not LoginResult.OK or outcome.user is None:
            return form_page(
                request,
                auth,
                next_path=target,
                username=username,
                error=WRONG,
                status_code=401,
            )
        # Always a new session id at sign-in, so an id planted before it is worthless.
        new = auth.start_session(
            outcome.user, replacing=request.cookies.get(auth.config.session_cookie)
        )
        response = RedirectResponse(target or landing_page(outcome.user), status_code=303)
        response.set_cookie(
            auth.config.session_cookie,
            new.cookie,
            max_age=auth.config.session_hours * 3600,
            expires=new.expires_at,
            httponly=True,
            samesite="lax",
            secure=auth.config.secure_cookies,
        )
        response.delete_cookie(
            auth.config.login_cookie, secure=auth.config.secure_cookies, httponly=True
        )
        return response

    @router.post("/logout")
    async def logout(request: Request, auth: AuthDep, signed: OptionalSignIn) -> Response:
        if signed is not None:
            check_same_origin(request)
            sent = request.headers.get(CSRF_HEADER)
            if sent is None:
                value = (await request.form()).get(CSRF_FIELD)
                sent = value if isinstance(value, str) else ""
            if not hmac.compare_digest(sent.encode(), signed.csrf_token.encode()):
                raise Forbidden("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman.")
            await run_in_threadpool(
                auth.end_session, request.cookies.get(auth.config.session_cookie)
            )
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(
            auth.config.session_cookie,
            secure=auth.config.secure_cookies,
            httponly=True,
            samesite="lax",
        )
        return response

    return router
