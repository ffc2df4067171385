"""Complaint lists: an agency's inbox, and every inbox at once for Kominfo's operators.

``/inbox/{code}`` is one inbox's complaints, filtered, searched, sorted, paged and
exported; ``/complaints`` is the same list over every inbox (with an ``inbox`` filter),
where an operator finds what is new across agencies (the header's "Pengaduan baru"
opens it at ``status=baru``). Filters are GET parameters (``status``, ``category``,
``kecamatan``, ``platform``, ``dari``/``sampai`` as WITA dates, ``overdue``, ``q``,
``sort``, ``page``), so a filtered list can be bookmarked and the export lists exactly
what the page shows. With htmx the filter form swaps only the results.
"""

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any, cast
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from markupsafe import Markup
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.access import Forbidden, Permission, access, landing_page
from inbox.auth import CurrentUser, require_permission
from inbox.csv_export import complaint_row, csv_chunks
from inbox.web import TEMPLATES, DbSession, EngineDep
from lifecycle.assignment import assignable_users
from lifecycle.bulk import MAX_BULK
from lifecycle.reports import missed_step, overdue_step
from models.access_log import record_access_now
from models.agencies import list_agencies
from models.complaint_search import (
    ComplaintFilter,
    ListedComplaint,
    ListedMention,
    Sort,
    list_page,
    status_counts,
)
from models.complaint_view import all_matching, kecamatan_choices, origin_mentions
from models.masking import mask_personal
from models.notes import MAX_NOTE_LENGTH
from models.tables import Agency, Complaint, User
from models.types import utcnow
from models.vocab import (
    CATEGORIES,
    OVERDUE_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    AccessAction,
    ComplaintStatus,
    Platform,
)
from models.wita import WITA

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
#: pages beyond this are not asked of the store (the offset would only waste it)
MAX_PAGE = 10_000
#: the export stops after this many complaints
EXPORT_LIMIT = 50_000
MAX_TEXT = 200

#: messages shown after a redirect (``?ok=...``); fixed text, never taken from the URL
NOTICES: dict[str, str] = {
    "status": "Status pengaduan diperbarui.",
    "catatan": "Catatan internal disimpan.",
    "bukan_wewenang": "Pengaduan dikembalikan ke triase Kominfo sebagai bukan wewenang.",
    "rahasia": (
        "Pengaduan ditandai rahasia: tidak tampil di Open311 dan halaman publik, dan "
        "teksnya tidak dikirim dalam notifikasi."
    ),
    "bukan_rahasia": "Tanda rahasia dicabut.",
    "petugas": "Petugas pengaduan diperbarui.",
    "tanpa_petugas": "Pengaduan tidak lagi ditugaskan ke petugas mana pun.",
    "tampilan": "Tampilan disimpan; tautannya ada di navigasi.",
    "massal": "Tindakan massal diterapkan ke semua pengaduan yang dipilih.",
}
_FILTER_KEYS = (
    "q",
    "inbox",
    "status",
    "category",
    "kecamatan",
    "platform",
    "dari",
    "sampai",
    "overdue",
)
_YES = ("1", "true", "on", "ya")


@dataclass(frozen=True)
class InboxQuery:
    """The list's GET parameters: the filter, the values to refill the form, any errors."""

    filter: ComplaintFilter
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InboxRow:
    """One line of the list."""

    complaint: ListedComplaint
    mention: ListedMention | None
    overdue: str | None
    deadline: datetime | None


def _clean(value: str | None, limit: int = 100) -> str:
    # NUL cannot be stored or compared on PostgreSQL; nothing a person types contains it.
    return (value or "").replace("\x00", "").strip()[:limit]


def _day(values: dict[str, str], key: str, errors: list[str]) -> date | None:
    if not values[key]:
        return None
    try:
        day = date.fromisoformat(values[key])
        if not 2000 <= day.year <= 2100:
            raise ValueError(day)
    except ValueError:
        errors.append(f"Tanggal “{key}” tidak valid; gunakan format TTTT-BB-HH, mis. 2026-11-20.")
        values[key] = ""
        return None
    return day


def _start_of(day: date) -> datetime:
    """Midnight WITA of *day*, in UTC."""
    return datetime.combine(day, time(), tzinfo=WITA).astimezone(UTC)


def _choice(
    values: dict[str, str], key: str, known: Collection[str], message: str, errors: list[str]
) -> str | None:
    if not values[key]:
        return None
    if values[key] not in known:
        errors.append(message)
        values[key] = ""
        return None
    return values[key]


def parse_query(
    code: str | None, params: Mapping[str, str], inboxes: Collection[str] = ()
) -> InboxQuery:
    """The inbox *code*'s list (every inbox's: None) as the GET *params* ask for it.

    Bad values become errors. An unreadable page number means the first page; every
    other bad value is an error the page shows (HTTP 400) instead of guessing what was
    meant. The ``inbox`` filter applies to the list of every inbox, one of *inboxes*.
    """
    errors: list[str] = []
    values = {key: _clean(params.get(key), MAX_TEXT if key == "q" else 100) for key in _FILTER_KEYS}
    values["sort"] = _clean(params.get("sort")) or "newest"
    if code is None:
        code = _choice(values, "inbox", inboxes, "Inbox tidak dikenal.", errors)
    else:
        values["inbox"] = ""
    status = _choice(values, "status", STATUS_LABELS, "Status tidak dikenal.", errors)
    category = _choice(values, "category", CATEGORIES, "Kategori tidak dikenal.", errors)
    platform = _choice(values, "platform", tuple(Platform), "Platform tidak dikenal.", errors)
    sort = _choice(values, "sort", SORT_LABELS, "Urutan tidak dikenal.", errors)
    since, until = _day(values, "dari", errors), _day(values, "sampai", errors)
    if since and until and since > until:
        errors.append("Tanggal “dari” harus sebelum atau sama dengan “sampai”.")
    values["overdue"] = "1" if values["overdue"].lower() in _YES else ""
    try:
        page = min(max(int(_clean(params.get("page"), 12)), 1), MAX_PAGE)
    except ValueError:
        page = 1
    flt = ComplaintFilter(
        inbox=code,
        status=status,
        category=category,
        kecamatan=values["kecamatan"] or None,
        platform=platform,
        since=_start_of(since) if since else None,
        # "sampai" is the last day included: up to the next midnight.
        until=_start_of(until + timedelta(days=1)) if until else None,
        overdue=bool(values["overdue"]),
        text=values["q"] or None,
        sort=cast(Sort, sort or "newest"),  # checked against SORT_LABELS
        page=page,
        page_size=PAGE_SIZE,
    )
    return InboxQuery(flt, values, errors)


def inbox_link(
    code: str | None, values: Mapping[str, str], *, suffix: str = "", **changes: Any
) -> str:
    """The list's URL with the current filters and *changes* (None drops a parameter)."""
    params: dict[str, Any] = {k: values.get(k, "") for k in (*_FILTER_KEYS, "sort")}
    params.update(changes)
    if params.get("sort") == "newest":
        params["sort"] = ""
    if params.get("page") == 1:
        params["page"] = None
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    base = "/complaints" if code is None else f"/inbox/{quote(code, safe='')}{suffix}"
    return base + (f"?{query}" if query else "")


def readable_inbox(db: Session, user: User, code: str) -> Agency:
    """The inbox *code* if *user* may list it: 403 for roles without complaints, else 404."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise Forbidden()
    agency = None if "\x00" in code else db.get(Agency, code)
    # Another agency's inbox looks exactly like one that does not exist.
    if agency is None or not access.can_read_inbox(user, code):
        raise HTTPException(status_code=404, detail="Inbox tidak ditemukan")
    return agency


#: distinct list rows kept rendered, per process (a few MB): people open the same pages
#: of an inbox again and again, and most rows of a page were on it the last time too
ROW_CACHE = 2048


@lru_cache(maxsize=ROW_CACHE)
def row_markup(row: InboxRow, *, can_bulk: bool, one_inbox: bool, inbox_title: str) -> Markup:
    """One line of the list (``_inbox_row.html``): rendered once per distinct line.

    The HTML depends on nothing but these arguments (the row's columns, the deadline and
    overdue step computed for it, the options) and the template's pure filters, so an
    equal row renders to the same HTML: masking, escaping and the WITA times included.
    """
    html = TEMPLATES.get_template("_inbox_row.html").render(
        row=row,
        can_bulk=can_bulk,
        one_inbox=one_inbox,
        inbox_title=inbox_title,
        short=True,
        statuses=STATUS_LABELS,
        overdue_labels=OVERDUE_LABELS,
    )
    # Already HTML: the output of an autoescaping template, every value in it escaped.
    return Markup(html)  # noqa: S704


def next_deadline(complaint: Complaint | ListedComplaint) -> datetime | None:
    """The deadline of the complaint's next step, if it still has one."""
    if complaint.status == ComplaintStatus.BARU:
        return complaint.respond_by
    if complaint.status == ComplaintStatus.RESPON_AWAL:
        return complaint.follow_up_by
    return None


@router.get("/inbox/{code}", response_class=HTMLResponse)
def inbox(request: Request, code: str, db: DbSession, user: CurrentUser) -> HTMLResponse:
    """One inbox's complaints, as the filters ask."""
    agency = readable_inbox(db, user, code)
    return _list_page(request, db, user, agency)


@router.get("/complaints", response_class=HTMLResponse, response_model=None)
def all_complaints(
    request: Request, db: DbSession, user: CurrentUser
) -> HTMLResponse | RedirectResponse:
    """Every inbox's complaints (Kominfo staff); agency staff are sent to their own inbox."""
    if access.inbox_filter(user) is not None:  # Forbidden for roles without complaints
        return RedirectResponse(landing_page(user), status_code=303)
    return _list_page(request, db, user, None)


def _list_page(request: Request, db: Session, user: User, agency: Agency | None) -> HTMLResponse:
    """The list of one inbox (*agency*) or of every inbox (None), as the filters ask."""
    code = agency.code if agency is not None else None
    # One inbox's list names no other inbox (no inbox filter, no inbox column).
    inboxes = {a.code: a.name for a in list_agencies(session=db)} if code is None else {}
    query = parse_query(code, request.query_params, inboxes)
    context: dict[str, Any] = {
        "agency": agency,
        "inboxes": inboxes,
        "query": query,
        "form": query.values,
        "link": lambda **kw: inbox_link(code, query.values, **kw),
        "export_url": inbox_link(code, query.values, suffix="/export.csv"),
        "clear_url": inbox_link(code, {}),
        "can_export": code is not None and access.can(user, Permission.EXPORT),
        "export_limit": EXPORT_LIMIT,
        "statuses": STATUS_LABELS,
        "sorts": SORT_LABELS,
        "overdue_labels": OVERDUE_LABELS,
        "categories": CATEGORIES,
        "platforms": list(Platform),
        "kecamatans": kecamatan_choices(session=db, inbox=code),
        "notice": NOTICES.get(request.query_params.get("ok", "")),
        "rows": [],
        "result": None,
        "counts": {},
        "can_bulk": access.can(user, Permission.WORK_COMPLAINTS),
        "can_bulk_export": access.can(user, Permission.EXPORT),
        "bulk_statuses": [
            (s, STATUS_LABELS[s])
            for s in ComplaintStatus
            if s not in (ComplaintStatus.BARU, ComplaintStatus.BUKAN_WEWENANG)
        ],
        "petugas": assignable_users(session=db, inbox=code) if code else [],
        "max_bulk": MAX_BULK,
        "max_note": MAX_NOTE_LENGTH,
        "back_url": inbox_link(code, query.values),
    }
    if query.errors:
        return TEMPLATES.TemplateResponse(request, "inbox.html", context, status_code=400)
    now = utcnow()
    counts = status_counts(session=db, filter=query.filter, now=now)
    result = list_page(session=db, filter=query.filter, now=now, counts=counts)
    context["rows"] = [
        InboxRow(c, m, missed_step(c.status, c.respond_by, c.follow_up_by, now), next_deadline(c))
        for c, m in result.items
    ]
    context["result"] = result
    context["counts"] = counts
    can_bulk = context["can_bulk"]

    def markup(row: InboxRow) -> Markup:
        inbox = row.complaint.inbox
        title = "" if code is not None else inboxes.get(inbox, inbox)
        return row_markup(row, can_bulk=can_bulk, one_inbox=code is not None, inbox_title=title)

    context["row_markup"] = markup
    return TEMPLATES.TemplateResponse(request, "inbox.html", context)


ExportUser = Annotated[User, Depends(require_permission(Permission.EXPORT))]


@router.get("/inbox/{code}/export.csv")
def export_csv(
    request: Request, code: str, db: DbSession, engine: EngineDep, user: ExportUser
) -> StreamingResponse:
    """The filtered list, every page (up to EXPORT_LIMIT), as CSV for spreadsheets."""
    readable_inbox(db, user, code)
    query = parse_query(code, request.query_params)
    if query.errors:
        raise HTTPException(status_code=400, detail=" ".join(query.errors))
    now = utcnow()
    name = re.sub(r"[^A-Za-z0-9_-]", "_", code)
    stamp = now.astimezone(WITA).strftime("%Y%m%d-%H%M")
    # A search for a NIK or a phone number is recorded as a search, not the number.
    filters = {"inbox": code, **{k: mask_personal(v) for k, v in query.values.items() if v}}
    return StreamingResponse(
        csv_stream(engine, query.filter, now, user.username, filters),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="aduan-{name}-{stamp}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def csv_stream(
    engine: Engine, flt: ComplaintFilter, now: datetime, actor: str, filters: dict[str, str]
) -> Iterator[str]:
    """The CSV, then an access-log entry with the filters and the rows actually sent."""
    sent = 0
    complete = False
    try:
        # Its own session: the request's session is closed before the body is streamed.
        with Session(engine) as session:
            batches = all_matching(session=session, filter=flt, now=now, limit=EXPORT_LIMIT)

            def rows() -> Iterator[list[list[str]]]:
                nonlocal sent
                for batch in batches:
                    origins = origin_mentions(session=session, complaints=batch)
                    sent += len(batch)
                    yield [
                        complaint_row(c, origins.get(c.id or 0), overdue_step(c, now))
                        for c in batch
                    ]

            yield from csv_chunks(rows())
        complete = True
    finally:
        # Also when the download was cut off (rows counted as they are handed out).
        record_access_now(
            engine,
            actor=actor,
            action=AccessAction.EXPORT_CSV,
            target=f"inbox:{filters['inbox']}",
            details={"filters": filters, "rows": sent, "complete": complete},
        )
