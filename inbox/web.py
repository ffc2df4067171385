"""What every page and API router shares: templates, the store session, the policy.

``create_app`` puts the engine and the routing policy in ``app.state``; routers reach
them through the dependencies below, so each router module can be a plain
``APIRouter`` without closures over the app's arguments.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.filters import safe_url
from models.masking import mask_personal
from models.vocab import Role
from models.wita import format_wita
from router.policy import RoutingPolicy

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["wita"] = format_wita
TEMPLATES.env.filters["safe_url"] = safe_url
#: citizens' text on every page is shown masked unless the page says otherwise
TEMPLATES.env.filters["masked"] = mask_personal

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


EngineDep = Annotated[Engine, Depends(store_engine)]


def db_session(engine: EngineDep) -> Iterator[Session]:
    """A read session for one request (changes go through the router's functions)."""
    with Session(engine) as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


def routing_policy(request: Request) -> RoutingPolicy:
    """The routing policy (inboxes, triage inbox, deadlines) actions need; 503 if none."""
    policy: RoutingPolicy | None = getattr(request.app.state, POLICY_ATTR, None)
    if policy is None:
        raise HTTPException(status_code=503, detail="Kebijakan perutean belum dimuat.")
    return policy


PolicyDep = Annotated[RoutingPolicy, Depends(routing_policy)]


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
