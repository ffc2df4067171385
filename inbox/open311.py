"""Open311 GeoReport v2 read endpoints (``/open311/v2``), JSON only.

``services.json`` lists the complaint categories (NOT_COMPLAINT aside), ``requests.json``
the complaints and ``requests/{id}.json`` one complaint, as a one-element list like the
spec says. Writing (POST requests) is not offered: complaints come from social media.

Access model. Every call needs an API token, as in ``/api/v1``: the header
``Authorization: Bearer adn_...`` or, by GeoReport convention, ``?api_key=adn_...``
(prefer the header: query strings end up in access logs). ``services.json`` is open to
any valid token. Requests are citizens' posts, so they follow the inbox's rules: the
role needs READ_COMPLAINTS (viewers get 403) and an agency token sees only its own
inbox (another inbox's request answers 404 like a missing one). No author name,
handle, post link or internal note is given out here; ``description`` is the text of
the first report and ``status_notes`` the note of the latest status change, both with
personal data masked (``models.masking``: NIK, phone numbers, e-mail addresses,
plates, house and RT/RW numbers), whatever the token's role. Confidential complaints
are not given out at all: they answer 404 like a missing one.

Statuses. ``selesai`` is ``closed``; everything else is ``open``, including
``bukan_wewenang``: a complaint refused by an agency goes back to Kominfo triage to be
given to the right one, so the citizen's problem is still open.

Dates. ``requested_datetime`` is when the complaint was filed; ``start_date`` and
``end_date`` (ISO 8601; a bare date is a WITA day, a time without offset is UTC)
select on it and may not span more than 90 days. Without them the last 90 days are
given; with one of them, the 90 days after the start or before the end. Results are
newest first, ``page_size`` (at most and by default 1000) per ``page``. When
``service_request_id`` is given (comma-separated ids), the other filters are ignored.

Errors use GeoReport's format, ``[{"code": 404, "description": "..."}]``: 400 a bad
parameter, 401 no or bad token, 403 the role may not read requests, 404 not found.
"""

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from inbox.access import Permission, access
from inbox.api_models import (
    GeoReportError,
    Service,
    ServiceRequest,
    parse_when,
)
from inbox.auth import AuthDep
from inbox.web import POLICY_ATTR, DbSession
from models.complaint_detail import (
    RequestQuery,
    agency_names,
    latest_changes,
    service_requests,
)
from models.complaint_view import origin_mentions
from models.masking import mask_personal
from models.public_number import normalize_number
from models.tables import Complaint, Mention, StatusChange, User
from models.types import MAX_ID, utcnow
from models.vocab import CATEGORIES, NOT_COMPLAINT, ComplaintStatus, category_info
from router.policy import RoutingPolicy

#: the most requests one call returns, as GeoReport v2 recommends
MAX_REQUESTS = 1000
WINDOW = timedelta(days=90)
#: complaint statuses per GeoReport status
STATUSES: dict[str, tuple[str, ...]] = {
    "open": (
        ComplaintStatus.BARU,
        ComplaintStatus.RESPON_AWAL,
        ComplaintStatus.DITINDAKLANJUTI,
        ComplaintStatus.BUKAN_WEWENANG,
    ),
    "closed": (ComplaintStatus.SELESAI,),
}
SERVICE_CODES = tuple(c for c in CATEGORIES if c != NOT_COMPLAINT)


class GeoReportRoute(APIRoute):
    """Answers every error of its routes in GeoReport's format, as JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response: Response
            try:
                response = await handle(request)
            except StarletteHTTPException as exc:
                response = _error(exc.status_code, str(exc.detail), exc.headers)
            except RequestValidationError as exc:
                problems = [f"{err['loc'][-1]}: {err['msg']}" for err in exc.errors()]
                response = _error(400, "; ".join(problems))
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Cache-Control"] = "no-store"
            return response

        return handler


def _error(code: int, description: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = [GeoReportError(code=code, description=description).model_dump()]
    return JSONResponse(body, status_code=code, headers=headers)


def _errors(*codes: int | str) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": list[GeoReportError]} for code in codes}


router = APIRouter(
    prefix="/open311/v2",
    tags=["open311"],
    route_class=GeoReportRoute,
    # "4XX" also keeps FastAPI from documenting a 422 these routes never give (bad: 400).
    responses=_errors(401, "4XX"),
)

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="API token from `aduan tokens create USERNAME --name NAME`",
)
_api_key = APIKeyQuery(
    name="api_key",
    auto_error=False,
    scheme_name="api_key",
    description="The same API token as a query parameter (GeoReport convention)",
)


def open311_user(
    auth: AuthDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> User:
    """The user of the token in the Authorization header or ``api_key``; 401 otherwise."""
    token = credentials.credentials if credentials is not None else api_key
    user = auth.user_for_token(token) if token else None
    if user is None:
        raise HTTPException(
            status_code=401,
            detail="Token API tidak ada, tidak sah, atau sudah dicabut / "
            "no API token, or an invalid or revoked one",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


Open311User = Annotated[User, Depends(open311_user)]


def request_reader(user: Open311User) -> str | None:
    """The inbox the user is confined to (None: all); 403 for roles that may not read."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise HTTPException(
            status_code=403,
            detail="Peran token ini tidak boleh membaca pengaduan / "
            "this token's role may not read service requests",
        )
    return access.inbox_filter(user)


#: the inbox an agency token is confined to, None for Kominfo staff
Scope = Annotated[str | None, Depends(request_reader)]


@router.get("/services.json", response_model=list[Service])
def services(request: Request, db: DbSession, user: Open311User) -> list[Service]:
    """The complaint categories as GeoReport services."""
    policy: RoutingPolicy | None = getattr(request.app.state, POLICY_ATTR, None)
    names = agency_names(session=db)
    out = []
    for code in SERVICE_CODES:
        info = category_info(code)
        agency = names.get(policy.inbox_for(code)) if policy is not None else None
        handled = f" Ditangani oleh: {agency}." if agency else ""
        out.append(
            Service(
                service_code=code,
                service_name=info.name,
                description=info.description + handled,
                keywords=info.keywords,
                group=info.group,
            )
        )
    return out


@router.get("/requests.json", response_model=list[ServiceRequest], responses=_errors(400, 403))
def list_requests(
    db: DbSession,
    scope: Scope,
    service_request_id: Annotated[
        str | None, Query(max_length=20_000, description="Comma-separated ids; other filters off")
    ] = None,
    service_code: Annotated[
        str | None, Query(max_length=1000, description="Comma-separated service codes")
    ] = None,
    start_date: Annotated[
        str | None, Query(max_length=40, description="Filed at or after (ISO 8601)")
    ] = None,
    end_date: Annotated[
        str | None, Query(max_length=40, description="Filed before (ISO 8601; a date: included)")
    ] = None,
    status: Annotated[
        str | None, Query(max_length=20, description="open, closed or open,closed")
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_REQUESTS, description="Requests per page")
    ] = MAX_REQUESTS,
) -> list[ServiceRequest]:
    """Service requests (complaints), newest first; by default those of the last 90 days."""
    if service_request_id is not None:
        query = RequestQuery(inbox=scope, ids=_ids(service_request_id), page_size=MAX_REQUESTS)
    else:
        start, end = _window(start_date, end_date)
        query = RequestQuery(
            inbox=scope,
            categories=_listed(service_code, SERVICE_CODES, "service_code"),
            statuses=tuple(
                s for name in _listed(status, tuple(STATUSES), "status") for s in STATUSES[name]
            ),
            start=start,
            end=end,
            page=page,
            page_size=page_size,
        )
    return _service_requests(db, service_requests(session=db, query=query))


@router.get(
    "/requests/{service_request_id}.json",
    response_model=list[ServiceRequest],
    responses=_errors(403, 404),
)
def one_request(service_request_id: str, db: DbSession, scope: Scope) -> list[ServiceRequest]:
    """One service request, as a list of one (GeoReport v2)."""
    found = []
    number = normalize_number(service_request_id[:40])
    if _is_id(service_request_id):
        query = RequestQuery(inbox=scope, ids=(int(service_request_id),))
        found = service_requests(session=db, query=query)
    elif number is not None:
        # The citizen's public number names the same request (issue 13).
        found = service_requests(session=db, query=RequestQuery(inbox=scope, numbers=(number,)))
    if not found:
        raise HTTPException(status_code=404, detail="Permintaan tidak ditemukan / not found")
    return _service_requests(db, found)


@router.get("/{path:path}", include_in_schema=False)
def unknown(path: str) -> None:
    """Anything else under /open311/v2, e.g. ``services.xml``: 404 in GeoReport's format."""
    raise HTTPException(
        status_code=404,
        detail="Tidak ada / not found: only services.json, requests.json and "
        "requests/{id}.json are offered (JSON only)",
    )


# --- helpers ---------------------------------------------------------------------------


def _bad(description: str) -> HTTPException:
    return HTTPException(status_code=400, detail=description)


def _is_id(text: str) -> bool:
    # Length first: int() of thousands of digits is slow, and refused above 4300.
    return len(text) <= 10 and text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


def _ids(value: str) -> tuple[int, ...]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    numbers = all(_is_id(p) for p in parts)
    if not parts or len(parts) > MAX_REQUESTS or not numbers:
        raise _bad(f"service_request_id: give 1 to {MAX_REQUESTS} comma-separated numbers")
    return tuple(int(p) for p in parts)


def _listed(value: str | None, known: tuple[str, ...], name: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in (value or "").split(",") if p.strip())
    unknown = [p for p in parts if p not in known]
    if unknown:
        raise _bad(f"{name}: unknown {', '.join(unknown)}; known: {', '.join(known)}")
    return parts


def _window(start_date: str | None, end_date: str | None) -> tuple[datetime, datetime | None]:
    try:
        start = parse_when(start_date) if start_date else None
        end = parse_when(end_date, end_of_day=True) if end_date else None
    except ValueError as err:
        raise _bad(f"start_date/end_date: not an ISO 8601 date or date-time ({err})") from None
    if start is None and end is None:
        return utcnow() - WINDOW, None
    if start is None:
        assert end is not None
        return end - WINDOW, end
    end = end or start + WINDOW
    if end <= start:
        raise _bad("end_date must be after start_date")
    if end - start > WINDOW:
        raise _bad("start_date to end_date may not span more than 90 days")
    return start, end


def _service_requests(db: Session, complaints: list[Complaint]) -> list[ServiceRequest]:
    ids = [c.id for c in complaints if c.id is not None]
    posts = origin_mentions(session=db, complaints=complaints)
    changes = latest_changes(session=db, complaint_ids=ids)
    names = agency_names(session=db)
    return [
        _service_request(c, posts.get(c.id or 0), changes.get(c.id or 0), names) for c in complaints
    ]


def _service_request(
    c: Complaint, post: Mention | None, change: StatusChange | None, names: dict[str, str]
) -> ServiceRequest:
    info = category_info(c.category)
    waiting = c.status in (ComplaintStatus.BARU, ComplaintStatus.RESPON_AWAL)
    return ServiceRequest(
        service_request_id=str(c.id),
        public_number=c.public_number,
        status="closed" if c.status in STATUSES["closed"] else "open",
        status_notes=(mask_personal(change.note) or None) if change is not None else None,
        service_name=info.name,
        service_code=c.category,
        description=mask_personal(post.text) if post is not None else None,
        agency_responsible=names.get(c.inbox, c.inbox),
        requested_datetime=c.created_at,
        updated_datetime=c.updated_at,
        expected_datetime=c.follow_up_by if waiting else None,
        address=", ".join(p for p in (c.street, c.desa, c.kecamatan) if p) or None,
    )
