"""The complaint page: one complaint in full, and what staff do with it.

Reading needs ``READ_COMPLAINTS``, acting ``WORK_COMPLAINTS``; an agency user reaches
only complaints in their own inbox, and another inbox's complaint answers 404 exactly
like a missing one. Every action is a CSRF-checked form that redirects (303) back
with a fixed notice, or shows the page again with the error and nothing changed.

Citizens' text (and the notes and place words) is shown with personal data masked.
"Tampilkan teks asli" (a POST, for the roles ``privacy.original_text_roles`` names)
answers with the page unmasked, never cached, and records the view in the access log.
Operators and admins mark a complaint confidential or unmark it (recorded too).
"""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.access import Forbidden, Permission, access
from inbox.auth import CsrfUser, CurrentUser
from inbox.inbox_pages import NOTICES
from inbox.web import (
    TEMPLATES,
    DbSession,
    EngineDep,
    OriginalRoles,
    PolicyDep,
    RowId,
    loaded_policy,
    original_roles,
    reply_policy,
)
from lifecycle.assignment import assign, assignable_users, assignment_history, username_of
from lifecycle.escalation import escalations_of
from lifecycle.reports import overdue_step
from lifecycle.status import TRANSITIONS, bukan_wewenang, change_status, history, skipped_steps
from models.access_log import record_access
from models.complaint_view import linked_mentions
from models.confidential import set_confidential
from models.db import session_scope
from models.exceptions import AssignmentRefused, InvalidTransition, NotFound
from models.notes import MAX_NOTE_LENGTH, add_note, notes_of
from models.replies import replies_of
from models.tables import Agency, Complaint, User
from models.types import utcnow
from models.vocab import (
    CATEGORIES,
    LINK_REASON_LABELS,
    OVERDUE_LABELS,
    STATUS_LABELS,
    AccessAction,
    ComplaintStatus,
)

router = APIRouter(include_in_schema=False)

ComplaintId = RowId
FormText = Annotated[str, Form()]

TOO_LONG = f"Teks terlalu panjang (maksimal {MAX_NOTE_LENGTH} karakter)."


def next_statuses(status: ComplaintStatus) -> list[ComplaintStatus]:
    """The statuses the status form offers from *status*, in the lifecycle's order.

    baru and bukan_wewenang are left out: they need triage or the "bukan wewenang"
    form with its reason and suggested category.
    """
    allowed = TRANSITIONS[status]
    special = (ComplaintStatus.BARU, ComplaintStatus.BUKAN_WEWENANG)
    return [s for s in ComplaintStatus if s in allowed and s not in special]


def status_choices(status: ComplaintStatus) -> list[tuple[str, str]]:
    """(status, label) of each status the form offers; a label says which skipped step
    is recorded with it ("Ditindaklanjuti (sekaligus respon awal)")."""
    out = []
    for target in next_statuses(status):
        label = STATUS_LABELS[target]
        skipped = [STATUS_LABELS[s].lower() for s in skipped_steps(status, target)]
        out.append(
            (target.value, f"{label} (sekaligus {', '.join(skipped)})" if skipped else label)
        )
    return out


def _page(
    request: Request,
    db: Session,
    user: User,
    complaint: Complaint,
    *,
    notice: str | None = None,
    error: str | None = None,
    draft: dict[str, str] | None = None,
    status_code: int = 200,
    show_original: bool = False,
) -> HTMLResponse:
    assert complaint.id is not None
    context: dict[str, Any] = {
        "show_original": show_original,
        "can_reveal": access.can_see_original(user, original_roles(request)),
        "can_mark": access.can(user, Permission.MARK_CONFIDENTIAL),
        "c": complaint,
        "agency": db.get(Agency, complaint.inbox),
        "can_open_inbox": access.can_read_inbox(user, complaint.inbox),
        "mentions": linked_mentions(session=db, complaint_id=complaint.id),
        "history": history(session=db, complaint_id=complaint.id),
        "assignments": assignment_history(session=db, complaint_id=complaint.id),
        "assignee": username_of(session=db, user_id=complaint.assignee_id),
        "petugas": assignable_users(session=db, inbox=complaint.inbox),
        "escalations": escalations_of(session=db, complaint_id=complaint.id),
        "notes": notes_of(session=db, complaint_id=complaint.id),
        "replies": replies_of(session=db, complaint_id=complaint.id),
        "overdue": overdue_step(complaint, utcnow()),
        "can_change": access.can_change(user, complaint),
        "next_statuses": status_choices(complaint.status),
        "can_refuse": ComplaintStatus.BUKAN_WEWENANG in TRANSITIONS[complaint.status],
        "categories": CATEGORIES,
        "statuses": STATUS_LABELS,
        "overdue_labels": OVERDUE_LABELS,
        "link_labels": LINK_REASON_LABELS,
        "notice": notice,
        "error": error,
        "draft": draft or {},
        "max_note": MAX_NOTE_LENGTH,
    }
    response = TEMPLATES.TemplateResponse(
        request, "complaint.html", context, status_code=status_code
    )
    if show_original:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(
    request: Request, complaint_id: ComplaintId, db: DbSession, user: CurrentUser
) -> HTMLResponse:
    """Everything about one complaint: reports, why it came here, place, deadlines, history."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise Forbidden()
    complaint = access.complaint_or_404(session=db, user=user, complaint_id=complaint_id)
    notice = NOTICES.get(request.query_params.get("ok", ""))
    return _page(request, db, user, complaint, notice=notice)


def _writable(engine: Engine, user: User, complaint_id: int) -> None:
    """403 for roles that may not act, 404 for a complaint the user may not see."""
    if not access.can(user, Permission.WORK_COMPLAINTS):
        raise Forbidden()
    with Session(engine) as db:
        complaint = access.complaint_or_404(session=db, user=user, complaint_id=complaint_id)
        if not access.can_change(user, complaint):
            raise Forbidden("Anda tidak berhak mengubah pengaduan ini.")


def _failed(
    request: Request,
    engine: Engine,
    user: User,
    complaint_id: int,
    error: str,
    status_code: int,
    draft: dict[str, str],
) -> HTMLResponse:
    """The page again, unchanged, with *error* and what the user typed."""
    with Session(engine) as db:
        complaint = access.complaint_or_404(session=db, user=user, complaint_id=complaint_id)
        return _page(
            request, db, user, complaint, error=error, draft=draft, status_code=status_code
        )


def _done(complaint_id: int, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/complaints/{complaint_id}?ok={notice}", status_code=303)


def _text(value: str) -> str:
    # NUL cannot be stored on PostgreSQL and nobody types it.
    return value.replace("\x00", "").strip()


@router.post("/complaints/{complaint_id}/status", response_model=None)
def set_status(
    request: Request,
    complaint_id: ComplaintId,
    engine: EngineDep,
    user: CsrfUser,
    to_status: FormText = "",
    note: FormText = "",
) -> Response:
    """Move the complaint to the next status of its lifecycle, with an optional note."""
    _writable(engine, user, complaint_id)
    note = _text(note)
    draft = {"status_note": note}
    if to_status not in STATUS_LABELS:
        return _failed(request, engine, user, complaint_id, "Pilih status tujuan.", 400, draft)
    if len(note) > MAX_NOTE_LENGTH:
        return _failed(request, engine, user, complaint_id, TOO_LONG, 400, draft)
    try:
        change_status(
            engine=engine,
            complaint_id=complaint_id,
            to_status=to_status,
            actor=user.username,
            note=note,
            agency_code=access.inbox_filter(user),
            replies=reply_policy(request),
        )
    except InvalidTransition as err:
        return _failed(request, engine, user, complaint_id, str(err), 409, draft)
    except NotFound:
        raise HTTPException(status_code=404, detail="Pengaduan tidak ditemukan") from None
    return _done(complaint_id, "status")


@router.post("/complaints/{complaint_id}/bukan-wewenang", response_model=None)
def refuse(
    request: Request,
    complaint_id: ComplaintId,
    engine: EngineDep,
    policy: PolicyDep,
    user: CsrfUser,
    reason: FormText = "",
    suggested_category: FormText = "",
) -> Response:
    """Refuse the complaint as not this agency's authority; it goes back to triage."""
    _writable(engine, user, complaint_id)
    reason = _text(reason)
    draft = {"reason": reason, "suggested_category": suggested_category}
    problem = None
    if not reason:
        problem = "Alasan bukan wewenang wajib diisi."
    elif len(reason) > MAX_NOTE_LENGTH:
        problem = TOO_LONG
    elif suggested_category not in CATEGORIES:
        problem = "Pilih saran kategori yang tepat."
    if problem:
        return _failed(request, engine, user, complaint_id, problem, 400, draft)
    agency_code = access.inbox_filter(user)
    try:
        bukan_wewenang(
            engine=engine,
            policy=policy,
            complaint_id=complaint_id,
            actor=user.username,
            reason=reason,
            suggested_category=suggested_category,
            agency_code=agency_code,
        )
    except InvalidTransition as err:
        return _failed(request, engine, user, complaint_id, str(err), 409, draft)
    except NotFound:
        raise HTTPException(status_code=404, detail="Pengaduan tidak ditemukan") from None
    if agency_code is not None:
        # The complaint has left the agency's inbox: its page is no longer theirs to see.
        inbox = quote(agency_code, safe="")
        return RedirectResponse(f"/inbox/{inbox}?ok=bukan_wewenang", status_code=303)
    return _done(complaint_id, "bukan_wewenang")


@router.post("/complaints/{complaint_id}/notes", response_model=None)
def note(
    request: Request,
    complaint_id: ComplaintId,
    engine: EngineDep,
    user: CsrfUser,
    text: FormText = "",
) -> Response:
    """Add an internal note (seen by agency and Kominfo staff, never by the citizen)."""
    _writable(engine, user, complaint_id)
    text = _text(text)
    draft = {"note": text}
    if not text:
        return _failed(request, engine, user, complaint_id, "Catatan kosong.", 400, draft)
    if len(text) > MAX_NOTE_LENGTH:
        return _failed(request, engine, user, complaint_id, TOO_LONG, 400, draft)
    with session_scope(engine) as s:
        add_note(session=s, complaint_id=complaint_id, author=user.username, text=text)
    return _done(complaint_id, "catatan")


@router.post("/complaints/{complaint_id}/teks-asli", response_class=HTMLResponse)
def show_original(
    request: Request,
    complaint_id: ComplaintId,
    engine: EngineDep,
    user: CsrfUser,
    roles: OriginalRoles,
) -> HTMLResponse:
    """The page with citizens' original text, for roles allowed to; the view is logged."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise Forbidden()
    with session_scope(engine) as db:
        complaint = access.complaint_or_404(session=db, user=user, complaint_id=complaint_id)
        if not access.can_see_original(user, roles):
            raise Forbidden("Peran Anda tidak diizinkan melihat teks asli; teks tetap disamarkan.")
        mentions = linked_mentions(session=db, complaint_id=complaint_id)
        record_access(
            session=db,
            actor=user.username,
            action=AccessAction.VIEW_ORIGINAL,
            target=f"complaint:{complaint_id}",
            details={"inbox": complaint.inbox, "mentions": [x.mention.id for x in mentions]},
        )
        db.flush()
        return _page(request, db, user, complaint, show_original=True)


@router.post("/complaints/{complaint_id}/rahasia", response_model=None)
def mark_confidential(
    complaint_id: ComplaintId,
    engine: EngineDep,
    user: CsrfUser,
    confidential: FormText = "",
) -> Response:
    """Mark the complaint confidential (``confidential=1``) or unmark it (``0``); logged."""
    if not access.can(user, Permission.MARK_CONFIDENTIAL):
        raise Forbidden()
    if confidential not in ("0", "1"):
        raise HTTPException(status_code=400, detail="confidential harus 0 atau 1")
    with session_scope(engine) as db:
        access.complaint_or_404(session=db, user=user, complaint_id=complaint_id)
        set_confidential(
            session=db,
            complaint_id=complaint_id,
            confidential=confidential == "1",
            actor=user.username,
        )
    return _done(complaint_id, "rahasia" if confidential == "1" else "bukan_rahasia")


@router.post("/complaints/{complaint_id}/petugas", response_model=None)
def set_assignee(
    request: Request,
    complaint_id: ComplaintId,
    engine: EngineDep,
    user: CsrfUser,
    assignee: FormText = "",
) -> Response:
    """Assign the complaint to a petugas of its agency, reassign it, or (empty) unassign it."""
    _writable(engine, user, complaint_id)
    assignee = _text(assignee)
    try:
        assign(
            engine=engine,
            complaint_id=complaint_id,
            assignee=assignee or None,
            actor=user.username,
            agency_code=access.inbox_filter(user),
            policy=loaded_policy(request),
        )
    except AssignmentRefused as err:
        draft = {"assignee": assignee}
        return _failed(request, engine, user, complaint_id, str(err), 400, draft)
    except NotFound:
        raise HTTPException(status_code=404, detail="Pengaduan tidak ditemukan") from None
    return _done(complaint_id, "petugas" if assignee else "tanpa_petugas")
