"""Bulk export from the inbox list: the ticked complaints, or the whole filtered list.

A POST of the list's bulk form (CSRF-checked like every bulk action), answered with the
same CSV as ``/inbox/{code}/export.csv`` (``inbox.csv_export``: the same columns,
citizens' text masked, formulas neutralised) and recorded in the access log.

* ``cakupan=pilihan``: the ticked complaints (``id`` repeated), at most ``MAX_BULK``.
  All or nothing, like the other bulk actions: an id the user may not see (another
  agency's) is refused like one that does not exist, and nothing is exported.
* ``cakupan=hasil``: every complaint the list (``kembali``: the list's own URL with its
  filters) shows, streamed, up to ``inbox.inbox_pages.EXPORT_LIMIT``; for Kominfo staff
  this is also how the list of every inbox is exported.
"""

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.access import Forbidden, Permission, access
from inbox.auth import CsrfUser
from inbox.csv_export import complaint_row, csv_chunks
from inbox.desk_pages import back_url, form_text
from inbox.inbox_pages import csv_stream, parse_query, readable_inbox
from inbox.web import TEMPLATES, DbSession, EngineDep, row_id
from lifecycle.bulk import MAX_BULK, BulkResult
from lifecycle.reports import overdue_step
from models.access_log import record_access_now
from models.agencies import list_agencies
from models.complaint_view import complaints_by_ids, origin_mentions
from models.masking import mask_personal
from models.tables import User
from models.types import utcnow
from models.vocab import AccessAction
from models.wita import WITA

router = APIRouter(include_in_schema=False)

#: what the export covers: the ticked complaints, or the list's filtered result
SCOPES = ("pilihan", "hasil")


def _headers(name: str) -> dict[str, str]:
    stamp = utcnow().astimezone(WITA).strftime("%Y%m%d-%H%M")
    return {
        "Content-Disposition": f'attachment; filename="aduan-{name}-{stamp}.csv"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def _refused(request: Request, back: str, status: int, **context: Any) -> Response:
    page = {"back": back, "result": None, "error": None, "max": MAX_BULK, **context}
    return TEMPLATES.TemplateResponse(request, "bulk_result.html", page, status_code=status)


@router.post("/complaints/massal/ekspor.csv", response_model=None)
async def bulk_export(
    request: Request, db: DbSession, engine: EngineDep, user: CsrfUser
) -> Response:
    """The ticked complaints, or the list's filtered result, as CSV (see the module)."""
    if not access.can(user, Permission.EXPORT):
        raise Forbidden()
    form = await request.form()
    back = back_url(form.get("kembali"))
    scope = form_text(form.get("cakupan")) or "pilihan"
    if scope not in SCOPES:
        return _refused(
            request, back, 400, error="Pilih yang diunduh: yang dicentang atau semua hasil."
        )
    if scope == "hasil":
        return _filtered(request, db, engine, user, back)
    raw_ids = [v for v in form.getlist("id") if isinstance(v, str)]
    ids = [row_id(v) for v in raw_ids]
    if None in ids:
        bad = next(v for v, i in zip(raw_ids, ids, strict=True) if i is None)
        return _refused(request, back, 400, error=f"Nomor pengaduan tidak sah: {bad[:20]!r}.")
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return _refused(request, back, 400, error="Pilih minimal satu pengaduan.")
    if len(wanted) > MAX_BULK:
        too_many = (
            f"Terlalu banyak pengaduan dipilih ({len(wanted)}); paling banyak {MAX_BULK} per "
            "unduhan. Untuk lebih, unduh semua hasil filter."
        )
        return _refused(request, back, 400, error=too_many)
    found = complaints_by_ids(session=db, ids=wanted, inbox=access.inbox_filter(user))
    missing = sorted(set(wanted) - {c.id for c in found})
    if missing:
        result = BulkResult(requested=len(wanted))
        result.refused = [(cid, "pengaduan tidak ditemukan") for cid in missing]
        return _refused(request, back, 409, result=result)
    now = utcnow()
    origins = origin_mentions(session=db, complaints=found)
    rows = [complaint_row(c, origins.get(c.id or 0), overdue_step(c, now)) for c in found]
    body = "".join(csv_chunks([rows]))
    record_access_now(
        engine,
        actor=user.username,
        action=AccessAction.EXPORT_CSV,
        target="pilihan",
        details={"ids": wanted, "rows": len(rows), "complete": True},
    )
    return Response(body, media_type="text/csv; charset=utf-8", headers=_headers("pilihan"))


def _filtered(request: Request, db: Session, engine: Engine, user: User, back: str) -> Response:
    """The list *back* names (an inbox, or every inbox for Kominfo staff), streamed."""
    parts = urlsplit(back)
    found = re.fullmatch(r"/inbox/([A-Za-z0-9_-]+)", parts.path)
    if found is not None:
        code: str | None = readable_inbox(db, user, found.group(1)).code
    elif parts.path == "/complaints":
        code = access.inbox_filter(user)  # an agency user's "every inbox" is their own
    else:
        return _refused(request, back, 400, error="Daftar ini tidak dapat diunduh seluruhnya.")
    params = dict(parse_qsl(parts.query))
    inboxes = [a.code for a in list_agencies(session=db)]
    query = parse_query(code, params, inboxes)
    if query.errors:
        raise HTTPException(status_code=400, detail=" ".join(query.errors))
    target = code or query.filter.inbox or "semua"
    filters = {"inbox": target, **{k: mask_personal(v) for k, v in query.values.items() if v}}
    name = re.sub(r"[^A-Za-z0-9_-]", "_", target)
    return StreamingResponse(
        csv_stream(engine, query.filter, utcnow(), user.username, filters),
        media_type="text/csv; charset=utf-8",
        headers=_headers(name),
    )
