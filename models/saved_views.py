"""Saved views: named list filters of a user, personal or shared with their agency.

Who sees a view: its owner, and when it is shared, the other users of the owner's
agency (Kominfo staff share with Kominfo staff). The page checks the view's inbox
again when showing it, so a user moved to another agency does not see the old inbox.
"""

from sqlalchemy import ColumnElement, and_, bindparam, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from models.exceptions import NotFound
from models.tables import SavedView, User
from models.vocab import Role

#: the most views a user has (their own); the navigation shows them all
MAX_VIEWS = 20


def _visible(agency: ColumnElement[bool]) -> SelectOfScalar[SavedView]:
    mine = col(SavedView.owner_id) == bindparam("user_id")
    return select(SavedView).where(or_(mine, and_(col(SavedView.shared).is_(True), agency)))


# Built once (every page's navigation asks): an agency user's, and a Kominfo user's.
_VISIBLE_IN_AGENCY = _visible(col(SavedView.owner_agency) == bindparam("agency"))
_VISIBLE_AT_KOMINFO = _visible(col(SavedView.owner_agency).is_(None))


def visible_views(*, session: Session, user: User) -> list[SavedView]:
    """*user*'s views and those shared with them, their own first, by name."""
    if user.id is None or user.role == Role.VIEWER:
        return []
    if user.agency_code:
        found = session.exec(
            _VISIBLE_IN_AGENCY, params={"user_id": user.id, "agency": user.agency_code}
        )
    else:
        found = session.exec(_VISIBLE_AT_KOMINFO, params={"user_id": user.id})
    views = list(found)
    return sorted(views, key=lambda v: (v.owner_id != user.id, v.name.lower(), v.id or 0))


def save_view(
    *,
    session: Session,
    user: User,
    name: str,
    inbox: str | None,
    filters: dict[str, str],
    shared: bool,
) -> SavedView:
    """Store (or, under the same name, replace) a view of *user*; ValueError names a problem."""
    assert user.id is not None
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("Nama tampilan wajib diisi, paling banyak 100 karakter.")
    view = session.exec(
        select(SavedView).where(SavedView.owner_id == user.id, SavedView.name == name)
    ).first()
    if view is None:
        count = len(session.exec(select(SavedView.id).where(SavedView.owner_id == user.id)).all())
        if count >= MAX_VIEWS:
            raise ValueError(f"Paling banyak {MAX_VIEWS} tampilan per akun; hapus yang lama dulu.")
        view = SavedView(name=name, owner_id=user.id)
    view.owner_agency = user.agency_code
    view.inbox = inbox
    view.filters = {k: v for k, v in filters.items() if v}
    view.shared = shared
    session.add(view)
    session.flush()
    return view


def delete_view(*, session: Session, user: User, view_id: int) -> None:
    """Delete *user*'s own view; NotFound for anyone else's (shared or not) or a missing one."""
    view = session.get(SavedView, view_id)
    if view is None or view.owner_id != user.id:
        raise NotFound(f"no saved view {view_id} of {user.username}")
    session.delete(view)
