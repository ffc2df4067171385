"""The Facebook collector: real facebook-sdk against docs-shaped Graph API answers.

Every HTTP call facebook-sdk makes is answered by `responses` from the JSON files in
tests/fixtures/facebook/; nothing reaches the network. The clock of the collector is
frozen at NOW, so the first-run backfill window starts at START.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
import requests
import responses
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from harvester.base import Batch, Collector
from harvester.exceptions import (
    BudgetExhausted,
    CredentialsRejected,
    RateLimited,
    SourceDataError,
    SourceError,
    SourceUnavailable,
)
from harvester.facebook import FacebookCollector, FacebookOptions
from harvester.runner import RunResult, enable_source, run_source
from models.quarantine import list_quarantined
from models.sources import get_cursor, get_health
from models.tables import Mention
from models.wita import format_wita
from tests.support.facebook import (
    ENV,
    GRAPH,
    NOW,
    P1,
    P2,
    PAGE,
    RECORDED,
    SOURCE,
    TOKEN,
    Reply,
    add,
    collector,
    serve,
    serve_only,
)

V1, V2, V3, V4 = (f"{PAGE}_500{n}" for n in range(1, 5))
START = NOW - timedelta(days=3)
HTML_502 = (
    "<!DOCTYPE html><html lang='en'><head><title>Facebook | Error</title></head>"
    "<body><h1>Sorry, something went wrong.</h1><p>We're working on it.</p></body></html>"
)
USAGE = {
    "x-app-usage": {"call_count": 12, "total_cputime": 3, "total_time": 5},
    "x-business-use-case-usage": {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 9,
                "total_time": 14,
                "estimated_time_to_regain_access": 17,
            }
        ]
    },
}
USAGE_HEADERS = {name: json.dumps(value) for name, value in USAGE.items()}
#: everything the standard fixtures hold that is a citizen's: not the Page's own post
#: (8003) or reply (9102), and the visitor post that is also tagged only once
FIRST_RUN_IDS = (
    {V1, V2, V3, "6003_7001"}
    | {f"8001_910{n}" for n in (1, 3, 4)}
    | {
        "8002_9201",
        "8002_9202",
    }
)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harvester.facebook.utcnow", lambda: NOW)


@pytest.fixture
def graph() -> Iterator[responses.RequestsMock]:
    """Intercepts facebook-sdk's HTTP calls; every registered answer must be asked for."""
    with responses.RequestsMock() as mock:
        yield mock


def run(engine: Engine, c: Collector, **kw: Any) -> RunResult:
    return run_source(engine=engine, source=SOURCE, platform="facebook", collector=c, **kw)


def asked(mock: responses.RequestsMock, path: str) -> list[dict[str, str]]:
    """The query of every request made for *path*, in order."""
    return [
        dict(parse_qsl(urlparse(call.request.url or "").query))
        for call in mock.calls
        if urlparse(call.request.url or "").path == f"/v21.0/{path}"
    ]


def epoch(graph_time: str) -> int:
    return int(datetime.strptime(graph_time, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def since(graph_time: str) -> str:
    """The ``since`` asked after a stream's newest item: one second of overlap."""
    return str(epoch(graph_time) - 1)


FIRST_SINCE = str(int(START.timestamp()) - 1)


def by_id(batch: Batch) -> dict[str, Any]:
    return {m.platform_id: m for m in batch.mentions}


def stored(engine: Engine) -> dict[str, Mention]:
    with Session(engine) as s:
        return {m.platform_id: m for m in s.exec(select(Mention))}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    return data


# -- reading: pagination, threading, what is (not) a mention ---------------------------------


def test_first_run_backfills_and_follows_every_page(graph: responses.RequestsMock) -> None:
    serve(graph)
    batch = collector().collect(None)
    assert batch.interrupted is None
    assert set(by_id(batch)) == FIRST_RUN_IDS
    assert batch.reads == 14  # 3 visitor + 3 tagged + 2 page posts + 4 + 2 comments

    first, second = asked(graph, f"{PAGE}/visitor_posts")
    assert first["since"] == FIRST_SINCE  # backfill_days=3 before NOW, not the whole history
    assert first["fields"] == "message,created_time,from,permalink_url"
    assert first["access_token"] == TOKEN
    # paging.next followed as given, with the token added once by the client
    assert (second["until"], second["__paging_token"]) == ("1795138200", "enc_AdBpage2")
    assert second["access_token"] == TOKEN

    page1, page2 = asked(graph, f"{P1}/comments")
    assert (page1["filter"], page1["order"]) == ("stream", "chronological")
    assert page1["since"] == FIRST_SINCE
    assert "parent{id}" in page1["fields"]
    assert page2["after"] == "QVFIUmNtdDFhZnRlcgZDZD"
    assert asked(graph, f"{P2}/comments")[0]["since"] == FIRST_SINCE
    for call in graph.calls:  # the configured version, once, not facebook-sdk's 2.8 default
        assert (call.request.url or "").startswith(f"{GRAPH}/{PAGE}")

    cursor = batch.cursor
    assert cursor["page_id"] == PAGE
    assert cursor["visitor_posts"] == {"since": "2026-11-20T02:10:00+00:00", "ids": [V1]}
    assert cursor["comments"][P1] == {"since": "2026-11-19T11:00:00+00:00", "ids": ["8001_9104"]}
    assert cursor["comments"][P2]["ids"] == ["8002_9202"]


def test_items_older_than_the_backfill_window_are_left_alone(
    graph: responses.RequestsMock,
) -> None:
    page2 = fixture("visitor_posts_2")
    old = dict(page2["data"][0], id=f"{PAGE}_4000", created_time="2026-11-10T08:00:00+0000")
    page2["data"].append(old)
    serve_only(graph, visitor_1="visitor_posts_1", visitor_2=Reply(data=page2))
    batch = collector(post_edges=["visitor_posts"], comments=False).collect(None)
    assert set(by_id(batch)) == {V1, V2, V3}


def test_mentions_carry_author_thread_url_and_raw(graph: responses.RequestsMock) -> None:
    serve(graph)
    mentions = by_id(collector().collect(None))

    post = mentions[V1]
    assert (post.platform, post.source) == ("facebook", SOURCE)
    assert (post.author_handle, post.author_name) == ("6001", "Made Wirawan")
    assert post.url == "https://www.facebook.com/100064720000001/posts/5001"
    assert (post.conversation_id, post.reply_to_id) == (V1, None)
    assert post.created_at == datetime(2026, 11, 20, 2, 10, tzinfo=UTC)
    assert post.created_at.utcoffset() == timedelta(0)
    assert post.raw == fixture("visitor_posts_1")["data"][0]

    top = mentions["8001_9101"]
    assert (top.conversation_id, top.reply_to_id) == (P1, P1)
    reply = mentions["8001_9103"]  # a reply to a comment threads to that comment
    assert (reply.conversation_id, reply.reply_to_id) == (P1, "8001_9101")
    tagged = mentions["6003_7001"]
    assert (tagged.conversation_id, tagged.author_name) == ("6003_7001", "Komang Ayu")


def test_missing_author_leaves_handle_and_name_empty(graph: responses.RequestsMock) -> None:
    serve(graph)
    mentions = by_id(collector().collect(None))
    private_post = mentions[V3]
    assert (private_post.author_handle, private_post.author_name) == ("", "")
    assert private_post.url.endswith("/posts/5003")
    bare = mentions["8002_9202"]  # no from, no permalink_url
    assert (bare.author_handle, bare.author_name) == ("", "")
    assert bare.url == "https://www.facebook.com/8002_9202"


def test_the_pages_own_posts_and_replies_are_never_mentions(
    graph: responses.RequestsMock,
) -> None:
    serve(graph)
    batch = collector().collect(None)
    ids = [m.platform_id for m in batch.mentions]
    assert f"{PAGE}_8003" not in ids and "8001_9102" not in ids
    assert all(m.author_handle != PAGE for m in batch.mentions)
    assert ids.count(V1) == 1  # a visitor post that also tags the Page


def test_empty_answers_are_fine(graph: responses.RequestsMock) -> None:
    serve_only(graph, visitor_1="empty", tagged="empty", posts="empty")
    batch = collector().collect(None)
    assert (batch.mentions, batch.reads, batch.interrupted) == ([], 0, None)
    assert batch.cursor["visitor_posts"] == {"since": START.isoformat(), "ids": []}
    assert batch.cursor["comments"] == {}


def test_api_version_is_configurable_and_not_doubled(graph: responses.RequestsMock) -> None:
    add(graph, f"{PAGE}/visitor_posts", "empty", base="https://graph.facebook.com/v22.0")
    collector(api_version="22.0", post_edges=["visitor_posts"], comments=False).collect(None)
    assert [urlparse(c.request.url or "").path for c in graph.calls] == [
        f"/v22.0/{PAGE}/visitor_posts"
    ]


def test_options_are_validated() -> None:
    assert FacebookOptions(page_id=PAGE).api_version == "v21.0"
    with pytest.raises(ValidationError, match="Graph API version"):
        FacebookOptions(page_id=PAGE, api_version="latest")
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        FacebookOptions.model_validate({"page_id": PAGE, "page_token": "x"})
    with pytest.raises(ValidationError):
        FacebookOptions(page_id=PAGE, post_edges=("photos",))  # type: ignore[arg-type]
    assert isinstance(collector(), FacebookCollector)


def test_a_page_username_is_looked_up(graph: responses.RequestsMock) -> None:
    add(graph, "pemkotdenpasar", "page_lookup", {"fields": "id"})
    serve_only(graph, visitor_1="visitor_posts_new")
    options: dict[str, Any] = {"post_edges": ["visitor_posts"], "comments": False}
    batch = collector(page_id="pemkotdenpasar", **options).collect(None)
    assert set(by_id(batch)) == {V1, V4}
    assert batch.cursor["page_id"] == PAGE


# -- cursors: across runs, half-way stops, budgets ------------------------------------------


def test_second_run_asks_since_and_stores_nothing_twice(engine: Engine) -> None:
    with responses.RequestsMock() as mock:
        serve(mock)
        first = run(engine, collector())
    assert (first.stored, first.error) == (9, None)

    with responses.RequestsMock() as mock:
        # Graph's since is inclusive: the newest items of the first run come back.
        serve(
            mock,
            visitor_1="visitor_posts_new",
            visitor_2=None,
            tagged="empty",
            comments_1="comments_8001_new",
            comments_1b=None,
            comments_2="empty",
        )
        second = run(engine, collector())
        assert asked(mock, f"{PAGE}/visitor_posts")[0]["since"] == since("2026-11-20T02:10:00+0000")
        assert asked(mock, f"{PAGE}/tagged")[0]["since"] == since("2026-11-20T02:10:00+0000")
        assert asked(mock, f"{P1}/comments")[0]["since"] == since("2026-11-19T11:00:00+0000")
        assert asked(mock, f"{P2}/comments")[0]["since"] == since("2026-11-18T12:00:00+0000")

    assert (second.fetched, second.stored) == (2, 2)  # the new post and the new reply only
    assert set(stored(engine)) == FIRST_RUN_IDS | {V4, "8001_9105"}
    with Session(engine) as s:
        cursor = get_cursor(session=s, source=SOURCE)
        health = get_health(session=s, source=SOURCE, platform="facebook")
    assert cursor is not None
    assert cursor["visitor_posts"] == {"since": "2026-11-20T02:40:00+00:00", "ids": [V4]}
    assert cursor["comments"][P1]["ids"] == ["8001_9105"]
    assert (health.state, health.total_ingested) == ("ok", 11)


def test_a_half_way_stop_resumes_without_gaps(engine: Engine) -> None:
    with responses.RequestsMock() as mock:
        limited = Reply("error_rate_4", status=400, headers=USAGE_HEADERS)
        serve_only(mock, visitor_1="visitor_posts_1", visitor_2=limited)
        first = run(engine, collector())
    assert first.stored == 2 and first.error is not None and "RateLimited" in first.error
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="facebook")
        assert health.state == "rate_limited"
        assert health.rate_limited_until == NOW + timedelta(minutes=17)
        cursor = get_cursor(session=s, source=SOURCE)
    assert cursor is not None
    # The newest post read moves the mark; the posts below the oldest read are a backlog.
    assert cursor["visitor_posts"]["since"] == "2026-11-20T02:10:00+00:00"
    assert cursor["visitor_posts"]["backlog"] == {
        "since": START.isoformat(),
        "ids": [],
        "until": "2026-11-20T01:30:00+00:00",
        "until_ids": [V2],
    }

    assert enable_source(engine=engine, source=SOURCE)  # as after the reset time
    with responses.RequestsMock() as mock:
        add(
            mock,
            f"{PAGE}/visitor_posts",
            "visitor_posts_backlog",
            {"since": FIRST_SINCE, "until": str(epoch("2026-11-20T01:30:00+0000") + 1)},
        )
        serve(mock, visitor_1="visitor_posts_new", visitor_2=None)
        second = run(engine, collector())
        backlog, newer = asked(mock, f"{PAGE}/visitor_posts")
        assert "until" in backlog and "until" not in newer  # the gap is closed first
        assert newer["since"] == since("2026-11-20T02:10:00+0000")

    assert second.error is None
    assert set(stored(engine)) == FIRST_RUN_IDS | {V4}
    with Session(engine) as s:
        cursor = get_cursor(session=s, source=SOURCE)
    assert cursor is not None and "backlog" not in cursor["visitor_posts"]


def test_comments_stopped_half_way_resume_after_the_last_one_read(
    graph: responses.RequestsMock,
) -> None:
    limited = Reply("error_rate_613", status=400)
    serve_only(graph, posts="posts", comments_1="comments_8001_1", comments_1b=limited)
    first = collector(visitor_posts=False).collect(None)
    assert isinstance(first.interrupted, RateLimited)
    assert first.interrupted.reset_at == NOW + timedelta(hours=1)  # no usage header
    assert set(by_id(first)) == {"8001_9101", "8001_9103"}
    assert first.cursor["comments"][P1] == {
        "since": "2026-11-19T10:05:00+00:00",
        "ids": ["8001_9103"],
    }

    graph.reset()
    serve_only(graph, posts="posts", comments_1="comments_8001_2", comments_2="comments_8002")
    second = collector(visitor_posts=False).collect(first.cursor)
    assert asked(graph, f"{P1}/comments")[0]["since"] == since("2026-11-19T10:05:00+0000")
    assert asked(graph, f"{P2}/comments")[0]["since"] == FIRST_SINCE  # never reached before
    assert set(by_id(second)) == {"8001_9104", "8002_9201", "8002_9202"}


def test_comments_out_of_time_order_are_reread_not_skipped(
    graph: responses.RequestsMock,
) -> None:
    shuffled = fixture("comments_8001_1")
    shuffled["data"].reverse()  # ranked, not chronological
    failing = Reply("error_2_transient", status=500)
    serve_only(graph, posts="posts", comments_1=Reply(data=shuffled), comments_1b=failing)
    first = collector(visitor_posts=False).collect(None)
    assert isinstance(first.interrupted, SourceUnavailable)
    # Nothing says the unread rest is newer: keep the old mark, remember what was read.
    assert first.cursor["comments"][P1] == {
        "since": START.isoformat(),
        "ids": ["8001_9101", "8001_9102", "8001_9103"],
    }

    graph.reset()
    everything = fixture("comments_8001_1")
    everything["data"] += fixture("comments_8001_2")["data"]
    del everything["paging"]
    serve_only(graph, posts="posts", comments_1=Reply(data=everything), comments_2="empty")
    second = collector(visitor_posts=False).collect(first.cursor)
    assert asked(graph, f"{P1}/comments")[0]["since"] == FIRST_SINCE
    assert set(by_id(second)) == {"8001_9104"}
    assert second.cursor["comments"][P1]["ids"] == ["8001_9104"]


def test_max_pages_leaves_the_rest_for_the_next_run(graph: responses.RequestsMock) -> None:
    options: dict[str, Any] = {"max_pages": 1, "post_edges": ["visitor_posts"], "comments": False}
    serve_only(graph, visitor_1="visitor_posts_1")
    first = collector(**options).collect(None)
    assert first.interrupted is None  # a cap, not a failure
    assert set(by_id(first)) == {V1, V2}
    assert first.cursor["visitor_posts"]["backlog"]["until_ids"] == [V2]

    graph.reset()
    add(graph, f"{PAGE}/visitor_posts", "visitor_posts_backlog", {"until": str(1795138201)})
    add(graph, f"{PAGE}/visitor_posts", "visitor_posts_new", {"until": None})
    second = collector(**options).collect(first.cursor)
    assert set(by_id(second)) == {V3, V4}
    assert "backlog" not in second.cursor["visitor_posts"]


def test_read_budget_stops_reading_and_resumes_without_gaps(engine: Engine) -> None:
    with responses.RequestsMock() as mock:
        serve_only(mock, visitor_1="visitor_posts_1", visitor_2="visitor_posts_2", tagged="tagged")
        result = run(engine, collector(), monthly_read_cap=4)
    # 3 visitor posts, then the tagged copy of V1 is read 4th; the cap stops the 5th.
    assert result.stored == 3
    assert result.error is not None and result.error.startswith("BudgetExhausted")
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="facebook")
        assert (health.state, health.reads_this_month) == ("budget_exhausted", 4)
        cursor = get_cursor(session=s, source=SOURCE)
    assert cursor is not None
    assert cursor["tagged"]["backlog"]["since"] == START.isoformat()
    assert cursor["tagged"]["backlog"]["until_ids"] == [V1]


def test_read_budget_through_collect(graph: responses.RequestsMock) -> None:
    serve_only(graph, visitor_1="visitor_posts_1")
    batch = collector().collect(None, read_budget=1)
    assert isinstance(batch.interrupted, BudgetExhausted)
    assert (batch.reads, [m.platform_id for m in batch.mentions]) == (1, [V1])


# -- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [("error_190_460", "password"), ("error_190_463", "expired")],
)
def test_expired_or_invalidated_token_disables_the_source(
    engine: Engine, name: str, reason: str
) -> None:
    with responses.RequestsMock() as mock:
        serve_only(mock, visitor_1=Reply(name, status=400))
        result = run(engine, collector())
    assert result.error is not None and result.error.startswith("CredentialsRejected")
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="facebook")
        assert (health.state, health.last_error_class) == ("disabled", "CredentialsRejected")
        reason_text = health.disabled_reason or ""
    assert f"renew the page token and set {ENV}" in reason_text
    assert reason in reason_text and TOKEN not in reason_text
    skipped = run(engine, collector())  # no request: a disabled source is not retried
    assert skipped.skipped_reason is not None and skipped.skipped_reason.startswith("disabled")


@pytest.mark.parametrize(
    ("name", "options", "route", "permission"),
    [
        ("error_10_permission", {}, "visitor_1", "pages_read_user_content"),
        # Facebook's message names no permission here: the edge's usual one is named.
        ("error_200_permission", {"visitor_posts": False}, "posts", "pages_read_engagement"),
    ],
)
def test_missing_permission_is_named(
    graph: responses.RequestsMock,
    name: str,
    options: dict[str, Any],
    route: str,
    permission: str,
) -> None:
    serve_only(graph, **{route: Reply(name, status=403)})
    with pytest.raises(CredentialsRejected) as caught:
        collector(**options).collect(None)
    assert permission in str(caught.value) and ENV in str(caught.value)


@pytest.mark.parametrize("code", [4, 17, 32, 613])
@pytest.mark.parametrize("with_usage", [True, False], ids=["usage-header", "no-header"])
def test_rate_limits_back_off_until_the_reset(
    graph: responses.RequestsMock, code: int, with_usage: bool
) -> None:
    headers = USAGE_HEADERS if with_usage else {}
    serve_only(graph, visitor_1=Reply(f"error_rate_{code}", status=400, headers=headers))
    with pytest.raises(RateLimited) as caught:
        collector().collect(None)
    wait = timedelta(minutes=17) if with_usage else timedelta(hours=1)
    assert caught.value.reset_at == NOW + wait
    assert f"#{code}" in str(caught.value)
    # a person reads this time: in WITA, as for X (issue 14)
    assert f"resumes after {format_wita(NOW + wait)}" in str(caught.value)
    assert "UTC" not in str(caught.value)


def test_html_server_error_is_retried_next_run(engine: Engine) -> None:
    html = Reply(text=HTML_502, status=502, content_type="text/html; charset=utf-8")
    with responses.RequestsMock() as mock:
        serve_only(mock, visitor_1=html)
        result = run(engine, collector())
    assert result.error is not None and result.error.startswith("SourceUnavailable")
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="facebook")
        assert (health.state, health.consecutive_failures) == ("failing", 1)
        assert "HTTP 502" in (health.last_error or "")
        assert health.disabled_reason is None


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply("error_2_transient", status=500), SourceUnavailable),
        (Reply("error_100_33", status=400), CredentialsRejected),
        (Reply(data={"error": {"message": "Invalid token.", "code": 190}}), CredentialsRejected),
    ],
    ids=["transient-2", "unknown-page-100-33", "190-no-subcode"],
)
def test_other_graph_errors(
    graph: responses.RequestsMock, reply: Reply, expected: type[SourceError]
) -> None:
    serve_only(graph, visitor_1=reply)
    with pytest.raises(expected):
        collector().collect(None)


TRUNCATED = (RECORDED / "visitor_posts_1.json").read_text(encoding="utf-8")[:300]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(text=TRUNCATED), SourceDataError),
        (Reply(text="{not json"), SourceDataError),
        (Reply(text=""), SourceDataError),
        (Reply(data=[1, 2]), SourceDataError),
        (Reply(data={"paging": {}}), SourceDataError),
        (Reply(text=TRUNCATED, status=500), SourceUnavailable),
    ],
    ids=["truncated", "garbled", "empty", "list", "no-data", "cut-500"],
)
def test_unreadable_answers(
    graph: responses.RequestsMock, reply: Reply, expected: type[SourceError]
) -> None:
    serve_only(graph, visitor_1=reply)
    with pytest.raises(expected) as caught:
        collector().collect(None)
    assert type(caught.value) is expected


@pytest.mark.parametrize(
    "exception",
    [
        requests.exceptions.ReadTimeout(f"Read timed out. (url: /?access_token={TOKEN})"),
        requests.exceptions.ConnectionError(f"Max retries exceeded: ?access_token={TOKEN}"),
    ],
    ids=["timeout", "connection"],
)
def test_network_failures_are_retried_without_leaking_the_token(
    graph: responses.RequestsMock, exception: Exception
) -> None:
    serve_only(graph, visitor_1=Reply(exception=exception))
    with pytest.raises(SourceUnavailable) as caught:
        collector().collect(None)
    assert TOKEN not in caught.value.explain()


def test_no_token_is_refused_before_any_request() -> None:
    with pytest.raises(CredentialsRejected, match=ENV):
        collector(secrets={}).collect(None)


# -- what is stored --------------------------------------------------------------------------


def test_text_is_stored_intact(engine: Engine) -> None:
    comments = fixture("comments_8002")
    long_text = ("Jalan di Denpasar rusak parah 🚧 mohon segera diperbaiki. " * 100)[:5000]
    comments["data"][1]["message"] = long_text
    with responses.RequestsMock() as mock:
        serve_only(
            mock,
            posts="posts",
            comments_1="comments_8001_1",
            comments_1b="comments_8001_2",
            comments_2=Reply(data=comments),
        )
        result = run(engine, collector(visitor_posts=False))
    assert result.error is None
    rows = stored(engine)
    original = fixture("comments_8002")["data"][0]
    unicode_row = rows["8002_9201"]
    assert unicode_row.text == original["message"]
    for char in ("\u200b", "\u200d", "\u200f", "👨\u200d👩\u200d👧", "الماء"):
        assert char in unicode_row.text
    assert unicode_row.author_name == "Ketut \u200fعلي\u200f"
    assert len(long_text) == 5000 and rows["8002_9202"].text == long_text


def test_usage_headers_reach_the_batch_and_the_source_health(engine: Engine) -> None:
    with responses.RequestsMock() as mock:
        serve(mock, USAGE_HEADERS)
        batch = collector().collect(None)
    assert batch.usage == USAGE

    with responses.RequestsMock() as mock:
        serve(mock, USAGE_HEADERS)
        run(engine, collector())
    with Session(engine) as s:
        assert get_health(session=s, source=SOURCE, platform="facebook").usage == USAGE


def test_usage_read_before_a_failure_is_kept_in_health(engine: Engine) -> None:
    with responses.RequestsMock() as mock:
        serve_only(mock, visitor_1=Reply("error_rate_4", status=400, headers=USAGE_HEADERS))
        result = run(engine, collector())
    assert result.error is not None and result.error.startswith("RateLimited")
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="facebook")
        assert health.state == "rate_limited"
        assert set(health.usage) >= {"x-app-usage"}


def test_poison_items_are_cleaned_cut_or_quarantined_and_the_rest_stored(
    engine: Engine, graph: responses.RequestsMock
) -> None:
    page = json.loads((RECORDED / "visitor_posts_1.json").read_text(encoding="utf-8"))
    first, second = page["data"]
    long_id = f"{PAGE}_{'5' * 120}"  # no room for it: an id is never cut
    first["from"] = {"name": "Made\x00 Wirawan\x1b " * 400, "id": "6" * 300}
    first["message"] = "Lampu\x00 mati\x07 di Gatsu"
    second["id"] = long_id
    serve(graph, visitor_1=Reply(data=page))
    result = run(engine, collector())
    assert (result.quarantined, result.error) == (1, None)
    rows = stored(engine)
    assert set(rows) == FIRST_RUN_IDS - {V2}
    made = rows[V1]
    assert made.author_handle == "6" * 199 + "…"
    assert len(made.author_name) == 400 and made.author_name.startswith("Made Wirawan Made")
    assert made.text == "Lampu mati di Gatsu"
    assert "\x00" not in json.dumps(made.raw) and made.raw["from"]["id"] == "6" * 300
    with Session(engine) as s:
        (held,) = list_quarantined(session=s)
        cursor = get_cursor(session=s, source=SOURCE)
    assert held.platform_id == long_id[:100] and held.raw["id"] == long_id
    assert held.reason == (
        "platform_id: String should have at most 100 characters; "
        "conversation_id: String should have at most 100 characters"
    )
    assert cursor is not None and cursor["page_id"] == PAGE


def test_items_without_id_or_time_or_dated_in_the_future_are_quarantined(
    engine: Engine, graph: responses.RequestsMock
) -> None:
    page = json.loads((RECORDED / "visitor_posts_1.json").read_text(encoding="utf-8"))
    page["data"] += [
        {"id": f"{PAGE}_6661", "message": "no time"},
        {"id": f"{PAGE}_6662", "message": "bad time", "created_time": "yesterday"},
        {"message": "no id", "created_time": "2026-11-20T01:00:00+0000"},
        # Taken into the cursor, it would skip every real post until 2031.
        {"id": f"{PAGE}_6664", "message": "future", "created_time": "2031-01-01T00:00:00+0000"},
    ]
    serve(graph, visitor_1=Reply(data=page))
    result = run(engine, collector())
    assert (result.quarantined, result.error) == (4, None)
    assert set(stored(engine)) == FIRST_RUN_IDS
    with Session(engine) as s:
        held = {r.platform_id: r for r in list_quarantined(session=s)}
        cursor = get_cursor(session=s, source=SOURCE)
    assert set(held) == {f"{PAGE}_6661", f"{PAGE}_6662", "", f"{PAGE}_6664"}
    assert "without an id or created_time" in held[f"{PAGE}_6661"].reason
    assert held[f"{PAGE}_6664"].reason.endswith(
        "created_time 2031-01-01T00:00:00+00:00 is in the future"
    )
    assert held[""].raw["message"] == "no id"
    assert "2031" not in json.dumps(cursor)
