"""A page reads through one pooled connection: its navigation uses the request's session."""

import logging
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from inbox.app import create_app
from models.db import make_engine
from tests.support.routing import POLICY
from tests.support.web import AUTH, add_complaint, add_user, login

#: how long a request waits for a pooled connection in this test
POOL_TIMEOUT = 3


def test_a_page_and_its_navigation_need_one_connection(
    engine: Engine, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    add_complaint(engine, 1)
    add_user(engine, "staf.pdam", "agency", agency="PDAM")
    # One connection for the whole app: a page that wanted a second one for its
    # navigation (the open-complaint count, saved views) would wait for the pool.
    tiny = make_engine(store_url, pool_size=1, max_overflow=0, pool_timeout=POOL_TIMEOUT)
    try:
        client = TestClient(create_app(tiny, auth_config=AUTH, policy=POLICY))
        assert login(client, "staf.pdam").status_code == 303
        with caplog.at_level(logging.WARNING):
            started = time.monotonic()
            page = client.get("/inbox/PDAM")
            took = time.monotonic() - started
    finally:
        tiny.dispose()
    assert page.status_code == 200
    assert "Pengaduan saya (" in page.text  # the count is there, not left out
    assert took < POOL_TIMEOUT
    assert not [r for r in caplog.records if "navigation" in r.getMessage()]
