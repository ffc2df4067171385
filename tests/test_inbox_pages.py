"""The web inbox pages on both stores, and escaping of untrusted mention text."""

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from inbox.app import create_app
from inbox.auth import AuthConfig
from models.agencies import sync_agencies
from models.db import session_scope
from models.mentions import insert_mentions
from router.policy import RoutingPolicy
from router.route import route_pending
from tests.factories import agencies, mention
from tests.test_auth import add_user, login
from tests.test_route import KeywordClassifier

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> lampu mati'
POLICY = RoutingPolicy(category_inbox={"PDAM": "PDAM", "LPJU": "LPJU"}, triage_inbox="KOMINFO")


AUTH = AuthConfig(secret_key=b"k" * 32)


def signed_in(engine: Engine, username: str = "operator1", role: str = "operator",
              agency: str | None = None) -> TestClient:  # fmt: skip
    """A client of the real app, signed in as a new user of *role*."""
    add_user(engine, username, role, agency=agency)
    client = TestClient(create_app(engine, auth_config=AUTH))
    response = login(client, username)
    assert response.status_code in (200, 303), response.text
    return client


def _filled(engine: Engine) -> TestClient:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[
                mention(1, text=EVIL, author_name="<b>bold</b>", url="javascript:alert(1)"),
                mention(2, text="air mati di panjer", url="https://x.com/a/status/1002"),
                mention(3, text="bingung <i>ini</i>"),
            ],
        )
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    return signed_in(engine)


def test_overview_lists_inboxes_with_counts(engine: Engine) -> None:
    page = _filled(engine).get("/")
    assert page.status_code == 200
    assert 'href="/inbox/LPJU"' in page.text
    assert 'Triase: <a href="/triage">1</a>' in page.text


def test_inbox_page_shows_complaints_escaped(engine: Engine) -> None:
    client = _filled(engine)
    page = client.get("/inbox/LPJU")
    assert page.status_code == 200
    assert "<script>" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "javascript:" not in page.text  # an unsafe link is shown as text, not linked
    pdam = client.get("/inbox/PDAM")
    assert 'href="https://x.com/a/status/1002"' in pdam.text
    assert "WITA" in pdam.text


def test_triage_page_lists_unsure_mentions(engine: Engine) -> None:
    page = _filled(engine).get("/triage")
    assert "bingung &lt;i&gt;ini&lt;/i&gt;" in page.text


def test_unknown_inbox_is_404(engine: Engine) -> None:
    assert _filled(engine).get("/inbox/NOPE").status_code == 404


def test_pages_need_a_signed_in_user(engine: Engine) -> None:
    anonymous = TestClient(create_app(engine, auth_config=AUTH))
    for path in ("/", "/inbox/PDAM", "/triage"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    assert anonymous.get("/triage", follow_redirects=False).headers["location"] == (
        "/login?next=%2Ftriage"
    )


def test_agency_users_see_only_their_inbox(engine: Engine) -> None:
    _filled(engine)
    client = signed_in(engine, "pdam1", "agency", agency="PDAM")
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/inbox/PDAM")
    assert client.get("/inbox/PDAM").status_code == 200
    assert client.get("/inbox/LPJU").status_code == 404  # looks like a missing inbox
    assert client.get("/triage").status_code == 403
