"""The public tracking page: ``/lacak`` and ``/lacak/{number}``, no sign-in.

A citizen who got a complaint number in a reply follows it here: its status, the
agency handling it, the dates of each step and the status notes, masked. Never the
post's text, its author, the staff who acted, or the inbox's internal id. A
confidential complaint shows only its number, status and dates.

Look-ups are limited per client address (``public.tracking_per_minute``): numbers
run in sequence, so the limit is what keeps anyone from reading them all at speed.
What a number shows is public anyway (Open311 shows the same and more).
"""

import threading
import time
from collections import deque
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from inbox.auth import client_address
from inbox.web import TEMPLATES, DbSession
from models.complaint_detail import track
from models.public_number import normalize_number
from models.vocab import STATUS_LABELS

router = APIRouter(include_in_schema=False)

#: app.state attribute holding the look-ups allowed per client address per minute
TRACKING_RATE_ATTR = "aduan_tracking_per_minute"
DEFAULT_PER_MINUTE = 20
_WINDOW_S = 60.0
_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


class RateLimiter:
    """A sliding one-minute window of look-ups per client address, in memory."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, address: str, per_minute: int, now: float | None = None) -> float:
        """0 and counted when *address* may look up now; else seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle addresses, keep memory bounded
                self._seen = {a: q for a, q in self._seen.items() if q and q[-1] > now - _WINDOW_S}
            seen = self._seen.setdefault(address, deque())
            while seen and seen[0] <= now - _WINDOW_S:
                seen.popleft()
            if len(seen) >= per_minute:
                return seen[0] + _WINDOW_S - now
            seen.append(now)
            return 0.0


#: app.state attribute holding the app's RateLimiter (one per app: tests stay apart)
_LIMITER_ATTR = "aduan_tracking_limiter"
_LIMITER_LOCK = threading.Lock()


def _limiter(request: Request) -> RateLimiter:
    with _LIMITER_LOCK:
        limiter = getattr(request.app.state, _LIMITER_ATTR, None)
        if limiter is None:
            limiter = RateLimiter()
            setattr(request.app.state, _LIMITER_ATTR, limiter)
        return limiter


def _limited(request: Request) -> Response | None:
    per_minute = getattr(request.app.state, TRACKING_RATE_ATTR, None) or DEFAULT_PER_MINUTE
    wait = _limiter(request).wait(client_address(request), int(per_minute))
    if wait <= 0:
        return None
    seconds = max(int(wait) + 1, 1)
    response = _page(
        request,
        error=f"Terlalu banyak pencarian. Coba lagi dalam {seconds} detik.",
        status_code=429,
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def _page(request: Request, status_code: int = 200, **context: object) -> HTMLResponse:
    values: dict[str, object] = {
        "statuses": STATUS_LABELS,
        "found": None,
        "typed": "",
        "error": None,
    }
    values.update(context)
    response = TEMPLATES.TemplateResponse(request, "lacak.html", values, status_code=status_code)
    response.headers.update(_HEADERS)
    return response


@router.get("/lacak", response_class=HTMLResponse, response_model=None)
def lacak_form(
    request: Request, nomor: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    """The search form; with ``?nomor=`` the complaint's page."""
    if nomor is None or not nomor.strip():
        return _page(request)
    number = normalize_number(nomor)
    if number is None:
        return _page(
            request,
            typed=nomor,
            error="Nomor tidak dikenali. Contoh nomor pengaduan: DPS-26-00123.",
            status_code=400,
        )
    return RedirectResponse(f"/lacak/{number}", status_code=303)


@router.get("/lacak/{number}", response_class=HTMLResponse, response_model=None)
def lacak(request: Request, number: str, db: DbSession) -> Response:
    """One complaint as the public may see it; 404 for a number nobody has."""
    limited = _limited(request)
    if limited is not None:
        return limited
    canonical = normalize_number(number[:40])
    if canonical is None:
        return _page(
            request,
            typed=number[:40],
            error="Nomor tidak dikenali. Contoh nomor pengaduan: DPS-26-00123.",
            status_code=404,
        )
    if canonical != number:
        return RedirectResponse(f"/lacak/{canonical}", status_code=303)
    found = track(session=db, number=canonical)
    if found is None:
        return _page(
            request,
            typed=canonical,
            error=f"Pengaduan {canonical} tidak ditemukan. Periksa kembali nomornya.",
            status_code=404,
        )
    return _page(request, found=found, typed=canonical)
