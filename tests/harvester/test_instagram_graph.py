"""The Instagram Graph API collector on recorded answers."""

from datetime import timedelta
from typing import Any

import pytest
import responses

import harvester.instagram_graph
from harvester.exceptions import CredentialsRejected, RateLimited, SourceUnavailable
from tests.support import instagram_graph as ig


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harvester.instagram_graph, "utcnow", lambda: ig.NOW)


def _collect(cursor: dict[str, Any] | None = None, **options: Any) -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        ig.serve(mock)
        batch = ig.collector(**options).collect(cursor)
        calls = list(mock.calls)
    return batch, calls


def test_first_run_reads_comments_replies_tags_and_hashtags_but_not_our_own() -> None:
    batch, calls = _collect()
    got = {m.platform_id: m for m in batch.mentions}
    assert set(got) == {
        "17900000000100001",  # a comment
        "17900000000100003",  # a citizen's reply to it
        "17900000000100004",  # a hidden comment: kept, marked hidden for replies
        "17850000000300001",  # tagged media
        "17850000000400001",  # hashtag media
    }
    # Our own reply (pemkotdenpasar) and our own comment never come back as mentions;
    # a comment older than the backfill window is not read either.
    assert "17900000000100002" not in got and "17900000000200001" not in got
    reply = got["17900000000100003"]
    assert (reply.platform, reply.source, reply.author_handle) == (
        "instagram",
        ig.SOURCE,
        "tetangga.gatsu",
    )
    assert (reply.conversation_id, reply.reply_to_id) == (ig.MEDIA[0], "17900000000100001")
    assert reply.url == "https://www.instagram.com/p/DQgraph0001/"
    assert got["17900000000100004"].raw["hidden"] is True
    assert got["17850000000300001"].author_handle == "kreneng.daily"
    assert all(c.request.url and "access_token=EAAG-test-token" in c.request.url for c in calls)
    assert batch.reads >= len(batch.mentions)


def test_second_run_returns_nothing_already_returned() -> None:
    first, _ = _collect()
    second, _ = _collect(first.cursor)
    assert second.mentions == []
    assert set(first.cursor) == {"comments", "tags", "hashtag:prodenpasar"}


def test_an_expired_token_rejects_the_credentials() -> None:
    with responses.RequestsMock() as mock:
        ig.answer(mock, f"{ig.IG_USER}/media", "error_190.json", 400)
        with pytest.raises(CredentialsRejected, match=ig.ENV):
            ig.collector().collect(None)


def test_a_rate_limit_waits_for_the_usage_headers_time() -> None:
    usage = '{"17841400000000001": [{"type": "instagram", "estimated_time_to_regain_access": 45}]}'
    with responses.RequestsMock() as mock:
        ig.answer(
            mock,
            f"{ig.IG_USER}/media",
            "error_rate_4.json",
            400,
            **{"x-business-use-case-usage": usage},
        )
        with pytest.raises(RateLimited) as caught:
            ig.collector().collect(None)
    assert caught.value.reset_at == ig.NOW + timedelta(minutes=45)


def test_an_outage_after_some_streams_keeps_what_was_read() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        ig.answer(mock, f"{ig.IG_USER}/media", "media.json")
        for media in ig.MEDIA:
            ig.answer(mock, f"{media}/comments", f"comments_{media}.json")
        mock.add(
            responses.GET, f"{ig.GRAPH}/{ig.IG_USER}/tags", body="<html>502</html>", status=502
        )
        batch = ig.collector().collect(None)
    assert isinstance(batch.interrupted, SourceUnavailable)
    assert {m.platform_id for m in batch.mentions} == {
        "17900000000100001",
        "17900000000100003",
        "17900000000100004",
    }
    assert set(batch.cursor) == {"comments"}  # the tags stream is read again next run
