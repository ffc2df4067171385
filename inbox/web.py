"""What every page and API router shares: templates, the store session, the policy.

``create_app`` puts the engine and the routing policy in ``app.state``; routers reach
them through the dependencies below, so each router module can be a plain
``APIRouter`` without closures over the app's arguments.
"""

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from inbox.filters import safe_url, shown_value
from inbox.routed_by import actor_words, percent, routed_by
from lifecycle.deadlines import WorkingCalendar
from models.masking import mask_personal
from models.types import MAX_ID
from models.vocab import Role, label
from models.wita import format_wita
from notify.replies import ReplyPolicy
from router.policy import RoutingPolicy

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["wita"] = format_wita
TEMPLATES.env.filters["safe_url"] = safe_url
#: citizens' text on every page is shown masked unless the page says otherwise
TEMPLATES.env.filters["masked"] = mask_personal
# Every value a page prints loses its bidi controls (models.bidi): an unclosed U+202E
# in a citizen's name cannot reverse the rest of the line; <bdi> isolates the rest.
TEMPLATES.env.finalize = shown_value
# One label table for every page (models.vocab.LABELS): {{ label("status", c.status) }},
# {{ c.category | category }} (its Indonesian name), {{ m.platform | platform_label }}.
TEMPLATES.env.globals["label"] = label
TEMPLATES.env.filters["category"] = lambda code: label("category", code)
TEMPLATES.env.filters["platform_label"] = lambda code: label("platform", code)
TEMPLATES.env.globals["routed_by"] = routed_by
TEMPLATES.env.globals["actor_words"] = actor_words
TEMPLATES.env.filters["percent"] = percent

#: attributes of ``app.state`` set by create_app
ENGINE_ATTR = "aduan_engine"
POLICY_ATTR = "aduan_policy"
ORIGINAL_ROLES_ATTR = "aduan_original_text_roles"
#: who may read the original text when the app is given no list (the config's default)
DEFAULT_ORIGINAL_ROLES = frozenset({Role.ADMIN.value, Role.OPERATOR.value})


def store_engine(request: Request) -> Engine:
    """The engine of the store this app serves."""
    engine: Engine = getattr(request.app.state, ENGINE_ATTR)
    return engine


async def _app_engine(request: Request) -> Engine:
    return store_engine(request)


# async: FastAPI would hand a plain ``def`` to its thread pool (inbox.auth says more).
EngineDep = Annotated[Engine, Depends(_app_engine)]


#: ``request.state`` attribute holding the request's session (``db_session``)
REQUEST_SESSION_ATTR = "aduan_db_session"


async def db_session(request: Request, engine: EngineDep) -> AsyncIterator[Session]:
    """A read session for one request (changes go through the router's functions).

    Kept on ``request.state`` so the page's navigation (``request_session``) and the
    sign-in look-up read through it too: a page that held one pooled connection while
    its navigation waited for a second could, with as many requests at once as the
    pool has connections, leave every request waiting for another (until the pool's
    timeout). Opening it touches no connection (that waits for the first query); closing
    it gives the connection back to the pool, in the thread pool.
    """
    session = Session(engine)
    setattr(request.state, REQUEST_SESSION_ATTR, session)
    try:
        yield session
    finally:
        setattr(request.state, REQUEST_SESSION_ATTR, None)
        await run_in_threadpool(session.close)


def open_request_session(request: Request) -> Session | None:
    """The request's own session (``db_session``) while it is open, else None."""
    session = getattr(request.state, REQUEST_SESSION_ATTR, None)
    return session if isinstance(session, Session) else None


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """The request's own session if it has one (``db_session``), else a new one."""
    session = open_request_session(request)
    if session is not None:
        yield session
        return
    with Session(store_engine(request)) as own:
        yield own


DbSession = Annotated[Session, Depends(db_session)]


def routing_policy(request: Request) -> RoutingPolicy:
    """The routing policy (inboxes, triage inbox, deadlines) actions need; 503 if none."""
    policy: RoutingPolicy | None = getattr(request.app.state, POLICY_ATTR, None)
    if policy is None:
        raise HTTPException(status_code=503, detail="Kebijakan perutean belum dimuat.")
    return policy


PolicyDep = Annotated[RoutingPolicy, Depends(routing_policy)]

CALENDAR_ATTR = "aduan_calendar"


@lru_cache(maxsize=1)
def _default_calendar() -> WorkingCalendar:
    return WorkingCalendar("ID")


def working_calendar(request: Request) -> WorkingCalendar:
    """The working-day calendar response times are counted on (the config's country)."""
    calendar: WorkingCalendar | None = getattr(request.app.state, CALENDAR_ATTR, None)
    return calendar or _default_calendar()


CalendarDep = Annotated[WorkingCalendar, Depends(working_calendar)]


def reply_policy(request: Request) -> ReplyPolicy | None:
    """Who answers citizens and how (None: nobody, or no policy loaded)."""
    policy: RoutingPolicy | None = getattr(request.app.state, POLICY_ATTR, None)
    return policy.replies if policy is not None else None


def loaded_policy(request: Request) -> RoutingPolicy | None:
    """The routing policy when one is loaded (assignment notices use it), else None."""
    policy: RoutingPolicy | None = getattr(request.app.state, POLICY_ATTR, None)
    return policy


def original_roles(request: Request) -> frozenset[str]:
    """The roles the configuration lets ask for citizens' original text."""
    roles: frozenset[str] = getattr(request.app.state, ORIGINAL_ROLES_ATTR, DEFAULT_ORIGINAL_ROLES)
    return roles


OriginalRoles = Annotated[frozenset[str], Depends(original_roles)]


def whole_number(value: str | None) -> int | None:
    """*value* as a non-negative int if it is 1 to 12 ASCII digits, else None."""
    if value is None or not re.fullmatch(r"[0-9]{1,12}", value):
        return None
    return int(value)


#: a row id in a page's path (complaint, mention, notification, token): 422 outside
#: 1..MAX_ID, so an id the store's integer column cannot hold never reaches the store
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


def row_id(value: str | None) -> int | None:
    """*value* as a row id (1 to MAX_ID, ASCII digits), else None."""
    if value is None or not re.fullmatch(r"[0-9]{1,10}", value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None
