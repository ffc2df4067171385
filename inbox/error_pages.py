"""Error answers: the site's own page for the pages, JSON for the APIs.

A page route that answers 403, 404, 422 or 500 shows an Indonesian page in the
site's frame (header, navigation); ``/api/``, ``/open311/`` and the operations routes
keep their JSON (the API routers turn their own errors into JSON before they get
here; this covers what reaches the app, such as an unknown path under ``/api/``).
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from inbox.auth import STATE_ATTR
from inbox.sessions import Authenticator

log = logging.getLogger(__name__)

#: paths that answer errors as JSON (or plain text) rather than as a page
MACHINE_PREFIXES = ("/api/", "/open311/", "/healthz", "/metrics", "/static/")

#: the page's heading per status
TITLES: dict[int, str] = {
    400: "Permintaan tidak valid",
    401: "Perlu masuk",
    403: "Akses ditolak",
    404: "Halaman tidak ditemukan",
    405: "Metode tidak diizinkan",
    409: "Tidak dapat diproses",
    422: "Alamat atau isian tidak valid",
    429: "Terlalu banyak permintaan",
    500: "Terjadi kesalahan",
    503: "Layanan belum siap",
}
#: the message when the error carries none in Indonesian
MESSAGES: dict[int, str] = {
    404: "Halaman atau data yang Anda cari tidak ada, atau tidak dapat Anda buka.",
    405: "Alamat ini tidak menerima permintaan semacam itu.",
    500: "Terjadi kesalahan di server. Kejadian ini dicatat; coba lagi nanti.",
}
#: where a bad value came from, as the page names it
_PLACES = {"path": "bagian alamat", "query": "parameter", "body": "isian formulir"}
#: the parameters of the pages, as the page names them
_NAMES = {
    "complaint_id": "nomor pengaduan",
    "mention_id": "nomor kiriman",
    "outbox_id": "nomor notifikasi",
    "token_id": "nomor token",
    "days": "rentang hari",
    "to_status": "status tujuan",
}


def wants_page(request: Request) -> bool:
    """Whether *request* is for a page (HTML error page) rather than an API (JSON)."""
    return not request.url.path.startswith(MACHINE_PREFIXES)


def validation_message(errors: Any) -> str:
    """The Indonesian sentence for FastAPI's list of validation errors."""
    names = []
    for err in errors if isinstance(errors, list | tuple) else []:
        loc: tuple[Any, ...] = tuple(err.get("loc", ())) if isinstance(err, dict) else ()
        if len(loc) >= 2:
            name = _NAMES.get(str(loc[-1]), str(loc[-1]))
            names.append(f"{_PLACES.get(str(loc[0]), str(loc[0]))} \u201c{name}\u201d")
    if not names:
        return "Permintaan tidak dapat dibaca."
    return "Nilai tidak valid pada " + ", ".join(dict.fromkeys(names)) + "."


def install_error_pages(app: FastAPI, templates: Jinja2Templates) -> None:
    """Answer the app's errors with ``error.html`` on page routes and JSON elsewhere."""

    async def page(
        request: Request, status_code: int, message: str, headers: Any = None
    ) -> Response:
        if getattr(request.state, "user", None) is None:
            # Errors raised before any page dependency ran (an unknown path, a bad id)
            # still show the signed-in user's header and navigation.
            await run_in_threadpool(_find_user, request)
        context = {
            "status_code": status_code,
            "title": TITLES.get(status_code, "Terjadi kesalahan"),
            "message": message,
        }
        response = templates.TemplateResponse(
            request, "error.html", context, status_code=status_code, headers=headers
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not wants_page(request):
            return await http_exception_handler(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) else ""
        # Starlette's own words for an unknown path are English; ours are not.
        if not detail or detail == _phrase(exc.status_code):
            fallback = TITLES.get(exc.status_code, "Terjadi kesalahan") + "."
            detail = MESSAGES.get(exc.status_code, fallback)
        return await page(request, exc.status_code, detail, getattr(exc, "headers", None))

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not wants_page(request):
            return await request_validation_exception_handler(request, exc)
        return await page(request, 422, validation_message(exc.errors()))

    async def on_crash(request: Request, exc: Exception) -> Response:
        # Called by Starlette's ServerErrorMiddleware, which logs the traceback itself.
        if not wants_page(request):
            return JSONResponse({"detail": "Kesalahan server / internal server error"}, 500)
        try:
            return await page(request, 500, MESSAGES[500])
        except Exception:  # the page itself failed: plain words rather than nothing
            log.exception("the error page could not be rendered")
            return HTMLResponse(MESSAGES[500], status_code=500)

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Exception, on_crash)


def _find_user(request: Request) -> None:
    auth = getattr(request.app.state, STATE_ATTR, None)
    if isinstance(auth, Authenticator):
        signed = auth.signed_in(request.cookies.get(auth.config.session_cookie))
        if signed is not None:
            request.state.user = signed.user
            request.state.csrf_token = signed.csrf_token


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""
