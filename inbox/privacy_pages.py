"""The admin's personal-data pages: a person's access and erasure requests, the access log.

``/admin/privacy`` finds what is stored about an author (``PLATFORM:HANDLE``), gives it
as JSON (an access request) or erases it (an erasure request, confirmed by typing
"HAPUS"); ``/admin/access-log`` lists the access log with filters, and
``/admin/access-log.csv`` exports it. All need the PRIVACY permission (admin). The
export, the erasure and the access-log export are recorded in the access log; the
JSON and the CSV are answered ``no-store``.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.access import Permission
from inbox.auth import require_permission
from inbox.form_actions import acting_user
from inbox.web import TEMPLATES, DbSession, EngineDep
from models.access_log import (
    PAGE_SIZE,
    AccessQuery,
    access_actors,
    all_access_entries,
    record_access,
    record_access_now,
    search_access_log,
)
from models.db import session_scope
from models.erasure import Author, count_author_mentions, erase_author, personal_data_of
from models.export import safe_cell
from models.tables import User
from models.types import utcnow
from models.vocab import ACCESS_ACTION_LABELS, AccessAction
from models.wita import WITA

router = APIRouter(include_in_schema=False)

PrivacyPage = Annotated[User, Depends(require_permission(Permission.PRIVACY))]
PrivacyForm = Annotated[User, Depends(acting_user(Permission.PRIVACY))]
Text = Annotated[str, Form()]
#: what the admin types to confirm an erasure
CONFIRM_WORD = "HAPUS"
#: the export's columns
LOG_COLUMNS = ("id", "waktu_wita", "pelaku", "tindakan", "sasaran", "rincian")
_LOG_FILTERS = ("actor", "action", "target", "author", "dari", "sampai")


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- access and erasure requests -------------------------------------------------------


def _privacy_page(
    request: Request,
    db: Session,
    author_text: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "author": author_text,
        "person": None,
        "summary": None,
        "notice": notice,
        "error": error,
        "confirm_word": CONFIRM_WORD,
    }
    if author_text and error is None:
        try:
            person = Author.parse(author_text)
        except ValueError as err:
            context["error"] = str(err).replace("--author ", "")
            return _render(request, "admin_privacy.html", context, 400)
        document = personal_data_of(session=db, author=person)
        context["person"] = person
        context["summary"] = {
            "mentions": len(document["mentions"]),
            "complaints": len(document["complaints"]),
            "corrections": len(document["corrections"]),
            "still_named": count_author_mentions(session=db, author=person),
            "requests": [
                e
                for e in document["access_log"]
                if e["action"] in (AccessAction.PRIVACY_EXPORT, AccessAction.PRIVACY_ERASE)
            ],
        }
    return _render(request, "admin_privacy.html", context, status_code)


@router.get("/admin/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, db: DbSession, _: PrivacyPage) -> HTMLResponse:
    """Find what is stored about one person; export it or erase it from here."""
    author = request.query_params.get("author", "").replace("\x00", "").strip()[:250]
    return _privacy_page(request, db, author)


@router.post("/admin/privacy/export", response_model=None)
def privacy_export(
    request: Request, engine: EngineDep, db: DbSession, admin: PrivacyForm, author: Text = ""
) -> Response:
    """Everything stored about the person as a JSON download; recorded in the access log."""
    try:
        person = Author.parse(author)
    except ValueError as err:
        message = str(err).replace("--author ", "")
        return _privacy_page(request, db, "", error=message, status_code=400)
    with session_scope(engine) as s:
        document = personal_data_of(session=s, author=person)
        record_access(
            session=s,
            actor=admin.username,
            action=AccessAction.PRIVACY_EXPORT,
            target=person.target,
            details={
                "mentions": len(document["mentions"]),
                "complaints": len(document["complaints"]),
                "corrections": len(document["corrections"]),
            },
        )
    stamp = utcnow().astimezone(WITA).strftime("%Y%m%d-%H%M")
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="data-pribadi-{stamp}.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/admin/privacy/erase", response_class=HTMLResponse)
def privacy_erase(
    request: Request,
    engine: EngineDep,
    db: DbSession,
    admin: PrivacyForm,
    author: Text = "",
    konfirmasi: Text = "",
) -> HTMLResponse:
    """Erase the person's text and identity (confirmed by typing HAPUS); recorded."""
    try:
        person = Author.parse(author)
    except ValueError as err:
        message = str(err).replace("--author ", "")
        return _privacy_page(request, db, "", error=message, status_code=400)
    if konfirmasi.strip() != CONFIRM_WORD:
        problem = f"Ketik {CONFIRM_WORD} untuk menghapus; tidak ada yang diubah."
        return _privacy_page(request, db, str(person), error=problem, status_code=400)
    counts = erase_author(engine=engine, author=person, now=utcnow())
    record_access_now(
        engine,
        actor=admin.username,
        action=AccessAction.PRIVACY_ERASE,
        target=person.target,
        details=counts.as_dict(),
    )
    notice = (
        f"Data {person} dihapus: teks dan identitas {counts.mentions} kiriman, "
        f"{counts.corrections} koreksi pelatihan; {counts.complaints} pengaduan "
        "tetap menyimpan fakta non-pribadinya."
    )
    db.expire_all()
    return _privacy_page(request, db, str(person), notice=notice)


# --- the access log ----------------------------------------------------------------------


def _day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=WITA).astimezone(UTC)


def _log_query(params: dict[str, str]) -> tuple[AccessQuery, dict[str, str], list[str]]:
    """The filters of the page's GET parameters; bad values become errors, not guesses."""
    values = {k: params.get(k, "").replace("\x00", "").strip()[:250] for k in _LOG_FILTERS}
    errors: list[str] = []
    target = values["target"] or None
    if values["author"]:
        try:
            target = Author.parse(values["author"]).target
        except ValueError as err:
            errors.append(str(err).replace("--author ", ""))
    if values["action"] and values["action"] not in ACCESS_ACTION_LABELS:
        errors.append("Tindakan tidak dikenal.")
    since, until = _day(values["dari"]), _day(values["sampai"])
    for key, parsed in (("dari", since), ("sampai", until)):
        if values[key] and parsed is None:
            errors.append(f"Tanggal “{key}” tidak valid; gunakan format TTTT-BB-HH.")
    try:
        page = max(int(params.get("page", "1")), 1)
    except ValueError:
        page = 1
    query = AccessQuery(
        actor=values["actor"] or None,
        action=values["action"] or None,
        target=target,
        since=_start_of(since) if since else None,
        until=_start_of(until + timedelta(days=1)) if until else None,
        page=min(page, 100_000),
    )
    return query, values, errors


@router.get("/admin/access-log", response_class=HTMLResponse)
def access_log_page(request: Request, db: DbSession, _: PrivacyPage) -> HTMLResponse:
    """The access log, newest first, filtered by who, what, target and WITA dates."""
    query, values, errors = _log_query(dict(request.query_params))
    entries, total = ([], 0) if errors else search_access_log(session=db, query=query)
    filters = {k: v for k, v in values.items() if v}
    context: dict[str, Any] = {
        "entries": entries,
        "total": total,
        "page": query.page,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "form": values,
        "errors": errors,
        "actors": access_actors(session=db),
        "actions": ACCESS_ACTION_LABELS,
        "export_url": "/admin/access-log.csv" + (f"?{urlencode(filters)}" if filters else ""),
        "page_url": lambda n: "/admin/access-log?" + urlencode({**filters, "page": n}),
    }
    return _render(request, "admin_access_log.html", context, 400 if errors else 200)


@router.get("/admin/access-log.csv", response_model=None)
def access_log_csv(
    request: Request, engine: EngineDep, admin: PrivacyPage
) -> StreamingResponse | HTMLResponse:
    """The filtered access log as CSV (oldest first); the export itself is recorded."""
    query, values, errors = _log_query(dict(request.query_params))
    if errors:
        return HTMLResponse(" ".join(errors), status_code=400)
    filters = {k: v for k, v in values.items() if v}
    stamp = utcnow().astimezone(WITA).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _log_rows(engine, query, admin.username, filters),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="log-akses-{stamp}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _log_rows(
    engine: Engine, query: AccessQuery, actor: str, filters: dict[str, str]
) -> Iterator[str]:
    sent = 0
    try:
        with Session(engine) as session:
            yield "\ufeff" + _csv_line(LOG_COLUMNS)
            for entry in all_access_entries(session=session, query=query):
                sent += 1
                yield _csv_line(
                    (
                        entry.id,
                        entry.at.astimezone(WITA).strftime("%Y-%m-%d %H:%M:%S"),
                        entry.actor,
                        entry.action,
                        entry.target,
                        json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
                    )
                )
    finally:
        record_access_now(
            engine,
            actor=actor,
            action=AccessAction.ACCESS_LOG_EXPORT,
            target="access_log",
            details={"filters": filters, "rows": sent},
        )


def _csv_line(cells: tuple[Any, ...]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe_cell(c) for c in cells])
    return out.getvalue()
