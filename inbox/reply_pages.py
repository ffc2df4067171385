"""The Kominfo team's reply queue: drafted replies to citizens to preview, edit, approve
or discard, replies to write by hand, blocked ones, and reply channels switched off.

Approval records who approved (``citizen_reply.approved_by``) and puts the reply in the
outbox; the sender and the platform's reply id are recorded when it is posted. Each
approval (edited or not), discarding, sending and blocking is also an entry of the
complaint's history (``models.reply_history``), on its page and in the API.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from inbox.access import Permission
from inbox.auth import require_permission
from inbox.form_actions import Refused, acting_user
from inbox.web import TEMPLATES, DbSession, EngineDep, RowId
from models.exceptions import InvalidTransition, NotFound
from models.masking import mask_personal
from models.replies import (
    approve,
    disabled_accounts,
    discard,
    enable_account,
    reply_counts,
    reply_queue,
    reply_with_context,
)
from models.tables import User
from models.vocab import (
    REPLY_CHANNEL_LABELS,
    REPLY_EVENT_LABELS,
    REPLY_STATUS_LABELS,
    ReplyStatus,
)
from notify.replies import MAX_LENGTH

router = APIRouter(include_in_schema=False)

ReplyReader = Annotated[User, Depends(require_permission(Permission.APPROVE_REPLIES))]
ReplyActor = Annotated[User, Depends(acting_user(Permission.APPROVE_REPLIES))]
#: the longest reply the team may write (X's limit is checked per channel)
MAX_TEXT = 2000


def render_queue(
    request: Request,
    db: Session,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The queue page."""
    context = {
        "drafts": reply_queue(session=db, statuses=(ReplyStatus.DRAFT,)),
        "manual": reply_queue(session=db, statuses=(ReplyStatus.MANUAL,)),
        "blocked": reply_queue(session=db, statuses=(ReplyStatus.BLOCKED,), limit=50),
        "disabled": disabled_accounts(session=db),
        "counts": reply_counts(session=db),
        "events": REPLY_EVENT_LABELS,
        "reply_statuses": REPLY_STATUS_LABELS,
        "channels": REPLY_CHANNEL_LABELS,
        "notice": notice,
        "error": error,
    }
    return TEMPLATES.TemplateResponse(request, "replies.html", context, status_code=status_code)


@router.get("/balasan", response_class=HTMLResponse)
def reply_page(request: Request, db: DbSession, user: ReplyReader) -> HTMLResponse:
    """Drafts waiting for approval, replies to write by hand, blocked replies."""
    return render_queue(request, db)


@router.post("/balasan/{reply_id}/setujui", response_class=HTMLResponse, response_model=None)
def approve_reply(
    request: Request,
    reply_id: RowId,
    user: ReplyActor,
    engine: EngineDep,
    db: DbSession,
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> HTMLResponse | RedirectResponse:
    """Approve a draft, as drafted or as edited; it goes to the outbox."""
    try:
        found = reply_with_context(session=db, reply_id=reply_id)
        if found is None:
            raise Refused(f"Balasan #{reply_id} tidak ditemukan.", 404)
        reply, complaint, _ = found
        edited = mask_personal(" ".join(text.split())) if text.strip() else None
        if complaint.confidential:
            # A confidential complaint's reply stays the fixed text: only the number.
            edited = None
        if edited is not None:
            if complaint.public_number not in edited:
                raise Refused(
                    f"Teks balasan harus memuat nomor pengaduan {complaint.public_number}.", 400
                )
            limit = MAX_LENGTH.get(reply.channel, MAX_TEXT)
            if len(edited) > limit:
                raise Refused(f"Teks balasan terlalu panjang (maksimal {limit} karakter).", 400)
        approve(engine=engine, reply_id=reply_id, actor=user.username, text=edited)
    except Refused as err:
        return render_queue(request, db, error=err.message, status_code=err.status_code)
    except (InvalidTransition, NotFound):
        return render_queue(
            request,
            db,
            error=f"Balasan #{reply_id} sudah tidak menunggu persetujuan.",
            status_code=409,
        )
    return RedirectResponse("/balasan?disetujui=1", status_code=303)


@router.post("/balasan/{reply_id}/buang", response_class=HTMLResponse, response_model=None)
def discard_reply(
    request: Request, reply_id: RowId, user: ReplyActor, engine: EngineDep, db: DbSession
) -> HTMLResponse | RedirectResponse:
    """Throw a draft (or a reply to write by hand) away."""
    try:
        discard(engine=engine, reply_id=reply_id, actor=user.username)
    except NotFound:
        return render_queue(
            request, db, error=f"Balasan #{reply_id} tidak ditemukan.", status_code=404
        )
    except InvalidTransition:
        return render_queue(
            request, db, error=f"Balasan #{reply_id} tidak bisa dibuang.", status_code=409
        )
    return RedirectResponse("/balasan?dibuang=1", status_code=303)


@router.post("/balasan/akun/{source}/aktifkan", response_class=HTMLResponse, response_model=None)
def enable_channel(
    request: Request, source: str, user: ReplyActor, engine: EngineDep, db: DbSession
) -> HTMLResponse | RedirectResponse:
    """Switch a source's reply channel on again, after its token was renewed."""
    if not enable_account(engine, source[:100]):
        return render_queue(
            request, db, error="Saluran balasan itu tidak sedang dimatikan.", status_code=404
        )
    return RedirectResponse("/balasan?diaktifkan=1", status_code=303)
