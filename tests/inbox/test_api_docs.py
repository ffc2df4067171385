"""The API docs: off by default; when on, Swagger UI from vendored files with their licence."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from inbox.app import STATIC_DIR, create_app
from tests.support.routing import POLICY
from tests.support.web import AUTH


def _client(*, api_docs: bool = False) -> TestClient:
    return TestClient(
        create_app(create_engine("sqlite://"), auth_config=AUTH, policy=POLICY, api_docs=api_docs)
    )


def test_docs_and_schema_are_off_by_default() -> None:
    client = _client()
    for path in ("/api/docs", "/api/openapi.json", "/api/docs/oauth2-redirect", "/docs"):
        assert client.get(path).status_code == 404, path


def test_docs_when_on_load_nothing_from_elsewhere() -> None:
    client = _client(api_docs=True)
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    # Every script and stylesheet is ours, from /static; no inline script, no CDN.
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/static/") or s == "data:," for s in sources), sources
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
    for asset in sources:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200 and "/api/v1/complaints" in schema.json()["paths"]
    vendored = STATIC_DIR / "vendor" / "swagger-ui"
    assert "Apache License" in (vendored / "LICENSE").read_text()
    assert "swagger-ui-dist@" in (vendored / "SOURCE.txt").read_text()
