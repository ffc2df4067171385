"""The REST API (``/api/v1``): complaints, their status and notes, categories and inboxes.

Every call needs an API token (``Authorization: Bearer adn_...``, see ``ApiUser``);
cookies are never read, so a signed-in browser cannot be made to call it (no CSRF).
The access rules are the pages': complaint routes need the READ_COMPLAINTS permission
(viewers: 403), changes need WORK_COMPLAINTS, and an agency token sees and changes only
its own inbox: another inbox's complaint answers 404 exactly like a missing one.

Errors are JSON ``{"detail": "..."}``: 401 no or bad token, 403 role, 404 unknown (or
not yours), 409 a status change the lifecycle refuses (naming both statuses), 422 a bad
parameter or body (FastAPI's list of errors), 503 no routing policy loaded.

Personal data. Texts (posts, display names, place words, notes) come with personal
data masked (``models.masking``). ``original=true`` gives them as written, to the
roles the configuration allows (``privacy.original_text_roles``; others: 403), and
records the read in the access log with the complaint ids.
"""

import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from inbox.access import Permission, access
from inbox.api_models import (
    AssigneeIn,
    AssigneeResult,
    BulkIn,
    BulkOut,
    BulkRefusal,
    CategoryOut,
    ComplaintDetail,
    ComplaintId,
    ComplaintPageOut,
    ComplaintQuery,
    ComplaintSummary,
    DeadlinesOut,
    ErrorOut,
    HistoryEntryOut,
    InboxOut,
    LocationOut,
    MentionOut,
    NoteIn,
    NoteOut,
    ResponseTimeOut,
    StatusChangeIn,
    StatusResult,
)
from inbox.auth import ApiUser
from inbox.filters import safe_url
from inbox.web import (
    POLICY_ATTR,
    CalendarDep,
    DbSession,
    EngineDep,
    OriginalRoles,
    loaded_policy,
    reply_policy,
    routing_policy,
)
from lifecycle.assignment import assign, username_of
from lifecycle.bulk import BulkInputError, bulk_apply
from lifecycle.reports import count_overdue, overdue_step, response_csv, response_times
from lifecycle.status import TRANSITIONS, bukan_wewenang, change_status, history
from models.access_log import record_access_now
from models.agencies import list_agencies
from models.complaint_search import search_complaints
from models.complaint_view import linked_mentions, origin_mentions
from models.complaints import count_by_inbox_status
from models.db import session_scope
from models.exceptions import AssignmentRefused, InvalidTransition, NotFound
from models.masking import mask_personal
from models.notes import add_note, notes_of
from models.tables import Agency, Complaint, ComplaintNote, Mention, User
from models.types import utcnow
from models.vocab import CATEGORIES, NOT_COMPLAINT, AccessAction, ComplaintStatus, category_info
from router.policy import RoutingPolicy

ORIGINAL_HELP = (
    "Texts as written, personal data unmasked: only for roles in "
    "privacy.original_text_roles; recorded in the access log"
)
#: the same words as Access.complaint_or_404, so a refused id looks exactly like a missing one
NOT_FOUND = "Pengaduan tidak ditemukan"


class AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped. A 422 echoes the client's input, and
    half a surrogate pair in it (JSON may escape one, ``"\\ud83d"``) cannot be encoded
    as UTF-8: the answer was a 500."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


class JsonErrorRoute(APIRoute):
    """Answers every error of its routes as JSON, whatever the app does for pages.

    The app renders 403 as an HTML page for browsers; an API client always gets
    ``{"detail": ...}``. Responses are marked ``nosniff`` and ``no-store``: they carry
    citizens' posts, which no browser should render or cache.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response: Response
            try:
                response = await handle(request)
            except StarletteHTTPException as exc:
                response = JSONResponse(
                    {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
                )
            except RequestValidationError as exc:
                detail = jsonable_encoder(exc.errors())
                response = AsciiJSONResponse({"detail": detail}, status_code=422)
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Cache-Control"] = "no-store"
            return response

        return handler


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    route_class=JsonErrorRoute,
    responses={401: _error("No token, or an invalid or revoked one")},
)
COMPLAINT_ERRORS: dict[int | str, dict[str, Any]] = {
    403: _error("The token's role may not do this (viewer)"),
    404: _error("No such complaint, or one of another agency's inbox"),
}


def _permitted(permission: Permission) -> Callable[[User], User]:
    def dependency(user: ApiUser) -> User:
        if not access.can(user, permission):
            raise HTTPException(
                status_code=403,
                detail="Peran token ini tidak mengizinkan permintaan tersebut / "
                "this token's role does not allow that",
            )
        return user

    return dependency


Reader = Annotated[User, Depends(_permitted(Permission.READ_COMPLAINTS))]
Worker = Annotated[User, Depends(_permitted(Permission.WORK_COMPLAINTS))]


# --- complaints ------------------------------------------------------------------------


@router.get(
    "/complaints",
    response_model=ComplaintPageOut,
    responses={**COMPLAINT_ERRORS, 404: _error("No such inbox, or another agency's inbox")},
)
def list_complaints(
    db: DbSession,
    engine: EngineDep,
    user: Reader,
    roles: OriginalRoles,
    query: Annotated[ComplaintQuery, Query()],
) -> ComplaintPageOut:
    """Complaints matching the filters, one page at a time (the inbox list)."""
    scope = access.inbox_filter(user)
    if query.inbox is not None and (
        (scope is not None and query.inbox != scope) or db.get(Agency, query.inbox) is None
    ):
        # Another agency's inbox answers like one that does not exist.
        raise HTTPException(status_code=404, detail="Inbox tidak ditemukan / inbox not found")
    now = utcnow()
    found = search_complaints(session=db, filter=query.to_filter(query.inbox or scope), now=now)
    posts = origin_mentions(session=db, complaints=found.items)
    if query.original:
        _original_read(engine, user, roles, [c.id for c in found.items if c.id is not None])
    show = _shown(query.original)
    return ComplaintPageOut(
        items=[_summary(c, posts.get(c.id or 0), now, show) for c in found.items],
        total=found.total,
        page=found.page,
        page_size=found.page_size,
        pages=found.pages,
    )


@router.get(
    "/complaints/{complaint_id}", response_model=ComplaintDetail, responses=COMPLAINT_ERRORS
)
def get_complaint(
    complaint_id: ComplaintId,
    db: DbSession,
    engine: EngineDep,
    user: Reader,
    roles: OriginalRoles,
    original: Annotated[bool, Query(description=ORIGINAL_HELP)] = False,
) -> ComplaintDetail:
    """A complaint with its reports and their authors, location, deadlines, history, notes."""
    complaint = access.complaint_or_404(session=db, user=user, complaint_id=complaint_id)
    if original:
        _original_read(engine, user, roles, [complaint_id])
    return _detail(db, complaint, utcnow(), _shown(original))


@router.post(
    "/complaints/{complaint_id}/status",
    response_model=StatusResult,
    responses={
        **COMPLAINT_ERRORS,
        409: _error("The lifecycle does not allow this change (both statuses named)"),
        503: _error("No routing policy loaded (needed for bukan_wewenang)"),
    },
)
def set_status(
    complaint_id: ComplaintId,
    body: StatusChangeIn,
    request: Request,
    engine: EngineDep,
    user: Worker,
) -> StatusResult:
    """Move a complaint on in its lifecycle.

    ``bukan_wewenang`` refuses it as not the agency's authority: it needs ``reason`` and
    ``suggested_category`` and sends the complaint back to the triage inbox.
    """
    scope = access.inbox_filter(user)
    try:
        if body.status == ComplaintStatus.BUKAN_WEWENANG:
            complaint = bukan_wewenang(
                engine=engine,
                policy=routing_policy(request),
                complaint_id=complaint_id,
                actor=user.username,
                reason=body.reason or "",
                suggested_category=body.suggested_category or "",
                agency_code=scope,
            )
        else:
            complaint = change_status(
                engine=engine,
                complaint_id=complaint_id,
                to_status=body.status,
                actor=user.username,
                note=body.note,
                agency_code=scope,
                replies=reply_policy(request),
            )
    except NotFound:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None
    except InvalidTransition as err:
        raise HTTPException(status_code=409, detail=str(err)) from None
    return StatusResult.model_validate(complaint)


@router.post(
    "/complaints/bulk",
    response_model=BulkOut,
    responses={
        403: _error("The token's role may not do this (viewer)"),
        409: {"model": BulkOut, "description": "Refused for some: nothing was changed"},
        422: _error("Nothing selected, over 100 complaints, no status or note"),
    },
)
def bulk(request: Request, body: BulkIn, engine: EngineDep, user: Worker) -> Response:
    """Change status (one note for all), assign a petugas, or add a note, for several
    complaints at once: all of them or none, each change in its complaint's history."""
    try:
        result = bulk_apply(
            engine=engine,
            ids=body.ids,
            action=body.action,
            actor=user.username,
            agency_code=access.inbox_filter(user),
            to_status=body.status,
            note=body.note,
            assignee=body.assignee or None,
            replies=reply_policy(request),
            policy=loaded_policy(request),
        )
    except BulkInputError as err:
        raise HTTPException(status_code=422, detail=str(err)) from None
    out = BulkOut(
        detail=result.summary(),
        changed=result.changed,
        refused=[BulkRefusal(id=cid, reason=why) for cid, why in result.refused],
    )
    return JSONResponse(out.model_dump(), status_code=200 if result.ok else 409)


@router.post(
    "/complaints/{complaint_id}/assignee",
    response_model=AssigneeResult,
    responses={
        **COMPLAINT_ERRORS,
        409: _error("Not an active agency user of the complaint's inbox (the reason named)"),
    },
)
def set_assignee(
    request: Request, complaint_id: ComplaintId, body: AssigneeIn, engine: EngineDep, user: Worker
) -> AssigneeResult:
    """Assign a complaint to a petugas of its agency, reassign it, or unassign it (null).

    An agency token reaches only its own inbox's complaints and its own colleagues.
    """
    try:
        complaint = assign(
            engine=engine,
            complaint_id=complaint_id,
            assignee=body.assignee or None,
            actor=user.username,
            agency_code=access.inbox_filter(user),
            policy=loaded_policy(request),
        )
    except NotFound:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None
    except AssignmentRefused as err:
        raise HTTPException(status_code=409, detail=str(err)) from None
    assert complaint.id is not None
    with Session(engine) as db:
        name = username_of(session=db, user_id=complaint.assignee_id)
    return AssigneeResult(
        id=complaint.id, inbox=complaint.inbox, assignee=name, updated_at=complaint.updated_at
    )


@router.post(
    "/complaints/{complaint_id}/notes",
    response_model=NoteOut,
    status_code=201,
    responses=COMPLAINT_ERRORS,
)
def post_note(complaint_id: ComplaintId, body: NoteIn, engine: EngineDep, user: Worker) -> NoteOut:
    """Add an internal note to a complaint."""
    with session_scope(engine) as session:
        complaint = access.complaint_or_404(session=session, user=user, complaint_id=complaint_id)
        if not access.can_change(user, complaint):
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        try:
            note = add_note(
                session=session, complaint_id=complaint_id, author=user.username, text=body.text
            )
        except ValueError as err:
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("body", "text"), "msg": str(err)}]
            ) from None
        return _note(note)


# --- vocabulary ------------------------------------------------------------------------


@router.get("/categories", response_model=list[CategoryOut])
def categories(request: Request, user: ApiUser) -> list[CategoryOut]:
    """The categories a complaint can have, with the inbox each is routed to."""
    policy: RoutingPolicy | None = getattr(request.app.state, POLICY_ATTR, None)
    out = []
    for code in CATEGORIES:
        info = category_info(code)
        filed = code != NOT_COMPLAINT
        out.append(
            CategoryOut(
                code=code,
                name=info.name,
                description=info.description,
                inbox=policy.inbox_for(code) if policy is not None and filed else None,
                is_complaint=filed,
            )
        )
    return out


@router.get(
    "/inboxes",
    response_model=list[InboxOut],
    responses={403: _error("The token's role sees no complaint counts")},
)
def inboxes(db: DbSession, user: ApiUser) -> list[InboxOut]:
    """The inboxes with complaint counts: all of them, or an agency token's own."""
    if access.can(user, Permission.READ_COMPLAINTS):
        scope = access.inbox_filter(user)
    elif access.can(user, Permission.DASHBOARD):
        scope = None  # viewers see the city-wide counts the dashboard shows
    else:
        raise HTTPException(status_code=403, detail="Peran token ini tidak diizinkan")
    counts = count_by_inbox_status(session=db)
    late = count_overdue(session=db, now=utcnow())
    out = []
    for agency in list_agencies(session=db):
        if scope is not None and agency.code != scope:
            continue
        by_status = {s.value: counts.get((agency.code, s.value), 0) for s in ComplaintStatus}
        summary = {"counts": by_status, "total": sum(by_status.values())}
        out.append(
            InboxOut.model_validate(agency, update={**summary, "overdue": late.get(agency.code, 0)})
        )
    return out


# --- reports ---------------------------------------------------------------------------


@router.get(
    "/reports/response-times",
    response_model=list[ResponseTimeOut],
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"},
        403: _error("The token's role sees no reports"),
    },
)
def response_times_report(
    db: DbSession,
    user: ApiUser,
    calendar: CalendarDep,
    year: Annotated[int, Query(ge=2000, le=2100, description="Year (WITA)")],
    by: Annotated[
        str, Query(pattern="^(month|year)$", description="Rows per inbox and month, or year")
    ] = "month",
    format: Annotated[str, Query(pattern="^(json|csv)$", description="json or csv")] = "json",
) -> Any:
    """Response times per inbox and month: median and 90th percentile working hours to
    the initial response and to the field follow-up, share on time, reopenings.

    An agency token sees its own inbox; viewers and Kominfo every inbox.
    """
    if access.can(user, Permission.READ_COMPLAINTS):
        scope = access.inbox_filter(user)
    elif access.can(user, Permission.DASHBOARD):
        scope = None
    else:
        raise HTTPException(status_code=403, detail="Peran token ini tidak diizinkan")
    rows = response_times(
        session=db,
        calendar=calendar,
        year=year,
        now=utcnow(),
        by_month=by == "month",
        inbox=scope,
    )
    if format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="waktu-respon-{year}.csv"'}
        return Response(response_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
    return [ResponseTimeOut.model_validate(r, from_attributes=True) for r in rows]


# --- personal data ---------------------------------------------------------------------

#: how a text is given out: masked, or as written (``original=true``)
Show = Callable[[str], str]


def _as_written(text: str) -> str:
    return text


def _shown(original: bool) -> Show:
    return _as_written if original else mask_personal


def _original_read(engine: Engine, user: User, roles: frozenset[str], ids: list[int]) -> None:
    """403 unless *user*'s role may read original text; else the read is logged."""
    if not access.can_see_original(user, roles):
        raise HTTPException(
            status_code=403,
            detail="Peran token ini tidak boleh membaca teks asli / "
            "this token's role may not read the original text (privacy.original_text_roles)",
        )
    record_access_now(
        engine,
        actor=user.username,
        action=AccessAction.API_ORIGINAL,
        target=f"complaint:{ids[0]}" if len(ids) == 1 else "complaints",
        details={"complaints": ids},
    )


# --- building responses ------------------------------------------------------------------


def _summary(
    complaint: Complaint, post: Mention | None, now: datetime, show: Show
) -> ComplaintSummary:
    return ComplaintSummary.model_validate(
        complaint,
        update={
            "platform": post.platform if post is not None else None,
            "text": show(post.text) if post is not None else None,
            "overdue_step": overdue_step(complaint, now),
        },
    )


def _detail(db: Session, complaint: Complaint, now: datetime, show: Show) -> ComplaintDetail:
    assert complaint.id is not None
    agency = db.get(Agency, complaint.inbox)
    step = overdue_step(complaint, now)
    mentions = [
        MentionOut.model_validate(
            m,
            update={
                "url": safe_url(m.url),
                "link_reason": reason,
                "text": show(m.text),
                "author_name": show(m.author_name),
            },
        )
        for m, reason in _posts(db, complaint.id)
    ]
    span = show(complaint.location_span) if complaint.location_span else None
    return ComplaintDetail.model_validate(
        complaint,
        update={
            "inbox_name": agency.name if agency is not None else None,
            "assignee": username_of(session=db, user_id=complaint.assignee_id),
            # baru is reached again only through Kominfo triage's reassign, not this API.
            "next_statuses": sorted(
                s for s in TRANSITIONS[complaint.status] if s != ComplaintStatus.BARU
            ),
            "location": LocationOut.model_validate(complaint, update={"span": span}),
            "deadlines": DeadlinesOut.model_validate(complaint, update={"overdue_step": step}),
            "mentions": mentions,
            "history": [
                HistoryEntryOut.model_validate(change, update={"note": show(change.note)})
                for change in history(session=db, complaint_id=complaint.id)
            ],
            "notes": [_note(n, show) for n in notes_of(session=db, complaint_id=complaint.id)],
        },
    )


def _note(note: ComplaintNote, show: Show = _as_written) -> NoteOut:
    return NoteOut.model_validate(note, update={"text": show(note.text)})


def _posts(db: Session, complaint_id: int) -> list[tuple[Mention, str]]:
    """The mentions reporting a complaint with why each was linked, oldest first."""
    return [(x.mention, x.reason) for x in linked_mentions(session=db, complaint_id=complaint_id)]
