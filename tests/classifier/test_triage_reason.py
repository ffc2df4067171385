"""The triage page and `aduan triage` show why the model sent a mention there."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from classifier.model import UNFAMILIAR_TEXT, load_active
from inbox.app import create_app
from inbox.sessions import AuthConfig
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import MentionIn
from models.types import utcnow
from router.policy import RoutingPolicy
from router.route import route_pending
from tests.support.web import add_user, login

HOSTILE = "<script>alert(1)</script> Quarterly semiconductor revenue exceeded consensus."


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_triage_page_shows_the_abstention_reason(engine: Engine, model_dir: Path) -> None:
    add_user(engine, "kominfo1", "operator")
    with session_scope(engine) as session:
        insert_mentions(
            session=session,
            mentions=[
                MentionIn(
                    platform="twitter",
                    platform_id="1",
                    source="t",
                    text=HOSTILE,
                    created_at=utcnow(),
                )
            ],
        )
    policy = RoutingPolicy(category_inbox={}, triage_inbox="KOMINFO")
    result = route_pending(engine=engine, classifier=load_active(model_dir), policy=policy)
    assert result.triaged == 1
    app = create_app(engine, auth_config=AuthConfig(secret_key=b"k" * 32), policy=policy)
    client = TestClient(app, follow_redirects=False)
    assert login(client, "kominfo1").status_code == 303
    page = client.get("/triage", headers={"accept": "text/html"}).text
    assert f"Alasan ke triase: {UNFAMILIAR_TEXT}" in page
    assert "<script>alert(1)</script>" not in page  # the text is escaped
