"""How the daemon serves the web inbox: which proxies are believed, what the access log shows."""

import logging

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from aduan.daemon import web_server_config
from aduan.settings import WebConfig
from inbox.app import create_app
from models.accounts import issue_api_token
from models.db import session_scope
from models.tables import LoginAttempt
from tests.support.net import free_port
from tests.support.routing import POLICY
from tests.support.server import serving
from tests.support.web import AUTH, add_user

FORGED = "203.0.113.9"


def _failed_sign_in_address(engine: Engine, web: WebConfig) -> str:
    """Sign in wrongly through a real server with a forged X-Forwarded-For; the address stored."""
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    with serving(web_server_config(web, app)) as url, httpx.Client(base_url=url) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "ops",
                "password": "bukan-sandinya-9",
                "csrf_token": client.cookies.get("aduan_login") or "",
            },
            headers={"X-Forwarded-For": FORGED},
        )
        assert response.status_code == 401
    with Session(engine) as s:
        return s.exec(select(LoginAttempt.address)).one()


def test_forwarded_headers_are_not_believed_by_default(engine: Engine) -> None:
    add_user(engine, "ops")
    web = WebConfig(port=free_port())
    assert web.trusted_proxies == []
    # Without trusted proxies a local process cannot pose as another address.
    assert _failed_sign_in_address(engine, web) == "127.0.0.1"


def test_a_configured_proxy_is_believed(engine: Engine) -> None:
    add_user(engine, "ops")
    web = WebConfig.model_validate({"port": free_port(), "trusted_proxies": ["127.0.0.1/32"]})
    assert _failed_sign_in_address(engine, web) == FORGED


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_access_log_never_shows_an_api_key(engine: Engine) -> None:
    add_user(engine, "ops")
    with session_scope(engine) as s:
        token, _ = issue_api_token(session=s, username="ops", name="open311")
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    config = web_server_config(WebConfig(port=free_port()), app, log_level="info")
    lines = _Lines()
    logging.getLogger("uvicorn.access").addHandler(lines)
    try:
        with serving(config) as url:
            for query in (f"api_key={token}", f"x=PDAM&api_key={token}&y=1"):
                answer = httpx.get(f"{url}/open311/v2/services.json?{query}")
                assert answer.status_code == 200
    finally:
        logging.getLogger("uvicorn.access").removeHandler(lines)
    assert len(lines.lines) == 2, lines.lines
    assert all(token not in line and "[disembunyikan]" in line for line in lines.lines)
