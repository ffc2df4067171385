"""The REST API under test: one complaint per ROWS entry, one token per role, a client."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from inbox.app import create_app
from models.accounts import create_user, issue_api_token
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Mention
from models.types import utcnow
from models.vocab import ROLES
from router.policy import RoutingPolicy
from tests.support.factories import agencies, mention
from tests.support.routing import POLICY
from tests.support.web import AUTH, IMG, SCRIPT

#: a post that tries markup and script, filed to PDAM
EVIL_AIR = f"{SCRIPT}{IMG} air mati"


#: (key, platform, text, category, inbox, kecamatan, days ago, respond_by in hours)
ROWS = (
    ("evil", "twitter", EVIL_AIR, "PDAM", "PDAM", "Denpasar Selatan", 1, -5),
    ("keruh", "facebook", "air keruh 100% di ubung", "PDAM", "PDAM", "Denpasar Utara", 3, 24),
    ("lampu", "instagram", "lampu jalan mati di renon", "LPJU", "LPJU", "Denpasar Selatan", 2, 24),
    ("pungli", "twitter", "pungli di kantor desa", "OTHER", "KOMINFO", None, 120, 24),
)


def fill(engine: Engine) -> dict[str, int]:
    """Agencies and one filed complaint per ROWS entry; their ids by key."""
    now = utcnow()
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        posts = [
            mention(n, platform=p, text=t, author_name=f"<b>Warga {n}</b>")
            for n, (_, p, t, *_) in enumerate(ROWS, 1)
        ]
        posts[0] = posts[0].model_copy(update={"url": "javascript:alert(1)"})
        insert_mentions(session=s, mentions=posts)
    ids = {}
    with session_scope(engine) as s:
        for n, (key, _, _, category, inbox, kecamatan, days, hours) in enumerate(ROWS, 1):
            m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()
            details = {
                "kecamatan": kecamatan,
                "desa": "Sesetan" if n == 1 else None,
                "street": "Jl. Raya Sesetan" if n == 1 else None,
                "respond_by": now + timedelta(hours=hours),
                "follow_up_by": now + timedelta(days=5),
            }
            c = file_complaint(
                session=s,
                mention=m,
                category=category,
                inbox=inbox,
                confidence=0.9,
                routed_by="router",
                details=details,
            )
            assert c is not None and c.id is not None
            c.created_at = c.updated_at = now - timedelta(days=days)
            ids[key] = c.id
    return ids


def tokens(engine: Engine) -> dict[str, str]:
    """One user and API token per role (the agency user works PDAM); no password hashing."""
    out = {}
    with session_scope(engine) as s:
        for role in ROLES:
            agency = "PDAM" if role == "agency" else None
            create_user(session=s, username=role, role=role, password_hash="-", agency_code=agency)
            out[role], _ = issue_api_token(session=s, username=role, name="test")
    return out


def client(engine: Engine, policy: RoutingPolicy | None = POLICY) -> TestClient:
    return TestClient(create_app(engine, auth_config=AUTH, policy=policy))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def serve_api(engine: Engine) -> tuple[TestClient, dict[str, int], dict[str, str]]:
    ids = fill(engine)
    return client(engine), ids, tokens(engine)
