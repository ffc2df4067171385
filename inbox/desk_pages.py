"""The agency desk: "Pengaduan saya" (the complaints a petugas is assigned), bulk actions,
and the workload page (per petugas: open, overdue, median age).

An agency user sees the open complaints of their own inbox they are petugas of (with
``semua=1`` the finished ones too); Kominfo staff are nobody's petugas and get the page
with an explanation. Viewers read no complaints (403). The navigation shows the count.
"""

import logging
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from inbox.access import Forbidden, Permission, access
from inbox.auth import CsrfUser, CurrentUser, signed_in_user
from inbox.web import (
    TEMPLATES,
    CalendarDep,
    DbSession,
    EngineDep,
    loaded_policy,
    reply_policy,
    request_session,
    row_id,
)
from lifecycle.assignment import MY_LIMIT, count_mine, my_complaints
from lifecycle.bulk import MAX_BULK, BulkInputError, bulk_apply
from lifecycle.reports import overdue_step, response_times_by_assignee
from lifecycle.workload import workload
from models.agencies import list_agencies
from models.types import utcnow
from models.vocab import OVERDUE_LABELS, STATUS_LABELS, Role
from models.wita import WITA

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def my_open_count(request: Request) -> int | None:
    """The navigation's count of the signed-in agency user's open complaints; else None."""
    user = signed_in_user(request)
    if user is None or user.role != Role.AGENCY:
        return None
    try:
        with request_session(request) as db:
            return count_mine(session=db, user=user)
    except SQLAlchemyError:
        # An error page must still render when the store fails: no count then.
        log.warning("my complaints' count left out of the navigation", exc_info=True)
        return None


TEMPLATES.env.globals["my_open_count"] = my_open_count


@router.get("/pengaduan-saya", response_class=HTMLResponse)
def my_complaints_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    """The complaints the signed-in petugas is assigned, oldest first."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise Forbidden()
    everything = request.query_params.get("semua") == "1"
    now = utcnow()
    rows = [
        (c, overdue_step(c, now))
        for c in my_complaints(session=db, user=user, open_only=not everything)
    ]
    context = {
        "rows": rows,
        "everything": everything,
        "is_petugas": user.role == Role.AGENCY,
        "limit": MY_LIMIT,
        "statuses": STATUS_LABELS,
        "overdue_labels": OVERDUE_LABELS,
    }
    return TEMPLATES.TemplateResponse(request, "my_complaints.html", context)


def back_url(value: object) -> str:
    """Where to go after a bulk action: an inbox list of this app, else the user's start."""
    if isinstance(value, str) and re.fullmatch(
        r"/(inbox/[A-Za-z0-9_-]+|complaints|pengaduan-saya)(\?[^#\\\s]*)?", value
    ):
        return value
    return "/"


@router.post("/complaints/massal", response_model=None)
async def bulk_action(request: Request, engine: EngineDep, user: CsrfUser) -> Response:
    """One action for every selected complaint (``id`` repeated): all or none of them.

    Refused items are listed with their reasons and nothing is changed; at most
    ``MAX_BULK`` complaints per request.
    """
    if not access.can(user, Permission.WORK_COMPLAINTS):
        raise Forbidden()
    form = await request.form()
    back = back_url(form.get("kembali"))
    raw_ids = [v for v in form.getlist("id") if isinstance(v, str)]
    ids = [row_id(v) for v in raw_ids]
    action, to_status, note, assignee = (
        form_text(form.get(k)) for k in ("tindakan", "to_status", "note", "assignee")
    )
    context: dict[str, Any] = {"back": back, "result": None, "error": None, "max": MAX_BULK}
    if None in ids:
        bad = next(v for v, i in zip(raw_ids, ids, strict=True) if i is None)
        context["error"] = f"Nomor pengaduan tidak sah: {bad[:20]!r}."
        return TEMPLATES.TemplateResponse(request, "bulk_result.html", context, status_code=400)
    try:
        result = bulk_apply(
            engine=engine,
            ids=[i for i in ids if i is not None],
            action=action,
            actor=user.username,
            agency_code=access.inbox_filter(user),
            to_status=to_status,
            note=note,
            assignee=assignee or None,
            replies=reply_policy(request),
            policy=loaded_policy(request),
        )
    except BulkInputError as err:
        context["error"] = str(err)
        return TEMPLATES.TemplateResponse(request, "bulk_result.html", context, status_code=400)
    if result.ok:
        joiner = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{joiner}ok=massal", status_code=303)
    context["result"] = result
    return TEMPLATES.TemplateResponse(request, "bulk_result.html", context, status_code=409)


def form_text(value: object) -> str:
    # NUL cannot be stored on PostgreSQL and nobody types it.
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


@router.get("/beban-kerja", response_class=HTMLResponse)
def workload_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    """Per petugas of an inbox: open complaints, overdue ones and their median age.

    Agency users see their own inbox; Kominfo staff choose one (``?inbox=CODE``).
    """
    own = access.inbox_filter(user)  # Forbidden for viewers
    inboxes = {a.code: a.name for a in list_agencies(session=db)}
    code = own or form_text(request.query_params.get("inbox")) or None
    if code is not None and (code not in inboxes or not access.can_read_inbox(user, code)):
        raise HTTPException(status_code=404, detail="Inbox tidak ditemukan")
    context: dict[str, Any] = {
        "inboxes": inboxes,
        "code": code,
        "choose": own is None,
        "rows": workload(session=db, inbox=code, now=utcnow()) if code else [],
    }
    return TEMPLATES.TemplateResponse(request, "workload.html", context)


@router.get("/laporan/petugas", response_class=HTMLResponse)
def petugas_report(
    request: Request, db: DbSession, user: CurrentUser, calendar: CalendarDep
) -> HTMLResponse:
    """The response-time report per petugas: complaints received in a year (``?tahun=``,
    this year by default), median first response and median resolution, per inbox.

    Agency users see their own inbox's people only; Kominfo staff every inbox, or one
    (``?inbox=CODE``). A page of its own: reading a year of complaints is too slow for
    the dashboard and the workload page, which link here.
    """
    own = access.inbox_filter(user)  # Forbidden for viewers: named people's figures
    inboxes = {a.code: a.name for a in list_agencies(session=db)}
    code = own or form_text(request.query_params.get("inbox")) or None
    if code is not None and (code not in inboxes or not access.can_read_inbox(user, code)):
        raise HTTPException(status_code=404, detail="Inbox tidak ditemukan")
    this_year = utcnow().astimezone(WITA).year
    asked = form_text(request.query_params.get("tahun"))
    year = int(asked) if asked.isdigit() and 2000 <= int(asked) <= this_year else this_year
    context: dict[str, Any] = {
        "inboxes": inboxes,
        "code": code,
        "choose": own is None,
        "year": year,
        "years": list(range(this_year, this_year - 5, -1)),
        "per_petugas": response_times_by_assignee(
            session=db, calendar=calendar, year=year, inbox=code
        ),
        "open_petugas": True,
    }
    return TEMPLATES.TemplateResponse(request, "petugas_report.html", context)
