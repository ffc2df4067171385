"""Saved views: name the list's filters and sort, keep them personal or share them with
the agency; the navigation lists them with live counts, ``/tampilan`` manages them.

A view is opened by its link (the list with its filters), so opening one goes through
the list's own access checks; counting also checks that the user may read its inbox.
"""

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from inbox.access import Forbidden, Permission, access
from inbox.auth import CsrfUser, CurrentUser, signed_in_user
from inbox.inbox_pages import inbox_link, parse_query
from inbox.web import TEMPLATES, DbSession, EngineDep, RowId, request_session
from models.agencies import list_agencies
from models.complaint_search import status_counts
from models.db import session_scope
from models.exceptions import NotFound
from models.saved_views import MAX_VIEWS, delete_view, save_view, visible_views
from models.tables import User
from models.types import utcnow

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]


@dataclass(frozen=True)
class ViewLink:
    """A saved view as the navigation shows it."""

    id: int
    name: str
    url: str
    count: int | None
    shared: bool
    mine: bool


def view_links(db: Session, user: User) -> list[ViewLink]:
    """The views *user* sees, with their links and how many complaints each holds now."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        return []
    now = utcnow()
    out = []
    # Only a view of every inbox reads the inbox codes (its inbox filter); most pages'
    # navigation has none, and no views at all is the common case.
    inboxes: dict[str, str] | None = None
    for view in visible_views(session=db, user=user):
        assert view.id is not None
        if view.inbox is None and user.role == "agency":
            continue
        if view.inbox is not None and not access.can_read_inbox(user, view.inbox):
            continue
        if view.inbox is None and inboxes is None:
            inboxes = {a.code: a.name for a in list_agencies(session=db)}
        query = parse_query(view.inbox, view.filters, inboxes or {})
        count = None
        if not query.errors:
            counts = status_counts(session=db, filter=query.filter, now=now)
            status = query.filter.status
            count = counts.get(status, 0) if status else sum(counts.values())
        url = inbox_link(view.inbox, query.values)
        out.append(ViewLink(view.id, view.name, url, count, view.shared, view.owner_id == user.id))
    return out


def nav_views(request: Request) -> list[ViewLink]:
    """The navigation's saved views of the signed-in user (none for a page without one)."""
    user = signed_in_user(request)
    if user is None:
        return []
    try:
        with request_session(request) as db:
            return view_links(db, user)
    except SQLAlchemyError:
        # An error page must still render when the store fails: no views then.
        log.warning("saved views left out of the navigation: the store failed", exc_info=True)
        return []


TEMPLATES.env.globals["nav_views"] = nav_views


@router.get("/tampilan", response_class=HTMLResponse)
def views_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    """The user's saved views and those shared with them; their own can be deleted."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise Forbidden()
    notice = {"dihapus": "Tampilan dihapus."}.get(request.query_params.get("ok", ""))
    context: dict[str, Any] = {"views": view_links(db, user), "notice": notice, "max": MAX_VIEWS}
    return TEMPLATES.TemplateResponse(request, "views.html", context)


@router.post("/tampilan", response_model=None)
async def save(request: Request, engine: EngineDep, user: CsrfUser) -> Response:
    """Save the list's current filters (the form's hidden fields) under a name."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise Forbidden()
    form = await request.form()
    params = {k: v.replace("\x00", "") for k, v in form.items() if isinstance(v, str)}
    code = params.get("kode_inbox") or None
    if user.role == "agency" and code is None:
        code = access.inbox_filter(user)
    if code is not None and not access.can_read_inbox(user, code):
        raise HTTPException(status_code=404, detail="Inbox tidak ditemukan")
    with session_scope(engine) as db:
        inboxes = {a.code: a.name for a in list_agencies(session=db)}
        if code is not None and code not in inboxes:
            raise HTTPException(status_code=404, detail="Inbox tidak ditemukan")
        query = parse_query(code, params, inboxes)
        problem = " ".join(query.errors)
        if not problem:
            try:
                save_view(
                    session=db,
                    user=user,
                    name=params.get("nama", ""),
                    inbox=code,
                    # The default order is left out, like in the list's own links.
                    filters={
                        k: v
                        for k, v in query.values.items()
                        if k != "page" and not (k == "sort" and v == "newest")
                    },
                    shared=params.get("bagikan") == "1",
                )
            except ValueError as err:
                problem = str(err)
    if problem:
        context: dict[str, Any] = {"views": [], "notice": None, "error": problem, "max": MAX_VIEWS}
        return TEMPLATES.TemplateResponse(request, "views.html", context, status_code=400)
    url = inbox_link(code, query.values)
    joiner = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{joiner}ok=tampilan", status_code=303)


@router.post("/tampilan/{view_id}/hapus", response_model=None)
def delete(view_id: RowId, engine: EngineDep, user: CsrfUser) -> Response:
    """Delete one of the user's own views (someone else's answers 404, shared or not)."""
    if not access.can(user, Permission.READ_COMPLAINTS):
        raise Forbidden()
    with session_scope(engine) as db:
        try:
            delete_view(session=db, user=user, view_id=view_id)
        except NotFound:
            raise HTTPException(status_code=404, detail="Tampilan tidak ditemukan") from None
    return RedirectResponse("/tampilan?ok=dihapus", status_code=303)
