"""Posting replies on X, Facebook and Instagram (recorded answers), at most once, on both stores."""

import json
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.replies import enable_account
from models.tables import ReplyAccountState, SourceHealth
from models.types import utcnow
from models.vocab import ReplyChannel
from notify.delivery import DeliveryResult, retry_dead
from tests.support.replies import (
    GRAPH,
    NOW,
    X_API,
    X_USER_ID,
    body_of,
    deliver,
    file_with_ack,
    number_of,
    policy,
    posted,
    recorded,
    replies_in,
    reply_entries,
    reply_rows,
    set_secrets,
)

TWEETS = f"{X_API}/tweets"
OWN_TWEETS = f"{X_API}/users/{X_USER_ID}/tweets"
FB_COMMENTS = f"{GRAPH}/1001/comments"
IG_REPLIES = f"{GRAPH}/1001/replies"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Any:
    set_secrets(monkeypatch)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _x(api: Any, method: str, url: str, name: str, status: int = 200, **headers: str) -> None:
    api.add(
        method,
        url,
        body=recorded("twitter", name),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def _graph(api: Any, method: str, url: str, name: str, status: int = 200, **headers: str) -> None:
    platform = "instagram" if name.startswith("graph_") else "facebook"
    api.add(
        method,
        url,
        body=recorded(platform, name),
        status=status,
        headers=headers,
        content_type="application/json",
    )


# --- X ----------------------------------------------------------------------------------


def test_x_reply_is_posted_in_the_thread_and_recorded(engine: Engine, api: Any) -> None:
    replies = policy()
    cid = file_with_ack(engine, replies)
    _x(api, "POST", TWEETS, "create_tweet.json", 201)
    assert deliver(engine, replies) == DeliveryResult(sent=1)
    [call] = posted(api)
    sent = body_of(call)
    assert sent["reply"] == {"in_reply_to_tweet_id": "1001"}
    assert number_of(engine, cid) in sent["text"]
    assert call.request.headers["Authorization"].startswith("OAuth ")  # user context
    [reply] = replies_in(engine)
    assert (reply.status, reply.platform_reply_id, reply.sent_at) == (
        "sent",
        "1861000000000000999",
        NOW,
    )
    assert [r.status for r in reply_rows(engine)] == ["sent"]
    assert deliver(engine, replies, NOW + timedelta(hours=1)) == DeliveryResult()
    assert len(posted(api)) == 1
    # The sender and the platform's reply id are on the complaint's history.
    assert reply_entries(engine, cid) == [
        (
            "balasan:test",
            "baru",
            "baru",
            f"Balasan #{reply.id} (Tanda terima) terkirim lewat akun test (X); "
            "id balasan di platform: 1861000000000000999",
        )
    ]


def test_x_post_accepted_but_answered_503_is_not_posted_again(engine: Engine, api: Any) -> None:
    replies = policy()
    file_with_ack(engine, replies)
    _x(api, "POST", TWEETS, "error_503.json", 503)
    assert deliver(engine, replies) == DeliveryResult(retried=1)
    [reply] = replies_in(engine)
    assert reply.status == "queued" and reply.attempted_at == NOW
    assert "belum pasti" in (reply.reason or "")
    # Recovery: our reply is on the timeline, so it is recorded, not posted again.
    _x(api, "GET", OWN_TWEETS, "own_tweets_with_reply.json")
    assert deliver(engine, replies, NOW + timedelta(hours=1)) == DeliveryResult(sent=1)
    assert len(posted(api)) == 1
    [reply] = replies_in(engine)
    assert (reply.status, reply.platform_reply_id) == ("sent", "1861000000000000999")


def test_x_post_lost_before_the_platform_is_posted_after_looking(engine: Engine, api: Any) -> None:
    replies = policy()
    file_with_ack(engine, replies)
    _x(api, "POST", TWEETS, "error_503.json", 503)
    deliver(engine, replies)
    _x(api, "GET", OWN_TWEETS, "own_tweets_without_reply.json")
    _x(api, "POST", TWEETS, "create_tweet.json", 201)
    assert deliver(engine, replies, NOW + timedelta(hours=1)) == DeliveryResult(sent=1)
    assert len(posted(api)) == 2 and len(posted(api, "GET")) == 1


def test_x_duplicate_content_records_our_earlier_reply(engine: Engine, api: Any) -> None:
    replies = policy()
    file_with_ack(engine, replies)
    _x(api, "POST", TWEETS, "error_403_duplicate.json", 403)
    _x(api, "GET", OWN_TWEETS, "own_tweets_with_reply.json")
    assert deliver(engine, replies) == DeliveryResult(sent=1)
    assert replies_in(engine)[0].platform_reply_id == "1861000000000000999"


def test_x_user_24_hour_limit_waits_for_the_reset_without_using_attempts(
    engine: Engine, api: Any
) -> None:
    replies = policy()
    file_with_ack(engine, replies)
    reset = NOW + timedelta(hours=5)
    _x(
        api,
        "POST",
        TWEETS,
        "error_429_user_limit.json",
        429,
        **{
            "x-user-limit-24hour-limit": "100",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(int(reset.timestamp())),
            "x-rate-limit-remaining": "50",
        },
    )
    assert deliver(engine, replies) == DeliveryResult(retried=1)
    [row] = reply_rows(engine)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, reset)
    [reply] = replies_in(engine)
    assert reply.status == "queued" and "batas kiriman 24 jam" in (reply.reason or "")
    assert deliver(engine, replies, reset - timedelta(minutes=1)) == DeliveryResult()
    # The limit reset: the post goes out, after looking for one that got through.
    _x(api, "GET", OWN_TWEETS, "own_tweets_without_reply.json")
    _x(api, "POST", TWEETS, "create_tweet.json", 201)
    assert deliver(engine, replies, reset) == DeliveryResult(sent=1)


def test_x_token_rejected_on_write_switches_off_replies_only(engine: Engine, api: Any) -> None:
    replies = policy()
    file_with_ack(engine, replies)
    file_with_ack(engine, replies, 2)
    _x(api, "POST", TWEETS, "error_401.json", 401)
    assert deliver(engine, replies) == DeliveryResult(dead=2)
    assert len(posted(api)) == 1  # the second reply was not even tried
    first, second = replies_in(engine)
    assert first.status == second.status == "blocked"
    assert "perbarui token" in (first.reason or "")
    assert "dimatikan" in (second.reason or "")
    for reply in (first, second):
        [(actor, _, _, note)] = reply_entries(engine, reply.complaint_id)
        assert actor == "balasan:test"
        assert note == f"Balasan #{reply.id} (Tanda terima) diblokir: {reply.reason}"
    with Session(engine) as s:
        state = s.get(ReplyAccountState, "test")
        assert state is not None and state.disabled_at is not None
        assert s.exec(select(SourceHealth)).all() == []  # reading is not touched
    # Token renewed: the team switches the channel on and sends the dead rows again.
    assert enable_account(engine, "test")
    for row in reply_rows(engine):
        assert row.id is not None and retry_dead(engine=engine, outbox_id=row.id, now=NOW)
    _x(api, "GET", OWN_TWEETS, "own_tweets_without_reply.json")
    _x(api, "POST", TWEETS, "create_tweet.json", 201)
    _x(api, "POST", TWEETS, "create_tweet.json", 201)
    assert deliver(engine, replies, NOW + timedelta(minutes=1)) == DeliveryResult(sent=2)
    for reply in replies_in(engine):
        blocked, sent = (note for _, _, _, note in reply_entries(engine, reply.complaint_id))
        assert blocked.startswith(f"Balasan #{reply.id} (Tanda terima) diblokir: ")
        assert sent.startswith(f"Balasan #{reply.id} (Tanda terima) terkirim lewat akun test")


def test_x_reply_to_a_deleted_post_is_skipped_with_the_reason(engine: Engine, api: Any) -> None:
    replies = policy()
    file_with_ack(engine, replies)
    _x(api, "POST", TWEETS, "error_403_deleted.json", 403)
    assert deliver(engine, replies) == DeliveryResult(dead=1)
    [reply] = replies_in(engine)
    assert reply.status == "skipped" and "deleted" in (reply.reason or "")
    assert "tidak bisa dibalas" in (reply_rows(engine)[0].last_error or "")


def test_replies_per_hour_are_capped_per_account(engine: Engine, api: Any) -> None:
    replies = policy(max_per_hour=1)
    file_with_ack(engine, replies)
    file_with_ack(engine, replies, 2)
    _x(api, "POST", TWEETS, "create_tweet.json", 201)
    assert deliver(engine, replies) == DeliveryResult(sent=1, retried=1)
    waiting = reply_rows(engine)[1]
    assert (waiting.attempts, waiting.next_attempt_at) == (0, NOW + timedelta(hours=1))


def test_two_daemons_racing_one_reply_post_it_once(engine: Engine, api: Any) -> None:
    replies = policy()
    file_with_ack(engine, replies)

    def slow(request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(0.3)  # the other daemon runs meanwhile
        return 201, {}, recorded("twitter", "create_tweet.json")

    api.add_callback("POST", TWEETS, callback=slow, content_type="application/json")
    results: list[DeliveryResult] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        results.append(deliver(engine, replies))

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(posted(api)) == 1
    assert sorted(r.sent for r in results) == [0, 1]
    assert replies_in(engine)[0].status == "sent"
    assert len(reply_entries(engine, replies_in(engine)[0].complaint_id)) == 1


# --- Facebook -----------------------------------------------------------------------------


def test_facebook_comment_reply_with_the_page_token(engine: Engine, api: Any) -> None:
    replies = policy(ReplyChannel.FACEBOOK)
    cid = file_with_ack(engine, replies)
    _graph(api, "POST", FB_COMMENTS, "comment_reply.json")
    assert deliver(engine, replies) == DeliveryResult(sent=1)
    [call] = posted(api)
    form = {k: v[0] for k, v in parse_qs(call.request.body).items()}
    assert number_of(engine, cid) in form["message"]
    assert form["access_token"] == "secret-aduan_test_page_token"
    assert replies_in(engine)[0].platform_reply_id == "8001_1001_9901"


@pytest.mark.parametrize(
    ("fixture", "headers", "status", "reply_status", "wait"),
    [
        ("error_190_463.json", {}, 400, "blocked", None),
        ("error_100_deleted.json", {}, 400, "skipped", None),
        ("error_368_blocked.json", {}, 400, "queued", timedelta(hours=1)),
        (
            "error_rate_613.json",
            {
                "x-business-use-case-usage": json.dumps(
                    {
                        "101234567890": [
                            {
                                "type": "pages",
                                "call_count": 100,
                                "estimated_time_to_regain_access": 30,
                            }
                        ]
                    }
                )
            },
            400,
            "queued",
            timedelta(minutes=30),
        ),
    ],
)
def test_facebook_errors(
    engine: Engine,
    api: Any,
    fixture: str,
    headers: dict[str, str],
    status: int,
    reply_status: str,
    wait: timedelta | None,
) -> None:
    replies = policy(ReplyChannel.FACEBOOK)
    file_with_ack(engine, replies)
    _graph(api, "POST", FB_COMMENTS, fixture, status, **headers)
    before = utcnow()
    result = deliver(engine, replies)
    after = utcnow()
    [reply] = replies_in(engine)
    [row] = reply_rows(engine)
    assert reply.status == reply_status, reply.reason
    if wait is None:
        assert result == DeliveryResult(dead=1) and row.status == "dead"
    else:
        assert result == DeliveryResult(retried=1)
        assert row.attempts == 0
        # The platform's wait counts from when it answered.
        assert before + wait <= row.next_attempt_at <= after + wait
    with Session(engine) as s:
        disabled = s.get(ReplyAccountState, "test")
    assert (disabled is not None) == (fixture == "error_190_463.json")


def test_facebook_502_then_our_comment_is_found(engine: Engine, api: Any) -> None:
    replies = policy(ReplyChannel.FACEBOOK)
    file_with_ack(engine, replies)
    api.add(
        "POST", FB_COMMENTS, body="<html>Bad Gateway</html>", status=502, content_type="text/html"
    )
    assert deliver(engine, replies) == DeliveryResult(retried=1)
    _graph(api, "GET", FB_COMMENTS, "comments_own_reply.json")
    assert deliver(engine, replies, NOW + timedelta(hours=1)) == DeliveryResult(sent=1)
    assert len(posted(api)) == 1
    assert replies_in(engine)[0].platform_reply_id == "8001_1001_9901"


# --- Instagram Graph API and the demo sink ------------------------------------------------


def test_instagram_graph_reply_and_recovery(engine: Engine, api: Any) -> None:
    replies = policy(ReplyChannel.INSTAGRAM_GRAPH)
    file_with_ack(engine, replies)
    api.add(
        "POST",
        IG_REPLIES,
        json={
            "error": {"code": 2, "message": "Service temporarily unavailable", "is_transient": True}
        },
        status=503,
    )
    assert deliver(engine, replies) == DeliveryResult(retried=1)
    _graph(api, "GET", IG_REPLIES, "graph_replies_own.json")
    assert deliver(engine, replies, NOW + timedelta(hours=1)) == DeliveryResult(sent=1)
    assert len(posted(api)) == 1
    assert replies_in(engine)[0].platform_reply_id == "17900000000009901"


def test_instagram_graph_reply_posts_to_the_comment(engine: Engine, api: Any) -> None:
    replies = policy(ReplyChannel.INSTAGRAM_GRAPH)
    file_with_ack(engine, replies)
    _graph(api, "POST", IG_REPLIES, "graph_reply.json")
    assert deliver(engine, replies) == DeliveryResult(sent=1)
    form = {k: v[0] for k, v in parse_qs(posted(api)[0].request.body).items()}
    assert form["message"].startswith("Terima kasih")


def test_the_demo_sink_logs_each_reply_once(engine: Engine, tmp_path: Path, api: Any) -> None:
    log = tmp_path / "replies.jsonl"
    replies = policy(ReplyChannel.LOG, options={"log_path": str(log)})
    cid = file_with_ack(engine, replies)
    assert deliver(engine, replies) == DeliveryResult(sent=1)
    [line] = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert line["in_reply_to"] == "1001" and number_of(engine, cid) in line["text"]
    assert replies_in(engine)[0].platform_reply_id == line["id"]
    assert len(api.calls) == 0
