"""The X (Twitter) collector against docs-shaped API v2 answers intercepted with ``responses``.

tweepy itself makes every request; only the HTTP layer is replaced. The collector's
clock is frozen at NOW, a little after the fixtures' posts.
"""

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import harvester.twitter as twitter
from harvester.base import SourceSpec
from harvester.exceptions import (
    BudgetExhausted,
    CredentialsRejected,
    RateLimited,
    SourceDataError,
    SourceUnavailable,
)
from harvester.registry import make_collector
from harvester.runner import RunResult, run_source
from harvester.twitter import TwitterCollector
from models.quarantine import list_quarantined
from models.sources import get_cursor, get_health
from models.tables import Mention
from models.wita import format_wita
from tests.support.paths import PACKAGES, ROOT
from tests.support.twitter import (
    ACCOUNT_ID,
    API,
    BACKFILL_START,
    ENV,
    LOOKUP_URL,
    MENTIONS_URL,
    NOW,
    QUERY,
    RECORDED,
    SEARCH_URL,
    SOURCE,
    fixture,
    make,
    params,
    reply,
)

PAGE1, PAGE2, NEWER = (fixture(f"mentions_{n}.json") for n in ("page1", "page2", "newer"))
# page 1: a complaint, a retweet of it, the account's own reply, a citizen's reply
T5, T4_RETWEET, T3_OWN, T2_REPLY = PAGE1["data"]
# page 2: a quote of the account's post, mixed scripts, a 5,000-character note tweet
T1_QUOTE, T_MIXED, T_LONG = PAGE2["data"]
(T6,) = NEWER["data"]
T0 = PAGE1["includes"]["tweets"][0]  # the account's post that T2 replies to and T1 quotes
TOKEN = PAGE1["meta"]["next_token"]


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twitter, "utcnow", lambda: NOW)


@pytest.fixture(autouse=True)
def _no_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(seconds: float) -> None:
        raise AssertionError(f"something slept {seconds}s inside a harvest")

    monkeypatch.setattr(time, "sleep", refuse)


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def run(engine: Engine, collector: TwitterCollector, **kw: Any) -> RunResult:
    return run_source(engine=engine, source=SOURCE, platform="twitter", collector=collector, **kw)


def stored(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return sorted(m.platform_id for m in s.exec(select(Mention)))


def cursor_of(engine: Engine) -> dict[str, Any] | None:
    with Session(engine) as s:
        return get_cursor(session=s, source=SOURCE)


def health_of(engine: Engine) -> Any:
    with Session(engine) as s:
        return get_health(session=s, source=SOURCE, platform="twitter")


# -- reading and normalising -------------------------------------------------------------


def test_pages_are_followed_and_posts_normalised(api: responses.RequestsMock) -> None:
    reply(api, MENTIONS_URL, "mentions_page1.json")
    reply(api, MENTIONS_URL, "mentions_page2.json")
    batch = make().collect(None)

    ids = [m.platform_id for m in batch.mentions]
    assert ids == [T5["id"], T2_REPLY["id"], T1_QUOTE["id"], T_MIXED["id"], T_LONG["id"]]
    assert T4_RETWEET["id"] not in ids and T3_OWN["id"] not in ids
    assert (batch.reads, batch.interrupted) == (7, None)  # skipped posts were read too
    assert batch.cursor == {"mentions": {"since_id": T5["id"]}}

    first, second = (params(c) for c in api.calls)
    assert first["expansions"] == "author_id,referenced_tweets.id,in_reply_to_user_id"
    assert set(first["tweet.fields"].split(",")) >= {
        "created_at",
        "conversation_id",
        "in_reply_to_user_id",
        "lang",
        "entities",
        "referenced_tweets",
    }
    assert first["user.fields"] == "username,name"
    assert first["max_results"] == "100"
    assert "pagination_token" not in first
    assert second["pagination_token"] == TOKEN
    assert second["start_time"] == first["start_time"] == BACKFILL_START
    assert api.calls[0].request.headers["Authorization"] == "Bearer AAAA-test-token"

    by_id = {m.platform_id: m for m in batch.mentions}
    complaint = by_id[T5["id"]]
    assert (complaint.platform, complaint.source) == ("twitter", SOURCE)
    assert (complaint.author_handle, complaint.author_name) == ("budi_dps", "Budi Santika")
    assert complaint.url == f"https://x.com/budi_dps/status/{T5['id']}"
    assert complaint.created_at == datetime(2026, 11, 20, 2, 50, tzinfo=UTC)
    assert complaint.text == T5["text"]
    assert (complaint.conversation_id, complaint.reply_to_id) == (T5["id"], None)
    assert complaint.raw["tweet"] == T5
    assert complaint.raw["author"]["username"] == "budi_dps"

    answer = by_id[T2_REPLY["id"]]
    assert (answer.conversation_id, answer.reply_to_id) == (T0["id"], T0["id"])
    assert [t["id"] for t in answer.raw["referenced"]] == [T0["id"]]

    quote = by_id[T1_QUOTE["id"]]
    assert quote.text == T1_QUOTE["text"]  # the quoting text, not the quoted post
    assert quote.reply_to_id is None
    assert quote.raw["referenced"][0]["text"] == T0["text"]


@pytest.mark.parametrize(("days", "start"), [(3, BACKFILL_START), (1, "2026-11-19T03:00:00Z")])
def test_first_run_backfills_only_the_configured_window(
    api: responses.RequestsMock, days: int, start: str
) -> None:
    reply(api, MENTIONS_URL, "empty.json")
    batch = make(backfill_days=days).collect(None)
    sent = params(api.calls[0])
    assert sent["start_time"] == start and "since_id" not in sent
    # Nothing found: the window is kept, so the next run still looks back to it.
    assert batch.cursor == {"mentions": {"start_time": start}}
    assert (batch.mentions, batch.reads) == ([], 0)


def test_empty_page_keeps_the_since_id(api: responses.RequestsMock) -> None:
    reply(api, MENTIONS_URL, "empty.json")
    batch = make().collect({"mentions": {"since_id": T5["id"]}})
    assert params(api.calls[0])["since_id"] == T5["id"]
    assert batch.cursor == {"mentions": {"since_id": T5["id"]}}
    assert (batch.mentions, batch.interrupted) == ([], None)


def test_missing_includes_do_not_crash(api: responses.RequestsMock) -> None:
    page = fixture("mentions_no_includes.json")
    citizen, own_reply = page["data"]
    reply(api, MENTIONS_URL, "mentions_no_includes.json")
    batch = make().collect(None)
    assert [m.platform_id for m in batch.mentions] == [citizen["id"]]  # own reply: by author_id
    (m,) = batch.mentions
    assert (m.author_handle, m.author_name) == ("", "")
    assert m.url == f"https://x.com/i/web/status/{citizen['id']}"
    assert m.raw == {"tweet": citizen, "author": None, "referenced": []}
    assert own_reply["author_id"] == ACCOUNT_ID


def test_search_queries_have_their_own_cursor_and_posts_are_not_repeated(
    api: responses.RequestsMock,
) -> None:
    search = fixture("search_page1.json")
    s1, s2_own, s3_also_a_mention = search["data"]
    reply(api, MENTIONS_URL, "mentions_page1.json")
    reply(api, MENTIONS_URL, "mentions_page2.json")
    reply(api, SEARCH_URL, "search_page1.json")
    batch = make(queries=[QUERY]).collect(None)

    ids = [m.platform_id for m in batch.mentions]
    assert s3_also_a_mention["id"] == T5["id"] and ids.count(T5["id"]) == 1
    assert s1["id"] in ids and s2_own["id"] not in ids
    assert batch.reads == 10
    sent = params(api.calls[2])
    assert (sent["query"], sent["start_time"]) == (QUERY, BACKFILL_START)
    assert batch.cursor[f"query:{QUERY}"] == {"since_id": s1["id"]}
    assert batch.cursor["mentions"] == {"since_id": T5["id"]}


def test_search_resumes_its_sweep_with_next_token(api: responses.RequestsMock) -> None:
    key = f"query:{QUERY}"
    state = {"since_id": T0["id"], "next_token": "b26v89c19zqg8o3f", "sweep_newest_id": T6["id"]}
    reply(api, SEARCH_URL, "empty.json")
    batch = make(mentions=False, queries=[QUERY]).collect({key: state})
    sent = params(api.calls[0])
    assert (sent["next_token"], sent["since_id"]) == ("b26v89c19zqg8o3f", T0["id"])
    assert batch.cursor == {key: {"since_id": T6["id"]}}  # the sweep ended: promoted


def test_search_never_reaches_past_its_seven_day_window(
    api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = NOW + timedelta(days=8)
    monkeypatch.setattr(twitter, "utcnow", lambda: later)
    oldest = (later - twitter.SEARCH_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
    key = f"query:{QUERY}"
    reply(api, SEARCH_URL, "empty.json")
    make(mentions=False, queries=[QUERY]).collect({key: {"since_id": T5["id"]}})
    make(mentions=False, queries=[QUERY], backfill_days=30).collect(None)
    stale, first = (params(c) for c in api.calls)
    assert "since_id" not in stale and stale["start_time"] == oldest
    assert first["start_time"] == oldest


def test_account_id_is_looked_up_once(engine: Engine, api: responses.RequestsMock) -> None:
    collector = make(account_user_id=None)
    reply(api, LOOKUP_URL, "user_lookup.json")
    reply(api, MENTIONS_URL, "mentions_newer.json")
    assert run(engine, collector).stored == 1
    api.reset()
    reply(api, MENTIONS_URL, "empty.json")
    assert run(engine, collector).error is None
    assert [(c.request.url or "").split("?")[0] for c in api.calls] == [MENTIONS_URL]
    assert cursor_of(engine) == {
        "account": {"username": "prodenpasar", "id": ACCOUNT_ID},
        "mentions": {"since_id": T6["id"]},
    }


def test_unknown_account_is_named(api: responses.RequestsMock) -> None:
    reply(api, f"{API}/users/by/username/prodenpasarr", "user_not_found.json")
    with pytest.raises(SourceDataError, match=r"no account @prodenpasarr \(Could not find user"):
        make(account_username="prodenpasarr", account_user_id=None).collect(None)


# -- the store: cursors across runs, text kept intact ------------------------------------


def test_second_run_asks_since_id_and_stores_nothing_twice(
    engine: Engine, api: responses.RequestsMock
) -> None:
    collector = make()
    reply(api, MENTIONS_URL, "mentions_page1.json")
    reply(api, MENTIONS_URL, "mentions_page2.json")
    assert run(engine, collector).stored == 5
    assert cursor_of(engine) == {"mentions": {"since_id": T5["id"]}}

    api.reset()
    reply(api, MENTIONS_URL, "mentions_newer.json")
    second = run(engine, collector)
    sent = params(api.calls[0])
    assert sent["since_id"] == T5["id"] and "start_time" not in sent
    assert (second.fetched, second.stored) == (1, 1)
    assert cursor_of(engine) == {"mentions": {"since_id": T6["id"]}}

    # X sending a post again (e.g. an overlapping window) is dropped: not even fetched.
    api.reset()
    reply(api, MENTIONS_URL, "mentions_newer.json")
    third = run(engine, collector)
    assert params(api.calls[0])["since_id"] == T6["id"]
    assert (third.fetched, third.stored) == (0, 0)
    assert len(stored(engine)) == 6
    assert health_of(engine).reads_this_month == 9


def test_emoji_zero_width_rtl_and_long_texts_are_stored_intact(
    engine: Engine, api: responses.RequestsMock
) -> None:
    reply(api, MENTIONS_URL, "mentions_page1.json")
    reply(api, MENTIONS_URL, "mentions_page2.json")
    run(engine, make())
    with Session(engine) as s:
        rows = {m.platform_id: m for m in s.exec(select(Mention))}
    mixed = rows[T_MIXED["id"]]
    assert mixed.text == T_MIXED["text"]
    for piece in ("\u200b", "\u200d", "\u200f", "\u200e", "\u202b", "👩\u200d👩\u200d👧", "🇮🇩"):
        assert piece in mixed.text
    long = rows[T_LONG["id"]]
    assert len(long.text) == 5000 and long.text == T_LONG["note_tweet"]["text"]
    assert long.raw["tweet"]["note_tweet"]["text"] == long.text
    assert rows[T5["id"]].text.endswith("😡💡 mohon dicek")
    assert rows[T1_QUOTE["id"]].author_handle == "madewira"


INTERRUPTIONS = {
    "rate limit": dict(
        name="error_429.json",
        status=429,
        # the reset time is past by the wall clock, so the runner does not skip run 2
        headers={"x-rate-limit-reset": str(int((NOW + timedelta(minutes=15)).timestamp()))},
        error="RateLimited",
        state="rate_limited",
    ),
    "server error": dict(name="error_503.json", status=503, error="SourceUnavailable"),
    "truncated json": dict(
        body=(RECORDED / "mentions_page2.json").read_text()[:300], error="SourceDataError"
    ),
}


@pytest.mark.parametrize("case", INTERRUPTIONS.values(), ids=INTERRUPTIONS.keys())
def test_interrupted_sweep_resumes_without_gaps(
    engine: Engine, api: responses.RequestsMock, case: dict[str, Any]
) -> None:
    collector = make()
    reply(api, MENTIONS_URL, "mentions_page1.json")
    reply(
        api,
        MENTIONS_URL,
        case.get("name"),
        status=case.get("status", 200),
        body=case.get("body"),
        headers=case.get("headers"),
    )
    first = run(engine, collector)
    assert first.stored == 2  # page 1's two citizen posts are kept
    assert first.error is not None and first.error.startswith(case["error"])
    assert cursor_of(engine) == {
        "mentions": {"start_time": BACKFILL_START, "next_token": TOKEN, "sweep_newest_id": T5["id"]}
    }
    health = health_of(engine)
    assert health.state == case.get("state", "failing")
    assert health.last_error_class == case["error"]
    assert health.reads_this_month == 4

    api.reset()
    reply(api, MENTIONS_URL, "mentions_page2.json")
    second = run(engine, collector)
    sent = params(api.calls[0])
    assert (sent["pagination_token"], sent["start_time"]) == (TOKEN, BACKFILL_START)
    assert "since_id" not in sent
    assert (second.stored, second.error) == (3, None)
    assert cursor_of(engine) == {"mentions": {"since_id": T5["id"]}}  # promoted at the end

    api.reset()
    reply(api, MENTIONS_URL, "mentions_newer.json")
    assert run(engine, collector).stored == 1
    assert params(api.calls[0])["since_id"] == T5["id"]
    every = [t["id"] for t in (T5, T2_REPLY, T1_QUOTE, T_MIXED, T_LONG, T6)]
    assert stored(engine) == sorted(every)


def test_max_pages_leaves_the_rest_of_the_sweep_for_the_next_run(
    api: responses.RequestsMock,
) -> None:
    reply(api, MENTIONS_URL, "mentions_page1.json")
    collector = make(max_pages=1)
    first = collector.collect(None)
    assert first.interrupted is None and len(api.calls) == 1
    assert first.cursor["mentions"]["next_token"] == TOKEN
    api.reset()
    reply(api, MENTIONS_URL, "mentions_page2.json")
    second = collector.collect(first.cursor)
    assert params(api.calls[0])["pagination_token"] == TOKEN
    assert second.cursor == {"mentions": {"since_id": T5["id"]}}


def test_stale_page_token_restarts_the_sweep_from_the_same_since_id(
    api: responses.RequestsMock,
) -> None:
    state = {"since_id": T2_REPLY["id"], "next_token": "stale-token", "sweep_newest_id": T5["id"]}
    reply(api, MENTIONS_URL, "error_400_token.json", status=400)
    reply(api, MENTIONS_URL, "mentions_newer.json")
    batch = make().collect({"mentions": state})
    refused, again = (params(c) for c in api.calls)
    assert refused["pagination_token"] == "stale-token"
    assert "pagination_token" not in again and again["since_id"] == T2_REPLY["id"]
    assert [m.platform_id for m in batch.mentions] == [T6["id"]]
    assert batch.cursor == {"mentions": {"since_id": T6["id"]}}


# -- read budget -------------------------------------------------------------------------


def test_read_budget_stops_mid_sweep_and_resumes_next_month(
    engine: Engine, api: responses.RequestsMock
) -> None:
    reply(api, MENTIONS_URL, "mentions_page1.json")
    result = run(engine, make(), monthly_read_cap=13)
    assert params(api.calls[0])["max_results"] == "13"
    assert len(api.calls) == 1  # 9 reads left: less than one page
    assert result.stored == 2
    assert result.error is not None and result.error.startswith("BudgetExhausted")
    health = health_of(engine)
    assert (health.state, health.reads_this_month) == ("budget_exhausted", 4)
    assert cursor_of(engine) == {
        "mentions": {"start_time": BACKFILL_START, "next_token": TOKEN, "sweep_newest_id": T5["id"]}
    }
    again = run(engine, make(), monthly_read_cap=13)
    assert again.skipped_reason is not None and len(api.calls) == 1


def test_budget_below_one_page_reads_nothing(api: responses.RequestsMock) -> None:
    cursor = {"mentions": {"since_id": T5["id"]}}
    batch = make().collect(cursor, read_budget=5)
    assert isinstance(batch.interrupted, BudgetExhausted)
    assert (batch.mentions, batch.reads, len(api.calls)) == ([], 0, 0)
    assert batch.cursor == cursor


# -- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize("with_header", [True, False], ids=["reset header", "no reset header"])
def test_rate_limit_records_when_to_try_again(
    engine: Engine, api: responses.RequestsMock, with_header: bool
) -> None:
    reset = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
    headers = {"x-rate-limit-reset": str(int(reset.timestamp()))} if with_header else {}
    reply(api, MENTIONS_URL, "error_429.json", status=429, headers=headers)
    result = run(engine, make())
    assert result.error is not None
    assert result.error.startswith("RateLimited: X rate limit reached reading mentions")
    assert "HTTP 429 Too Many Requests: Too Many Requests" in result.error
    health = health_of(engine)
    expected = reset if with_header else NOW + timedelta(minutes=15)
    assert (health.state, health.rate_limited_until) == ("rate_limited", expected)
    assert cursor_of(engine) is None and stored(engine) == []
    assert len(api.calls) == 1  # no retry loop, no sleeping


def test_error_before_any_page_is_raised(api: responses.RequestsMock) -> None:
    reply(api, MENTIONS_URL, "error_429.json", status=429)
    with pytest.raises(RateLimited) as caught:
        make().collect(None)
    assert caught.value.reset_at == NOW + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("status", "name", "says"),
    [
        (401, "error_401.json", "did not accept the bearer token (HTTP 401 Unauthorized"),
        (403, "error_403.json", "attached to a Project"),
    ],
)
def test_rejected_token_disables_the_source_with_a_plain_message(
    engine: Engine, api: responses.RequestsMock, status: int, name: str, says: str
) -> None:
    reply(api, MENTIONS_URL, name, status=status)
    result = run(engine, make())
    assert result.error is not None and result.error.startswith("CredentialsRejected")
    health = health_of(engine)
    assert health.state == "disabled"
    reason = health.disabled_reason or ""
    assert says in reason and ENV in reason and f"aduan sources enable {SOURCE}" in reason
    assert run(engine, make()).skipped_reason is not None
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    ("status", "body", "content_type", "says"),
    [
        (
            503,
            (RECORDED / "error_503.json").read_text(),
            "application/json",
            "HTTP 503 Service Unavailable: Service Unavailable",
        ),
        (
            502,
            "<html><body><h1>Bad Gateway</h1>Over capacity</body></html>",
            "text/html",
            "HTTP 502 Bad Gateway",
        ),
        (500, "<html>Internal Server Error", "text/html", "HTTP 500 Internal Server Error"),
    ],
)
def test_server_errors_are_retried_next_run(
    engine: Engine,
    api: responses.RequestsMock,
    status: int,
    body: str,
    content_type: str,
    says: str,
) -> None:
    reply(api, MENTIONS_URL, status=status, body=body, content_type=content_type)
    result = run(engine, make())
    assert result.error is not None and result.error.startswith("SourceUnavailable")
    assert says in result.error
    health = health_of(engine)
    assert (health.state, health.consecutive_failures) == ("failing", 1)
    assert health.last_error_class == "SourceUnavailable"


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ConnectTimeout("timed out"), requests.exceptions.ConnectionError("dns")],
)
def test_network_failures_are_source_unavailable(
    api: responses.RequestsMock, failure: Exception
) -> None:
    reply(api, MENTIONS_URL, body=failure)
    with pytest.raises(SourceUnavailable, match="could not be reached"):
        make().collect(None)


def test_requests_carry_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_send(self: Any, request: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        raise requests.exceptions.ReadTimeout("slow")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake_send)
    with pytest.raises(SourceUnavailable, match="ReadTimeout"):
        make(request_timeout=7).collect(None)
    assert seen["timeout"] == 7


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, (RECORDED / "mentions_page1.json").read_text()[:700]),
        (200, "{not json"),
        (200, "[]"),
        (200, '{"data": {"id": "1", "text": "x"}, "meta": {}}'),
        (200, '{"data": [{"text": "a post without an id"}], "meta": {"result_count": 1}}'),
        (200, '{"errors": [{"title": "Authorization Error", "detail": "User suspended."}]}'),
        (503, '["not", "an", "object"]'),
    ],
    ids=[
        "truncated",
        "not json",
        "list",
        "data not a list",
        "post without id",
        "errors only",
        "error body not an object",
    ],
)
def test_malformed_answers_are_source_data_errors(
    engine: Engine, api: responses.RequestsMock, status: int, body: str
) -> None:
    reply(api, MENTIONS_URL, status=status, body=body)
    result = run(engine, make())
    assert result.error is not None and result.error.startswith("SourceDataError")
    assert (health_of(engine).state, stored(engine), cursor_of(engine)) == ("failing", [], None)


def test_garbled_rate_limit_header_is_a_data_error(api: responses.RequestsMock) -> None:
    reply(api, MENTIONS_URL, "error_429.json", status=429, headers={"x-rate-limit-reset": "soon"})
    with pytest.raises(SourceDataError, match="unexpected shape"):
        make().collect(None)


def test_bad_query_names_the_problem(api: responses.RequestsMock) -> None:
    reply(api, SEARCH_URL, "error_400_query.json", status=400)
    with pytest.raises(SourceDataError, match=r"Ambiguous use of or.*check the query"):
        make(mentions=False, queries=["#prodenpasar OR"]).collect(None)


def test_missing_token_is_a_credentials_problem() -> None:
    collector = make_collector(
        SourceSpec(
            name=SOURCE,
            platform="twitter",
            options={"account_username": "prodenpasar"},
            secret_env={"bearer_token": ENV},
        )
    )
    with pytest.raises(CredentialsRejected, match=ENV):
        collector.collect(None)


# -- options and boundaries --------------------------------------------------------------


def test_options_are_validated() -> None:
    ok = make(account_username="@ProDenpasar", account_user_id=42).options
    assert (ok.account_username, ok.account_user_id) == ("ProDenpasar", "42")
    assert (ok.mentions, ok.queries, ok.max_results) == (True, [], 100)
    for bad in (
        {"bearer_token": "do-not-put-secrets-here"},
        {"max_results": 5},
        {"max_results": 101},
        {"max_pages": 0},
        {"mentions": False},
        {"queries": ["  "]},
        {"account_username": "pro denpasar"},
        {"account_user_id": "abc"},
    ):
        with pytest.raises(ValidationError):
            make(**bad)


def test_only_the_twitter_reader_and_the_reply_sender_import_tweepy() -> None:
    # Reading X is the collector's; posting replies is notify's (issue 13), nobody else's.
    pattern = re.compile(r"^\s*(import tweepy|from tweepy)", re.MULTILINE)
    offenders = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    )
    assert offenders == ["harvester/twitter.py", "notify/reply_channel.py"]


def test_poison_posts_are_cleaned_cut_or_quarantined_and_the_rest_stored(
    engine: Engine, api: responses.RequestsMock
) -> None:
    page = fixture("mentions_newer.json")
    good = page["data"][0]
    long_name = "Ketut\x00 Sudiarsa " * 400  # 6,400 characters with NUL bytes
    loud = dict(good, id=str(int(good["id"]) + 1), author_id="1501099")
    dated = dict(good, id=str(int(good["id"]) + 2), created_at="0001-01-01T00:00:00.000Z")
    page["data"] = [good, loud, dated]
    page["includes"]["users"].append({"id": "1501099", "name": long_name, "username": "k" * 300})
    page["meta"]["newest_id"] = dated["id"]
    reply(api, MENTIONS_URL, body=json.dumps(page))
    result = run(engine, make())
    assert (result.stored, result.quarantined, result.error) == (2, 1, None)
    with Session(engine) as s:
        rows = {m.platform_id: m for m in s.exec(select(Mention))}
        (held,) = list_quarantined(session=s)
    assert set(rows) == {good["id"], loud["id"]}
    cut = rows[loud["id"]]
    assert len(cut.author_handle) == 200 and cut.author_handle.endswith("…")
    assert len(cut.author_name) == 400 and "\x00" not in cut.author_name
    assert cut.author_name.startswith("Ketut Sudiarsa Ketut")
    assert cut.raw["author"]["name"] == long_name.replace("\x00", "")
    assert (held.platform_id, held.source) == (dated["id"], SOURCE)
    assert held.reason.startswith("created_at: 0001-01-01T00:00:00+00:00 is out of range")
    assert cursor_of(engine) == {"mentions": {"since_id": dated["id"]}}


def test_a_429_on_search_pauses_search_only_not_the_mentions_timeline(
    engine: Engine, api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 14: X limits are per endpoint; one 429 on recent search used to pause the
    # whole source (15 minutes without a reset header)
    reset = NOW + timedelta(minutes=15)
    reply(api, MENTIONS_URL, "mentions_page1.json")
    reply(api, MENTIONS_URL, "mentions_page2.json")
    reply(api, SEARCH_URL, "error_429.json", status=429)
    first = run(engine, make(queries=[QUERY]))
    assert first.error is None and first.stored > 0
    health = health_of(engine)
    assert (health.state, health.rate_limited_until) == ("ok", None)
    assert health.usage == {"jeda": {twitter.SEARCH_ENDPOINT: format_wita(reset)}}
    cursor = cursor_of(engine)
    assert cursor is not None
    assert cursor["paused"] == {twitter.SEARCH_ENDPOINT: reset.isoformat()}
    # The next run, still before the reset: the mentions timeline only.
    calls = len(api.calls)
    reply(api, MENTIONS_URL, "empty.json")
    second = run(engine, make(queries=[QUERY]))
    assert second.error is None
    assert [urlsplit(c.request.url).path for c in api.calls[calls:]] == [
        urlsplit(MENTIONS_URL).path
    ]
    # After the reset: search is read again and the pause is gone.
    monkeypatch.setattr(twitter, "utcnow", lambda: reset + timedelta(minutes=1))
    calls = len(api.calls)
    reply(api, MENTIONS_URL, "empty.json")
    reply(api, SEARCH_URL, "empty.json")
    third = run(engine, make(queries=[QUERY]))
    assert third.error is None
    paths = [urlsplit(c.request.url).path for c in api.calls[calls:]]
    assert urlsplit(SEARCH_URL).path in paths
    after = cursor_of(engine)
    assert after is not None and "paused" not in after
    assert health_of(engine).usage == {"jeda": {}}


def test_when_every_endpoint_waits_the_source_waits(api: responses.RequestsMock) -> None:
    reply(api, MENTIONS_URL, "error_429.json", status=429)
    reply(api, SEARCH_URL, "error_429.json", status=429)
    with pytest.raises(RateLimited):
        make(queries=[QUERY]).collect(None)
    # with one endpoint already paused in the cursor, the other's 429 stops the source
    paused = {"paused": {twitter.SEARCH_ENDPOINT: (NOW + timedelta(minutes=5)).isoformat()}}
    reply(api, MENTIONS_URL, "error_429.json", status=429)
    with pytest.raises(RateLimited):
        make(queries=[QUERY]).collect(paused)
