"""The web inbox under test: hostile texts, accounts, signed-in clients, forms and complaints."""

import re
from datetime import datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from inbox.app import create_app
from inbox.sessions import AuthConfig, Authenticator
from models.accounts import create_account, create_user
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Mention, User
from models.vocab import ComplaintStatus
from router.route import route_pending
from tests.support.factories import agencies, mention
from tests.support.routing import POLICY, KeywordClassifier

#: markup that must reach every page as text, never as a tag
SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
#: a text longer than any page shows whole
LONG = "A" * 5000
#: the CSRF token as pages embed it in their forms
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: sign-in settings for test apps (the key's value does not matter)
AUTH = AuthConfig(secret_key=b"k" * 32)
PASSWORD = "kopi-bali-pagi-7"


def add_user(
    engine: Engine,
    username: str,
    role: str = "operator",
    *,
    agency: str | None = None,
    password: str = PASSWORD,
) -> User:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        return create_account(
            session=s, username=username, role=role, password=password, agency_code=agency
        )


def login(
    client: TestClient,
    username: str,
    password: str = PASSWORD,
    *,
    next: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Open the sign-in form (for its CSRF cookie) and post it."""
    client.get("/login")
    token = client.cookies.get("aduan_login") or client.cookies.get("__Host-aduan_login")
    data = {"username": username, "password": password, "csrf_token": token or ""}
    if next is not None:
        data["next"] = next
    return client.post("/login", data=data, headers=headers or {}, follow_redirects=False)


#: a post that tries markup and script (and names a lamp, so it is routed to LPJU)
EVIL = f"{SCRIPT}{IMG} lampu mati"


def signed_in(
    engine: Engine, username: str = "operator1", role: str = "operator", agency: str | None = None
) -> TestClient:
    """A client of the real app (with the routing policy), signed in as a new user of *role*."""
    add_user(engine, username, role, agency=agency)
    client = TestClient(create_app(engine, auth_config=AUTH, policy=POLICY))
    response = login(client, username)
    assert response.status_code in (200, 303), response.text
    return client


def add_complaint(
    engine: Engine,
    n: int,
    *,
    inbox: str = "PDAM",
    status: str = "baru",
    created: datetime | None = None,
    mention_fields: dict[str, Any] | None = None,
    **details: Any,
) -> int:
    """File the n-th synthetic mention straight into *inbox*; its complaint's id."""
    category = details.pop("category", inbox)
    reporters = details.pop("reporters", 1)
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=[mention(n, **(mention_fields or {}))])
        m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()
        c = file_complaint(
            session=s,
            mention=m,
            category=category,
            inbox=inbox,
            confidence=0.87,
            routed_by="model:test",
            details=details,
        )
        assert c is not None and c.id is not None
        c.status, c.reporters = ComplaintStatus(status), reporters
        if created is not None:
            c.created_at = created
        s.add(c)
        return c.id


def filled_inbox(engine: Engine) -> TestClient:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[
                mention(1, text=EVIL, author_name="<b>bold</b>", url="javascript:alert(1)"),
                mention(2, text="air mati di panjer", url="https://x.com/a/status/1002"),
                mention(3, text="bingung <i>ini</i>"),
                mention(4, text="lampu " + LONG, author_name="<img src=x onerror=alert(2)>"),
            ],
        )
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    return signed_in(engine)


def client_for(
    engine: Engine, username: str = "kominfo1", role: str = "operator", **kw: Any
) -> TestClient:
    """A client of the real app (with the routing policy), signed in as a new user."""
    add_user(engine, username, role, agency=kw.pop("agency", None))
    app = create_app(engine, auth_config=AUTH, policy=POLICY, **kw)
    client = TestClient(app, follow_redirects=False)
    assert login(client, username).status_code == 303
    return client


def csrf_token(client: TestClient, path: str = "/triage") -> str:
    """The CSRF token of the client's session, from any page's forms (the logout form too)."""
    found = CSRF.search(client.get(path, headers={"accept": "text/html"}).text)
    assert found is not None
    return found.group(1)


def post(client: TestClient, path: str, token: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": token, **data})


def quick_client(
    engine: Engine, app: Any, username: str, role: str, agency: str | None = None
) -> tuple[TestClient, str]:
    """A client signed in as a new user, skipping password hashing; (client, CSRF token).

    For tests about what a role sees, not about signing in (that is tested apart).
    """
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        create_user(session=s, username=username, role=role, password_hash="-", agency_code=agency)
    with session_scope(engine) as s:
        user = s.exec(select(User).where(User.username == username)).one()
    started = Authenticator(engine, AUTH).start_session(user)
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(AUTH.session_cookie, started.cookie)
    return client, started.csrf_token
