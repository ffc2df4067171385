"""The Instagram Graph API on recorded answers: the test business account and its collector."""

from datetime import UTC, datetime
from typing import Any

import responses

from harvester.base import SourceSpec
from harvester.instagram_graph import InstagramGraphCollector
from harvester.registry import make_collector
from tests.support.paths import FIXTURES

RECORDED = FIXTURES / "instagram_graph"
GRAPH = "https://graph.facebook.com/v21.0"
IG_USER = "17841400000000001"
SOURCE = "ig-graph-denpasar"
ENV = "ADUAN_IG_PAGE_TOKEN"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MEDIA = ("17850000000000001", "17850000000000002")
HASHTAG_ID = "17843853986012965"


def collector(**options: Any) -> InstagramGraphCollector:
    """A collector of the test account through the registry."""
    opts: dict[str, Any] = {
        "ig_user_id": IG_USER,
        "account": "pemkotdenpasar",
        "hashtags": ["prodenpasar"],
    }
    opts.update(options)
    made = make_collector(
        SourceSpec(
            name=SOURCE,
            platform="instagram_graph",
            options=opts,
            secrets={"page_access_token": "EAAG-test-token"},
            secret_env={"page_access_token": ENV},
        )
    )
    assert isinstance(made, InstagramGraphCollector)
    return made


def answer(
    mock: responses.RequestsMock, path: str, name: str, status: int = 200, **headers: str
) -> None:
    """Queue one recorded answer for GET *path*."""
    mock.add(
        responses.GET,
        f"{GRAPH}/{path}",
        body=(RECORDED / name).read_text(encoding="utf-8"),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def serve(mock: responses.RequestsMock) -> None:
    """The account's media and comments, its tags and one hashtag."""
    answer(mock, f"{IG_USER}/media", "media.json")
    for media in MEDIA:
        answer(mock, f"{media}/comments", f"comments_{media}.json")
    answer(mock, f"{IG_USER}/tags", "tags.json")
    answer(mock, "ig_hashtag_search", "hashtag_search.json")
    answer(mock, f"{HASHTAG_ID}/recent_media", "recent_media.json")
