"""Instagram as instaloader sees it, answered from recorded pages and queries."""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from harvester.base import SourceSpec
from harvester.registry import make_collector
from tests.support.paths import FIXTURES

RECORDED = FIXTURES / "instagram"


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


SOURCE = "ig-denpasar"


ACCOUNT, ACCOUNT_ID, LOGIN = "pemkotdenpasar", "1401234567", "kominfodenpasar"


QUERY_HASHES = {
    "97b41c52301f77ce508f55e66d17620e": "comments",
    "51fdd02b67508306ad4484ff574a0b62": "answers",
    "e31a871f7301132ceaab56507a66bbb7": "tagged",
    "9b498c08113f1e09617a1703c22b2f32": "hashtag",
}


DOC_IDS = {
    "27937681195819736": "user",
    "27128499623469141": "media",
    "29104886249145907": "timeline",
}


P2_COMMENTS = "v1:media/3500000000000000002/comments/"


def load(name: str) -> Any:
    """A fixture, parsed."""
    return json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Reply:
    """One HTTP answer."""

    status: int = 200
    body: str = ""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def ok(name: str) -> Reply:
    """A fixture as a JSON answer."""
    return Reply(body=(RECORDED / f"{name}.json").read_text(encoding="utf-8"))


def json_reply(data: Any, status: int = 200) -> Reply:
    """*data* as a JSON answer."""
    return Reply(status=status, body=json.dumps(data, ensure_ascii=False))


def page(name: str) -> Reply:
    """A www.instagram.com page embedding the fixture as the web app does."""
    embedded = json.dumps(load(name), separators=(",", ":"), ensure_ascii=False)
    html = (
        '<!DOCTYPE html><html lang="en"><head><title>Instagram</title></head><body>'
        f'<script type="application/json" data-content-len="{len(embedded)}" data-sjs>'
        f"{embedded}</script></body></html>"
    )
    return Reply(body=html, content_type="text/html; charset=utf-8")


def to_login() -> Reply:
    """Instagram's redirect to its login page."""
    return Reply(
        status=302,
        content_type="text/html",
        headers={"Location": "https://www.instagram.com/accounts/login/?next=%2F"},
    )


DEFAULT_ROUTES: dict[str, Reply] = {
    f"page:{ACCOUNT}": page("page_profile_pemkotdenpasar"),
    "page:": page("page_home"),
    f"user:{ACCOUNT_ID}": ok("graphql_user_pemkotdenpasar"),
    f"timeline:{ACCOUNT}": ok("api_graphql_timeline_pemkotdenpasar"),
    **{
        f"media:{code}": ok(f"graphql_media_{code}")
        for code in ("DQpin00001", "DQnew00001", "DQnew00002", "DQhash0001", "DQtag00001")
    },
    "comments:DQpin00001": ok("graphql_comments_DQpin00001"),
    "comments:DQnew00001": ok("graphql_comments_DQnew00001"),
    "answers:17900000000000103": ok("graphql_answers_17900000000000103"),
    P2_COMMENTS: ok("v1_comments_3500000000000000002_page1"),
    f"{P2_COMMENTS}?min_id=QVFCMjAzX3BhZ2Uy": ok("v1_comments_3500000000000000002_page2"),
    f"{P2_COMMENTS}17900000000000201/child_comments/": ok("v1_child_comments_17900000000000201"),
    f"tagged:{ACCOUNT_ID}": ok("graphql_tagged_page1"),
    f"tagged:{ACCOUNT_ID}?after=QVFEdGFnUGFnZTI=": ok("graphql_tagged_page2"),
    "hashtag:prodenpasar": ok("graphql_hashtag_prodenpasar"),
}


def route_key(request: Any) -> str:
    """A readable name for one of instaloader's requests: endpoint, subject, page."""
    url = urlsplit(request.url)
    query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    if url.netloc == "i.instagram.com":
        path = url.path.removeprefix("/api/v1/")
        return f"v1:{path}" + (f"?min_id={query['min_id']}" if query.get("min_id") else "")
    if url.path == "/graphql/query" and request.method == "GET":
        name, variables = QUERY_HASHES[query["query_hash"]], json.loads(query["variables"])
    elif url.path in ("/graphql/query", "/api/graphql") and request.method == "POST":
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        form = {k: v[0] for k, v in parse_qs(body or "").items()}
        name, variables = DOC_IDS[form["doc_id"]], json.loads(form["variables"])
    else:
        return "page:" + url.path.strip("/")
    subject = next(
        str(variables[k])
        for k in ("shortcode", "comment_id", "tag_name", "username", "id")
        if k in variables
    )
    after = variables.get("after")
    return f"{name}:{subject}" + (f"?after={after}" if after else "")


class FakeInstagram:
    """Answers instaloader's requests by route key; an unexpected request fails the test."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.routes: dict[str, Reply | list[Reply]] = dict(DEFAULT_ROUTES)
        self.requests: list[str] = []
        for method in ("GET", "POST"):
            for host in ("www", "i"):
                mock.add_callback(
                    method, re.compile(rf"https://{host}\.instagram\.com/.*"), callback=self._answer
                )

    def on(self, key: str, *replies: Reply) -> None:
        """Answer *key* with *replies* in turn, the last one from then on."""
        self.routes[key] = replies[0] if len(replies) == 1 else list(replies)

    def count(self, key: str) -> int:
        """How often *key* was requested."""
        return self.requests.count(key)

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        key = route_key(request)
        self.requests.append(key)
        reply = self.routes.get(key)
        if reply is None:
            raise AssertionError(f"unexpected request {key} ({request.method} {request.url})")
        if isinstance(reply, list):
            reply = reply.pop(0) if len(reply) > 1 else reply[0]
        return reply.status, {"Content-Type": reply.content_type, **reply.headers}, reply.body


def collector(session_file: Path | None, backfill_days: int = 3, **options: Any) -> Any:
    """An Instagram collector for the test account, built through the registry."""
    opts: dict[str, Any] = {
        "account": ACCOUNT,
        "login_user": LOGIN,
        "recent_posts": 3,
        "hashtags": ["#ProDenpasar"],
    }
    if session_file is not None:
        opts["session_file"] = str(session_file)
    opts.update(options)
    return make_collector(
        SourceSpec(
            name=SOURCE,
            platform="instagram",
            options={k: v for k, v in opts.items() if v is not None},
            secret_env={"session_file": "ADUAN_IG_SESSION_FILE"},
            backfill_days=backfill_days,
        )
    )
