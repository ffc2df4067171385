"""The public tracking page: ``/lacak`` and ``/lacak/{number}``, no sign-in.

A citizen who got a complaint number in a reply follows it here: its status, the
agency handling it, the dates of each step and the status notes, masked. Never the
post's text, its author, the staff who acted, or the inbox's internal id. A
confidential complaint shows only its number, status and dates.

Look-ups are limited per client address (``public.tracking_per_minute``): numbers
run in sequence, so the limit is what keeps anyone from reading them all at speed.
They are counted in the store (``models.lookup_limits``), so every web worker shares
the one limit.
What a number shows is public anyway (Open311 shows the same and more).
"""

import hashlib
import hmac
import math
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from inbox.auth import authenticator, client_address
from inbox.signing import subkey
from inbox.web import TEMPLATES, DbSession
from models.complaint_detail import track
from models.lookup_limits import take_lookup
from models.public_number import normalize_number
from models.types import utcnow
from models.vocab import STATUS_LABELS

router = APIRouter(include_in_schema=False)

#: app.state attribute holding the look-ups allowed per client address per minute
TRACKING_RATE_ATTR = "aduan_tracking_per_minute"
DEFAULT_PER_MINUTE = 20
_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def _client_key(request: Request) -> str:
    """A keyed digest of the client's address: the store counts look-ups, never keeps it."""
    key = subkey(authenticator(request).config.secret_key, "tracking-lookups")
    digest = hmac.new(key, client_address(request).encode(), hashlib.sha256).hexdigest()
    return f"lacak:{digest}"


def _limited(request: Request, db: Session) -> Response | None:
    per_minute = getattr(request.app.state, TRACKING_RATE_ATTR, None) or DEFAULT_PER_MINUTE
    verdict = take_lookup(
        session=db, client_key=_client_key(request), per_minute=int(per_minute), now=utcnow()
    )
    # Counted at once: the page's own work must not hold the count back from other workers.
    db.commit()
    if verdict.allowed:
        return None
    seconds = max(math.ceil(verdict.retry_after.total_seconds()), 1)
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
    limited = _limited(request, db)
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
