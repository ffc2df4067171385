"""A Facebook Page served from recorded Graph answers, and a collector for it."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlparse

import requests
import responses

from harvester.base import Collector, SourceSpec
from harvester.registry import make_collector
from tests.support.paths import FIXTURES

RECORDED = FIXTURES / "facebook"


GRAPH = "https://graph.facebook.com/v21.0"


PAGE = "100064720000001"


P1, P2 = f"{PAGE}_8001", f"{PAGE}_8002"


TOKEN = "EAAGtestpagetoken"


ENV = "ADUAN_FACEBOOK_PAGE_TOKEN"


SOURCE = "fb-denpasar"


NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


JSON = "application/json; charset=UTF-8"


@dataclass
class Reply:
    """One canned Graph answer: a fixture, a JSON value, raw text or a raised exception."""

    fixture: str | None = None
    data: Any = None
    text: str | None = None
    status: int = 200
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    exception: Exception | None = None

    def body(self) -> bytes | Exception:
        if self.exception is not None:
            return self.exception
        if self.fixture is not None:
            return (RECORDED / f"{self.fixture}.json").read_bytes()
        if self.text is not None:
            return self.text.encode()
        return json.dumps(self.data, ensure_ascii=False).encode()


#: the standard Page's routes: (path, query values a request must have; None = absent)
ROUTES: dict[str, tuple[str, dict[str, str | None]]] = {
    "visitor_1": (f"{PAGE}/visitor_posts", {"__paging_token": None, "until": None}),
    "visitor_2": (f"{PAGE}/visitor_posts", {"__paging_token": "enc_AdBpage2"}),
    "tagged": (f"{PAGE}/tagged", {}),
    "posts": (f"{PAGE}/posts", {}),
    "comments_1": (f"{P1}/comments", {"after": None}),
    "comments_1b": (f"{P1}/comments", {"after": "QVFIUmNtdDFhZnRlcgZDZD"}),
    "comments_2": (f"{P2}/comments", {}),
}


DEFAULTS = {
    "visitor_1": "visitor_posts_1",
    "visitor_2": "visitor_posts_2",
    "tagged": "tagged",
    "posts": "posts",
    "comments_1": "comments_8001_1",
    "comments_1b": "comments_8001_2",
    "comments_2": "comments_8002",
}


def query(**expected: str | None) -> Callable[[requests.PreparedRequest], tuple[bool, str]]:
    """A `responses` matcher: the query has these values (None: the key is absent)."""

    def match(request: requests.PreparedRequest) -> tuple[bool, str]:
        got = dict(parse_qsl(urlparse(request.url or "").query))
        for key, value in expected.items():
            if got.get(key) != value:
                return False, f"{key}={got.get(key)!r}, wanted {value!r}"
        return True, ""

    return match


def add(
    mock: responses.RequestsMock,
    path: str,
    reply: Reply | str,
    params: dict[str, str | None] | None = None,
    headers: dict[str, str] | None = None,
    base: str = GRAPH,
) -> None:
    """Answer GET {base}/{path} (with *params* in its query) with *reply*."""
    if isinstance(reply, str):
        reply = Reply(fixture=reply)
    mock.add(
        responses.GET,
        f"{base}/{path}",
        body=reply.body(),
        status=reply.status,
        content_type=reply.content_type,
        headers={**(headers or {}), **reply.headers},
        match=[query(**(params or {}))],
    )


def serve(
    mock: responses.RequestsMock,
    headers: dict[str, str] | None = None,
    /,
    **replies: Reply | str | None,
) -> None:
    """Serve the standard Page, each route from its fixture unless *replies* says (None: not)."""
    for key, (path, params) in ROUTES.items():
        reply = replies.get(key, DEFAULTS[key])
        if reply is not None:
            add(mock, path, reply, params, headers)


def serve_only(mock: responses.RequestsMock, **replies: Reply | str) -> None:
    """Serve only the routes named in *replies*."""
    serve(mock, None, **{key: replies.get(key) for key in ROUTES})


def collector(secrets: dict[str, str] | None = None, **options: Any) -> Collector:
    return make_collector(
        SourceSpec(
            name=SOURCE,
            platform="facebook",
            options={"page_id": PAGE, **options},
            secrets={"page_access_token": TOKEN} if secrets is None else secrets,
            secret_env={"page_access_token": ENV},
        )
    )
