"""The Kominfo triage page: decide unsure mentions and complaints agencies sent back.

Every form is a plain POST (no JavaScript needed) answered with a redirect back to
/triage and a confirmation; a refused decision shows the page again with the reason
and a 4xx status, having changed nothing. Each decision becomes a training correction
(the router functions record it in the same transaction).
"""

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from inbox.access import Permission, access
from inbox.auth import require_permission
from inbox.form_actions import Refused, acting_user
from inbox.source_status import source_views
from inbox.triage_queue import queue
from inbox.web import (
    POLICY_ATTR,
    TEMPLATES,
    DbSession,
    EngineDep,
    PolicyDep,
    RowId,
    reply_policy,
    row_id,
    whole_number,
)
from lifecycle.merge import merge_into
from lifecycle.status import reassign
from lifecycle.triage import NotInTriage, assign
from models.complaint_detail import agency_names
from models.exceptions import InvalidTransition, NotFound
from models.sources import all_health
from models.tables import Complaint, Mention, User
from models.types import utcnow
from models.vocab import CATEGORIES, NOT_COMPLAINT, label
from router.policy import RoutingPolicy

router = APIRouter(include_in_schema=False)

#: categories a complaint can be filed under (NOT_COMPLAINT is a separate button)
FILE_CATEGORIES = [c for c in CATEGORIES if c != NOT_COMPLAINT]
DONE = {
    "filed": "Kiriman #{mention} diajukan sebagai pengaduan #{complaint} ({category}).",
    "not_complaint": "Kiriman #{mention} ditandai bukan pengaduan.",
    "merged": "Kiriman #{mention} digabung ke pengaduan #{complaint}.",
    "reassigned": "Pengaduan #{complaint} dialihkan ke kategori {category}.",
}
UNKNOWN_CATEGORY = "Kategori tidak dikenal; pilih salah satu dari daftar."
GONE = "Kiriman #{id} sudah diputuskan dan tidak lagi di antrean triase; tidak ada yang diubah."


TriageUser = Annotated[User, Depends(acting_user(Permission.TRIAGE))]
ReassignUser = Annotated[User, Depends(acting_user(Permission.REASSIGN))]
CategoryField = Annotated[str, Form()]


def _notice(params: dict[str, str]) -> str | None:
    """The confirmation named by the redirect's query, built only from checked values."""
    template = DONE.get(params.get("done", ""))
    if template is None:
        return None
    values: dict[str, object] = {}
    for key in ("mention", "complaint"):
        if f"{{{key}}}" in template:
            number = whole_number(params.get(key, ""))
            if number is None:
                return None
            values[key] = number
    if "{category}" in template:
        if params.get("category") not in CATEGORIES:
            return None
        values["category"] = label("category", params["category"])
    return template.format(**values)


def render_triage(
    request: Request,
    db: Session,
    user: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The triage page, with an optional confirmation or error message."""
    policy: RoutingPolicy | None = getattr(request.app.state, POLICY_ATTR, None)
    sources = source_views(all_health(session=db), {}, utcnow())
    names = agency_names(session=db)

    def choice(code: str) -> tuple[str, str, str | None]:
        inbox = policy.inbox_for(code) if policy and code != NOT_COMPLAINT else None
        return code, label("category", code), names.get(inbox, inbox) if inbox else None

    page = whole_number(request.query_params.get("halaman")) or 1
    waiting = queue(session=db, page=page)
    context = {
        "queue": waiting,
        "items": waiting.items,
        # Reassigning a bounced complaint needs an inbox; a mention may also be no complaint.
        "categories": [choice(c) for c in FILE_CATEGORIES],
        "mention_categories": [choice(c) for c in CATEGORIES],
        "can_reassign": access.can(user, Permission.REASSIGN),
        "notice": notice,
        "error": error,
        "disabled_sources": [s for s in sources if s.disabled],
    }
    return TEMPLATES.TemplateResponse(request, "triage.html", context, status_code=status_code)


def _back(**params: object) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"/triage?{query}", status_code=303)


def _refused(request: Request, db: Session, user: User, err: Refused) -> HTMLResponse:
    return render_triage(request, db, user, error=err.message, status_code=err.status_code)


@router.get("/triage", response_class=HTMLResponse)
def triage(
    request: Request,
    db: DbSession,
    user: Annotated[User, Depends(require_permission(Permission.TRIAGE))],
) -> HTMLResponse:
    """Unsure mentions and bounced complaints, the longest waiting first."""
    return render_triage(request, db, user, notice=_notice(dict(request.query_params)))


@router.post("/triage/mentions/{mention_id}/assign", response_model=None)
def assign_mention(
    request: Request,
    user: TriageUser,
    mention_id: RowId,
    category: CategoryField,
    engine: EngineDep,
    db: DbSession,
    policy: PolicyDep,
) -> HTMLResponse | RedirectResponse:
    """File the mention under *category* (and so its inbox), or keep it as no complaint."""
    try:
        if category not in CATEGORIES:
            raise Refused(UNKNOWN_CATEGORY, 400)
        try:
            complaint = assign(
                engine=engine,
                policy=policy,
                mention_id=mention_id,
                category=category,
                actor=user.username,
            )
        except NotFound:
            raise Refused(f"Kiriman #{mention_id} tidak ditemukan.", 404) from None
        except NotInTriage:
            raise Refused(GONE.format(id=mention_id), 409) from None
    except Refused as err:
        return _refused(request, db, user, err)
    if category == NOT_COMPLAINT:
        return _back(done="not_complaint", mention=mention_id)
    return _back(
        done="filed",
        mention=mention_id,
        category=category,
        complaint=complaint.id if complaint else None,
    )


@router.post("/triage/mentions/{mention_id}/merge", response_model=None)
def merge_mention(
    request: Request,
    user: TriageUser,
    mention_id: RowId,
    complaint_id: Annotated[str, Form()],
    engine: EngineDep,
    db: DbSession,
) -> HTMLResponse | RedirectResponse:
    """Join the mention to an existing complaint as a further report of the same problem."""
    try:
        typed = complaint_id.strip().removeprefix("#")
        if not re.fullmatch(r"-?[0-9]+", typed):
            raise Refused("Nomor pengaduan harus berupa angka, misalnya 123.", 400)
        target = row_id(typed)
        if target is None:  # a number no complaint can have
            raise Refused(f"Pengaduan #{typed[:20]} tidak ditemukan; tidak ada yang diubah.", 404)
        if db.get(Complaint, target) is None:
            raise Refused(f"Pengaduan #{target} tidak ditemukan; tidak ada yang diubah.", 404)
        if db.get(Mention, mention_id) is None:
            raise Refused(f"Kiriman #{mention_id} tidak ditemukan.", 404)
        try:
            merge_into(
                engine=engine,
                mention_id=mention_id,
                complaint_id=target,
                actor=user.username,
                replies=reply_policy(request),
            )
        except NotFound:  # gone between the check and the merge
            raise Refused("Kiriman atau pengaduan tidak ditemukan.", 404) from None
        except InvalidTransition:
            raise Refused(GONE.format(id=mention_id), 409) from None
    except Refused as err:
        return _refused(request, db, user, err)
    return _back(done="merged", mention=mention_id, complaint=target)


@router.post("/triage/complaints/{complaint_id}/assign", response_model=None)
def reassign_complaint(
    request: Request,
    user: ReassignUser,
    complaint_id: RowId,
    category: CategoryField,
    engine: EngineDep,
    db: DbSession,
    policy: PolicyDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse | RedirectResponse:
    """Give a bounced complaint its category and that category's inbox, back at baru."""
    try:
        if category not in FILE_CATEGORIES:
            raise Refused(UNKNOWN_CATEGORY, 400)
        try:
            reassign(
                engine=engine,
                policy=policy,
                complaint_id=complaint_id,
                category=category,
                actor=user.username,
                note=note,
            )
        except NotFound:
            raise Refused(f"Pengaduan #{complaint_id} tidak ditemukan.", 404) from None
        except InvalidTransition:
            raise Refused(
                f"Pengaduan #{complaint_id} tidak sedang menunggu triase (sudah dialihkan?); "
                "tidak ada yang diubah.",
                409,
            ) from None
    except Refused as err:
        return _refused(request, db, user, err)
    return _back(done="reassigned", complaint=complaint_id, category=category)
