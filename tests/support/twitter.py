"""X (Twitter) API v2 on recorded answers: the test account, its URLs, a collector for it."""

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from harvester.base import SourceSpec
from harvester.registry import make_collector
from harvester.twitter import TwitterCollector
from tests.support.paths import FIXTURES

RECORDED = FIXTURES / "twitter"


API = "https://api.twitter.com/2"


ACCOUNT_ID = "1234567890"


MENTIONS_URL = f"{API}/users/{ACCOUNT_ID}/mentions"


SEARCH_URL = f"{API}/tweets/search/recent"


LOOKUP_URL = f"{API}/users/by/username/prodenpasar"


SOURCE = "x-prodenpasar"


ENV = "ADUAN_TWITTER_BEARER_TOKEN"


NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


BACKFILL_START = "2026-11-17T03:00:00Z"  # NOW minus the default 3 backfill days


QUERY = "#prodenpasar -is:retweet"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    return data


def reply(
    api: responses.RequestsMock,
    url: str,
    name: str | None = None,
    *,
    status: int = 200,
    body: str | Exception | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> None:
    """Queue one answer for *url*; answers for one URL are given out in order."""
    if body is None:
        assert name is not None
        body = (RECORDED / name).read_text(encoding="utf-8")
    api.add(
        responses.GET, url, body=body, status=status, headers=headers, content_type=content_type
    )


def params(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def make(backfill_days: int = 3, **options: Any) -> TwitterCollector:
    opts: dict[str, Any] = {"account_username": "prodenpasar", "account_user_id": ACCOUNT_ID}
    opts.update(options)
    collector = make_collector(
        SourceSpec(
            name=SOURCE,
            platform="twitter",
            options=opts,
            secrets={"bearer_token": "AAAA-test-token"},
            secret_env={"bearer_token": ENV},
            backfill_days=backfill_days,
        )
    )
    assert isinstance(collector, TwitterCollector)
    return collector
