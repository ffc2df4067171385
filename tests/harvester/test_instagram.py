"""The Instagram collector against instaloader 4.16, its HTTP calls answered from fixtures.

Nothing reaches the network: ``responses`` catches every request instaloader makes (it
uses several ``requests`` sessions; ``responses`` patches them all) and ``FakeInstagram``
answers each from tests/fixtures/instagram/, keyed by endpoint and query so the test can
say what Instagram answers to what. The session file is written here, in instaloader's
format (a pickled cookie dict).
"""

import json
import pickle
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import harvester.instagram as instagram
from harvester.base import SourceSpec
from harvester.exceptions import (
    BudgetExhausted,
    CredentialsRejected,
    RateLimited,
    SourceDataError,
    SourceUnavailable,
)
from harvester.registry import make_collector
from harvester.runner import enable_source, run_source
from models.quarantine import list_quarantined
from models.sources import get_cursor, get_health
from models.tables import Mention
from tests.support.instagram import (
    ACCOUNT,
    ACCOUNT_ID,
    LOGIN,
    NOW,
    P2_COMMENTS,
    SOURCE,
    FakeInstagram,
    Reply,
    collector,
    json_reply,
    load,
    ok,
    to_login,
)

COMMENTS = {
    "17900000000000301",  # on the pinned post
    "17900000000000101",  # graphql comments, answer inline
    "17900000000000103",  # emoji, zero-width and right-to-left text
    "17900000000000104",  # answers fetched by their own query
    "17900000000000105",
    "17900000000000201",  # mobile API comments, page 1
    "17900000000000211",  # answers from the child_comments endpoint
    "17900000000000212",
    "17900000000000202",
    "17900000000000204",  # page 2: 5,000 characters
    "17900000000000205",
}
TAGGED = {"3500000000000000101", "3500000000000000103"}
HASHTAG = {"3500000000000000201"}
EVERYTHING = COMMENTS | TAGGED | HASHTAG
OWN = {
    "17900000000000102",  # the city's comment
    "17900000000000106",  # the city's answer
    "17900000000000203",  # the logged-in staff user's comment
    "17900000000000213",  # the city's answer via child_comments
    "3500000000000000102",  # the city tagging itself
    "3500000000000000202",  # the city's own #prodenpasar post
}


@pytest.fixture(autouse=True)
def _no_sleep_fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Nothing may sleep; "now" is NOW; instaloader's pacing starts empty per test."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    monkeypatch.setattr(instagram, "utcnow", lambda: NOW)
    monkeypatch.setattr(instagram, "_PACING", {})
    yield slept
    assert slept == [], f"something slept: {slept}"


@pytest.fixture
def ig() -> Iterator[FakeInstagram]:
    """Instagram, answered from the fixtures; no request reaches the network."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeInstagram(mock)


def run(engine: Engine, c: Any, **kw: Any) -> Any:
    """One harvest run through the runner, storing into *engine*."""
    return run_source(engine=engine, source=SOURCE, platform="instagram", collector=c, **kw)


def stored(engine: Engine) -> dict[str, Mention]:
    """The stored mentions by platform id."""
    with Session(engine) as s:
        return {m.platform_id: m for m in s.exec(select(Mention))}


def ids(batch: Any) -> set[str]:
    """The platform ids of a batch's mentions."""
    return {m.platform_id for m in batch.mentions}


# --- what is collected ---------------------------------------------------------------


def test_first_run_collects_comments_answers_tagged_and_hashtag_posts(
    ig: FakeInstagram, session_file: Path
) -> None:
    batch = collector(session_file).collect(None)
    assert batch.interrupted is None
    assert ids(batch) == EVERYTHING
    assert len(batch.mentions) == len(EVERYTHING)  # the tagged post under #prodenpasar once
    by_id = {m.platform_id: m for m in batch.mentions}

    comment = by_id["17900000000000101"]
    assert comment.platform == "instagram" and comment.source == SOURCE
    assert (comment.author_handle, comment.conversation_id, comment.reply_to_id) == (
        "warga_sesetan",
        "3500000000000000001",
        "3500000000000000001",
    )
    assert comment.url == "https://www.instagram.com/p/DQnew00001/c/17900000000000101/"
    assert comment.created_at == datetime(2026, 11, 19, 3, 0, tzinfo=UTC)
    assert comment.raw["edge_threaded_comments"]["count"] == 1

    answer = by_id["17900000000000105"]  # fetched by the answers query
    assert (answer.reply_to_id, answer.conversation_id) == (
        "17900000000000103",
        "3500000000000000001",
    )
    assert answer.raw["rebuilt_from"] == "instaloader.PostCommentAnswer"
    inline = by_id["17900000000000104"]  # also inline in its parent: the node as sent
    assert inline.raw["owner"]["username"] == "warga.sidakarya"
    mobile = by_id["17900000000000212"]
    assert (mobile.reply_to_id, mobile.author_name) == ("17900000000000201", "Made Sari")

    tagged = by_id["3500000000000000101"]
    assert tagged.url == "https://www.instagram.com/p/DQtag00001/"
    assert (tagged.conversation_id, tagged.reply_to_id) == ("3500000000000000101", None)
    assert tagged.text.startswith("@pemkotdenpasar sampah menumpuk")
    assert tagged.created_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    hashtag = by_id["3500000000000000201"]  # owner looked up: the node has its id only
    assert (hashtag.author_handle, hashtag.author_name) == ("warga_denpasar_utara", "Made Warga")
    assert hashtag.raw["owner"] == {"id": "888001"}
    assert all(m.created_at.tzinfo is not None for m in batch.mentions)
    # posts listed; comments and answers on P0, P1, P2; tagged posts; hashtag posts
    assert batch.reads == 4 + 1 + (4 + 3) + (5 + 3) + 4 + 4


def test_instaloader_takes_each_comment_path_and_pages(
    ig: FakeInstagram, session_file: Path
) -> None:
    collector(session_file).collect(None)
    # <= 12 comments: the graphql query, answers by their own query when not all inline
    assert ig.count("comments:DQnew00001") == 1
    assert ig.count("answers:17900000000000103") == 1
    # > 12 comments: the mobile API, both pages, and the answers of a comment
    assert ig.count(P2_COMMENTS) == 1
    assert ig.count(f"{P2_COMMENTS}?min_id=QVFCMjAzX3BhZ2Uy") == 1
    assert ig.count(f"{P2_COMMENTS}17900000000000201/child_comments/") == 1
    # a post without comments costs no request; a post beyond recent_posts is not read
    assert not any("DQold0000" in key for key in ig.requests)
    assert ig.count(f"tagged:{ACCOUNT_ID}?after=QVFEdGFnUGFnZTI=") == 1
    assert ig.count("media:DQtag00001") == 0  # already collected as a tagged post


def test_own_posts_and_comments_are_never_mentions(ig: FakeInstagram, session_file: Path) -> None:
    batch = collector(session_file).collect(None)
    assert not ids(batch) & OWN
    assert {m.author_handle for m in batch.mentions}.isdisjoint({ACCOUNT, LOGIN})


def test_first_run_backfills_only_the_window(ig: FakeInstagram, session_file: Path) -> None:
    three = ids(collector(session_file, backfill_days=3).collect(None))
    assert "17900000000000100" not in three  # 2026-11-16 09:00, before 11-17 12:00
    five = ids(collector(session_file, backfill_days=5).collect(None))
    assert five - three == {"17900000000000100"}
    assert "3500000000000000104" not in five  # tagged 2026-11-10: the stream stops there
    assert "3500000000000000204" not in five


def test_text_with_emoji_zero_width_rtl_and_5000_characters_is_stored_intact(
    engine: Engine, ig: FakeInstagram, session_file: Path
) -> None:
    run(engine, collector(session_file))
    rows = stored(engine)
    rtl = next(
        n["node"]["text"]
        for n in load("graphql_comments_DQnew00001")["data"]["shortcode_media"][
            "edge_media_to_parent_comment"
        ]["edges"]
        if n["node"]["id"] == "17900000000000103"
    )
    assert "\u200b" in rtl and "\u200f" in rtl and "👨\u200d👩\u200d👧" in rtl
    assert rows["17900000000000103"].text == rtl
    long = load("v1_comments_3500000000000000002_page2")["comments"][0]["text"]
    assert len(long) == 5000
    assert rows["17900000000000204"].text == long
    assert rows["17900000000000204"].raw["text"] == long


# --- cursors ---------------------------------------------------------------------------


def test_second_run_reads_again_but_returns_and_stores_nothing(
    engine: Engine, ig: FakeInstagram, session_file: Path
) -> None:
    first = run(engine, collector(session_file))
    assert (first.stored, first.error) == (len(EVERYTHING), None)
    ig.requests.clear()
    second = run(engine, collector(session_file))
    assert (second.fetched, second.stored, second.error) == (0, 0, None)
    # the account id is kept in the cursor: no profile page; the tagged stream stops at
    # its mark on page 1
    assert f"page:{ACCOUNT}" not in ig.requests
    assert ig.count(f"tagged:{ACCOUNT_ID}?after=QVFEdGFnUGFnZTI=") == 0
    assert len(stored(engine)) == len(EVERYTHING)


def test_a_new_comment_and_a_new_tag_are_picked_up_next_run(
    ig: FakeInstagram, session_file: Path
) -> None:
    first = collector(session_file).collect(None)
    comments = load("graphql_comments_DQnew00001")
    edges = comments["data"]["shortcode_media"]["edge_media_to_parent_comment"]["edges"]
    new = json.loads(json.dumps(edges[0]["node"]))
    new.update(
        id="17900000000000107", text="Lampu di Jl. Sudirman juga mati", created_at=1795170000
    )
    new["edge_threaded_comments"] = {"count": 0, "page_info": {"has_next_page": False}, "edges": []}
    edges.insert(0, {"node": new})
    ig.on("comments:DQnew00001", json_reply(comments))
    tagged = load("graphql_tagged_page1")
    nodes = tagged["data"]["user"]["edge_user_to_photos_of_you"]["edges"]
    newer = json.loads(json.dumps(nodes[0]["node"]))
    newer.update(id="3500000000000000105", shortcode="DQtag00005", taken_at_timestamp=1795172400)
    nodes.insert(0, {"node": newer})
    ig.on(f"tagged:{ACCOUNT_ID}", json_reply(tagged))

    second = collector(session_file).collect(first.cursor)
    assert ids(second) == {"17900000000000107", "3500000000000000105"}


def test_rate_limit_half_way_resumes_without_gaps(
    engine: Engine, ig: FakeInstagram, session_file: Path
) -> None:
    too_many = Reply(429, json.dumps(load("error_429_please_wait")))
    ig.on(f"tagged:{ACCOUNT_ID}?after=QVFEdGFnUGFnZTI=", too_many, ok("graphql_tagged_page2"))
    first = run(engine, collector(session_file))
    assert first.error is not None and first.error.startswith("RateLimited")
    after_first = set(stored(engine))
    assert after_first == COMMENTS | {"3500000000000000101"}  # hashtags never reached
    with Session(engine) as s:
        assert get_health(session=s, source=SOURCE, platform="instagram").state == "rate_limited"
        cursor = get_cursor(session=s, source=SOURCE)
    assert cursor is not None
    # the tagged mark stays; the stretch already returned is remembered as a hole
    assert cursor["tagged"]["ts"] == int((NOW - timedelta(days=3)).timestamp())
    assert cursor["tagged"]["hole"] == {  # from the self-tag (08:00) up to T1 (09:00)
        "lo": 1795161600,
        "hi": 1795165200,
        "lo_ids": ["3500000000000000102"],
    }

    enable_source(engine=engine, source=SOURCE)
    ig.requests.clear()
    second = run(engine, collector(session_file))
    assert second.error is None
    # the tagged stream skips what it returned (T1) and goes on below; #prodenpasar was
    # never reached, so it returns T1 once more, which the store keeps once
    assert ig.count(f"tagged:{ACCOUNT_ID}?after=QVFEdGFnUGFnZTI=") == 1
    assert ig.count("media:DQtag00001") == 1
    assert second.fetched == 3 and second.stored == 2
    assert set(stored(engine)) == EVERYTHING


def test_outage_in_the_comments_half_way_resumes_without_gaps(
    engine: Engine, ig: FakeInstagram, session_file: Path
) -> None:
    page2 = f"{P2_COMMENTS}?min_id=QVFCMjAzX3BhZ2Uy"
    ig.on(page2, Reply(503, "<html><body>Service Unavailable</body></html>", "text/html"))
    first = run(engine, collector(session_file))
    assert first.error is not None and first.error.startswith("SourceUnavailable")
    assert ig.count(page2) == 2  # one immediate retry, no sleeping
    got = set(stored(engine))
    assert "17900000000000204" not in got and "17900000000000201" in got
    with Session(engine) as s:
        cursor = get_cursor(session=s, source=SOURCE)
        assert get_health(session=s, source=SOURCE, platform="instagram").state == "failing"
    assert cursor is not None
    assert "3500000000000000002" not in cursor["posts"]  # its comments not read to the end
    assert cursor["posts"]["3500000000000000001"] == {  # newest comment: 105 at 11-19 07:00
        "ts": 1795071600,
        "ids": ["17900000000000105"],
        "hole": None,
    }
    ig.on(page2, ok("v1_comments_3500000000000000002_page2"))
    second = run(engine, collector(session_file))
    assert second.error is None
    assert set(stored(engine)) == EVERYTHING
    assert second.stored == len(EVERYTHING - got)


def test_read_budget_stops_reading_and_resumes_next_month_without_gaps(
    engine: Engine, ig: FakeInstagram, session_file: Path
) -> None:
    first = run(engine, collector(session_file), monthly_read_cap=6)
    assert first.error is not None and "monthly read cap" in first.error
    # 4 posts listed, the pinned post's comment, the first comment of the next post
    assert set(stored(engine)) == {"17900000000000301", "17900000000000101"}
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="instagram")
        assert (health.state, health.reads_this_month) == ("budget_exhausted", 6)
        cursor = get_cursor(session=s, source=SOURCE)
    rest = collector(session_file).collect(cursor)
    assert rest.interrupted is None
    assert ids(rest) | {"17900000000000301", "17900000000000101"} == EVERYTHING


def test_collect_reports_budget_exhausted(ig: FakeInstagram, session_file: Path) -> None:
    batch = collector(session_file).collect(None, read_budget=10)
    assert isinstance(batch.interrupted, BudgetExhausted) and batch.reads == 10


def test_max_items_cut_short_runs_still_make_progress(
    ig: FakeInstagram, session_file: Path
) -> None:
    c = collector(session_file, comments=False, hashtags=[], max_items=1)
    first = c.collect(None)
    assert (ids(first), first.interrupted) == ({"3500000000000000101"}, None)
    second = c.collect(first.cursor)
    assert ids(second) == {"3500000000000000103"}
    assert second.cursor["tagged"]["hole"] is not None
    third = c.collect(second.cursor)
    assert ids(third) == set()
    assert third.cursor["tagged"]["hole"] is None
    assert third.cursor["tagged"]["ts"] == 1795165200  # the newest tagged post


# --- failures ------------------------------------------------------------------------


def test_429_ends_the_run_at_once_with_rate_limited(
    engine: Engine, ig: FakeInstagram, session_file: Path
) -> None:
    ig.on(f"tagged:{ACCOUNT_ID}", Reply(429, json.dumps(load("error_429_please_wait"))))
    started = time.monotonic()
    result = run(engine, collector(session_file, comments=False, hashtags=[]))
    assert time.monotonic() - started < 2
    assert result.error is not None and result.error.startswith("RateLimited")
    assert "429" in result.error
    assert "WITA" in result.error and "UTC" not in result.error  # times people read: WITA
    assert ig.count(f"tagged:{ACCOUNT_ID}") == 1  # not retried: the controller raised
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="instagram")
    assert health.state == "rate_limited" and health.rate_limited_until is not None
    assert NOW + timedelta(minutes=10) <= health.rate_limited_until <= NOW + timedelta(minutes=31)


def test_rate_controller_raises_instead_of_sleeping(ig: FakeInstagram, session_file: Path) -> None:
    # instaloader's own pacing wants a pause after 200 queries of one kind in 11 minutes
    now = time.monotonic()
    history = instagram._PACING.setdefault(LOGIN, {})
    history["e31a871f7301132ceaab56507a66bbb7"] = [now - 60] * 200
    with pytest.raises(RateLimited, match="pacing") as caught:
        collector(session_file, comments=False, hashtags=[]).collect(None)
    assert caught.value.reset_at is not None and caught.value.reset_at > NOW
    assert ig.count(f"tagged:{ACCOUNT_ID}") == 0


@pytest.mark.parametrize(
    ("route", "reply", "needle"),
    [
        (f"user:{ACCOUNT_ID}", Reply(401, json.dumps(load("error_401_please_wait"))), "401"),
        ("comments:DQnew00001", Reply(400, json.dumps(load("error_400_checkpoint"))), "checkpoint"),
        ("page:", to_login(), "logged this session out"),
    ],
    ids=["401-please-wait", "checkpoint", "session-logged-out"],
)
def test_rejected_session_disables_the_source_with_a_plain_message(
    engine: Engine, ig: FakeInstagram, session_file: Path, route: str, reply: Reply, needle: str
) -> None:
    ig.on(route, reply)
    result = run(engine, collector(session_file))
    assert result.error is not None and result.error.startswith("CredentialsRejected")
    assert needle in result.error
    assert f"instaloader -l {LOGIN}" in result.error
    assert ig.count(route) == 1  # never retried
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="instagram")
    assert health.state == "disabled" and health.last_error_class == "CredentialsRejected"
    assert f"aduan sources enable {SOURCE}" in (health.disabled_reason or "")
    if route == "comments:DQnew00001":  # half-way: what was read before is kept
        assert set(stored(engine)) == {"17900000000000301"}
    again = run(engine, collector(session_file))
    assert again.skipped_reason is not None and again.skipped_reason.startswith("disabled")


def test_login_required_disables_the_source(engine: Engine, ig: FakeInstagram) -> None:
    # No session and no comments: reads anonymously, and Instagram wants a login.
    ig.on(f"page:{ACCOUNT}", to_login())
    c = collector(None, login_user=None, comments=False)
    with pytest.raises(CredentialsRejected, match=f"instaloader -l {ACCOUNT}"):
        c.collect(None)
    result = run(engine, c)
    assert result.error is not None and "wants a login" in result.error
    with Session(engine) as s:
        assert get_health(session=s, source=SOURCE, platform="instagram").state == "disabled"


def test_profile_page_refused_to_anonymous_visitor_is_not_a_credentials_problem(
    ig: FakeInstagram, session_file: Path
) -> None:
    ig.on(f"page:{ACCOUNT}", to_login())  # instaloader fetches this page without the session
    with pytest.raises(SourceUnavailable, match="public page of @pemkotdenpasar"):
        collector(session_file).collect(None)


def test_server_error_is_retried_next_run(
    engine: Engine, ig: FakeInstagram, session_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_gateway = Reply(502, "<html><body>502 Bad Gateway</body></html>", "text/html")
    ig.on(f"tagged:{ACCOUNT_ID}", bad_gateway)
    with pytest.raises(SourceUnavailable, match="502 Bad Gateway"):
        collector(session_file, comments=False, hashtags=[]).collect(None)
    assert ig.count(f"tagged:{ACCOUNT_ID}") == 2  # one immediate retry, no sleeping
    assert capsys.readouterr().err == ""  # instaloader's "[retrying]" goes to logging
    result = run(engine, collector(session_file, comments=False, hashtags=[]))
    assert result.error is not None and result.error.startswith("SourceUnavailable")
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="instagram")
    assert (health.state, health.consecutive_failures) == ("failing", 1)


@pytest.mark.parametrize("body", ["truncated", "html"])
def test_malformed_answer_is_a_data_error(ig: FakeInstagram, session_file: Path, body: str) -> None:
    text = ok("graphql_hashtag_prodenpasar").body
    text = text[: len(text) // 2] if body == "truncated" else "<html>Oops</html>"
    ig.on("hashtag:prodenpasar", Reply(body=text))
    with pytest.raises(SourceDataError, match="not valid JSON"):
        collector(session_file, comments=False, tagged=False).collect(None)


def test_answer_of_unexpected_shape_is_a_data_error(ig: FakeInstagram, session_file: Path) -> None:
    ig.on("hashtag:prodenpasar", json_reply({"data": {"hashtag": None}, "status": "ok"}))
    with pytest.raises(SourceDataError, match="#prodenpasar"):
        collector(session_file, comments=False, tagged=False).collect(None)


def test_unknown_account_is_a_data_error_naming_it(ig: FakeInstagram, session_file: Path) -> None:
    ig.on(f"page:{ACCOUNT}", Reply(404, "<html>Page Not Found</html>", "text/html"))
    with pytest.raises(SourceDataError, match=f"no account @{ACCOUNT}"):
        collector(session_file).collect(None)


def test_missing_session_file_says_how_to_create_one(ig: FakeInstagram, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / f"session-{LOGIN}"
    with pytest.raises(CredentialsRejected) as caught:
        collector(missing).collect(None)
    message = caught.value.explain()
    assert str(missing) in message and f"instaloader -l {LOGIN}" in message
    assert "ADUAN_IG_SESSION_FILE" in message
    assert ig.requests == []


def test_unreadable_session_file_is_rejected(ig: FakeInstagram, tmp_path: Path) -> None:
    garbage = tmp_path / "session"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(CredentialsRejected, match="cannot be read"):
        collector(garbage).collect(None)
    no_csrf = tmp_path / "session2"
    no_csrf.write_bytes(pickle.dumps({"sessionid": "x"}))
    with pytest.raises(CredentialsRejected, match="cannot be read"):
        collector(no_csrf).collect(None)


def test_session_file_from_the_secret(ig: FakeInstagram, session_file: Path) -> None:
    c = make_collector(
        SourceSpec(
            name=SOURCE,
            platform="instagram",
            options={
                "account": ACCOUNT,
                "login_user": LOGIN,
                "session_file": "/nonexistent",
                "recent_posts": 3,
            },
            secrets={"session_file": str(session_file)},
        )
    )
    assert c.collect(None).interrupted is None


# --- options ---------------------------------------------------------------------------


def test_options_are_validated_and_normalised() -> None:
    c = collector(
        None, account="@PemkotDenpasar", hashtags=["#ProDenpasar", "prodenpasar", "banjir"]
    )
    assert c.options.account == "pemkotdenpasar"
    assert c.options.hashtags == ["prodenpasar", "banjir"]
    assert (c.options.comments, c.options.tagged, c.options.recent_posts) == (True, True, 3)
    with pytest.raises(ValidationError, match="Extra inputs"):
        collector(None, tokn="x")
    with pytest.raises(ValidationError, match="not a hashtag"):
        collector(None, hashtags=["#two words"])


def test_poison_comments_are_cleaned_cut_or_quarantined_and_the_rest_stored(
    engine: Engine, ig: FakeInstagram, session_file: Path
) -> None:
    answer = load("graphql_comments_DQnew00001")
    edges = answer["data"]["shortcode_media"]["edge_media_to_parent_comment"]["edges"]
    loud = edges[0]["node"]  # 17900000000000101
    loud["owner"] = dict(loud["owner"], username="w" * 300, full_name="Wayan\x00 " * 900)
    loud["text"] = "Lampu\x00 mati\x1b di Gatsu"
    rtl = edges[2]["node"]  # 17900000000000103, with an answer fetched by its own query
    rtl["id"] = "1" * 101  # an id is never cut
    ig.on("comments:DQnew00001", json_reply(answer))
    ig.on(f"answers:{'1' * 101}", ok("graphql_answers_17900000000000103"))
    result = run(engine, collector(session_file))
    # Its two answers name it as the comment they reply to: they cannot be stored either.
    assert (result.quarantined, result.error) == (3, None)
    rows = stored(engine)
    assert set(rows) == EVERYTHING - {"17900000000000103", "17900000000000104", "17900000000000105"}
    cut = rows["17900000000000101"]
    assert cut.author_handle == "w" * 199 + "…"
    assert len(cut.author_name) == 400 and cut.author_name.startswith("Wayan Wayan")
    assert cut.text == "Lampu mati di Gatsu" and "\x00" not in json.dumps(cut.raw)
    with Session(engine) as s:
        held = {r.platform_id: r for r in list_quarantined(session=s)}
    assert set(held) == {"1" * 100, "17900000000000104", "17900000000000105"}
    assert held["1" * 100].raw["id"] == "1" * 101 and held["1" * 100].source == SOURCE
    assert held["1" * 100].reason == "platform_id: String should have at most 100 characters"
    assert held["17900000000000104"].reason.startswith("reply_to_id: String should have at most")


def test_a_comment_dated_in_the_future_is_quarantined_and_does_not_move_the_mark(
    engine: Engine, ig: FakeInstagram, session_file: Path
) -> None:
    answer = load("graphql_comments_DQnew00001")
    edges = answer["data"]["shortcode_media"]["edge_media_to_parent_comment"]["edges"]
    edges[0]["node"]["created_at"] = int(datetime(2031, 1, 1, tzinfo=UTC).timestamp())
    ig.on("comments:DQnew00001", json_reply(answer))
    result = run(engine, collector(session_file))
    assert (result.quarantined, result.error) == (1, None)
    with Session(engine) as s:
        (held,) = list_quarantined(session=s)
        cursor = get_cursor(session=s, source=SOURCE)
    assert held.platform_id == "17900000000000101"
    assert held.reason == "created_at: 2031-01-01 00:00:00+00:00 is in the future"
    assert "17900000000000101" not in stored(engine)
    assert str(int(datetime(2031, 1, 1, tzinfo=UTC).timestamp())) not in json.dumps(cursor)
