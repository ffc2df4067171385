"""The contract every registered collector meets, checked once for all of them.

Each platform has one scenario: how to build its collector and which recorded answers
its platform gives, reusing the helpers of that platform's own test module. The checks
are written once and run over every platform in ``harvester.registry.platforms()``; a
platform without a scenario fails ``test_every_registered_platform_has_a_scenario``.

Every run happens inside a strict ``responses`` mock (a request nothing answers fails),
with ``time.sleep`` refusing and connections off this machine refused.
"""

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
import responses
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import harvester.facebook
import harvester.instagram
import harvester.instagram_graph
import harvester.twitter
from harvester import registry
from harvester.base import Batch, Collector, CollectorOptions, SourceSpec
from harvester.registry import collector_class, make_collector, platforms
from harvester.runner import RunResult, run_source
from models.sources import get_health
from models.tables import Mention, MentionIn
from tests.support import facebook as fb
from tests.support import instagram as ig
from tests.support import instagram_graph as igg
from tests.support import twitter as tw
from tests.support.paths import SAMPLE

Key = tuple[str, str]


@dataclass(frozen=True)
class Scenario:
    """One collector on recorded data."""

    #: the source name its mentions must carry
    source: str
    #: a fresh collector built through the registry; keywords are added to its options
    make: Callable[..., Collector]
    #: registers the platform's recorded answers on a mock
    serve: Callable[[responses.RequestsMock], object]
    #: the platform values its mentions may carry
    platforms: frozenset[str]


# -- one scenario per platform, each the setup of its module's first-run test --------------


def _replay(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Scenario:
    """The bundled sample file; it mixes records of several platforms."""
    records = [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]

    def make(**options: Any) -> Collector:
        options = {"path": str(SAMPLE), **options}
        return make_collector(SourceSpec(name="replay", platform="replay", options=options))

    return Scenario(
        source="replay",
        make=make,
        serve=lambda mock: None,  # a file: any HTTP request at all fails
        platforms=frozenset(r.get("platform", "replay") for r in records),
    )


def _twitter(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Scenario:
    """Two pages of the mentions timeline."""
    monkeypatch.setattr(harvester.twitter, "utcnow", lambda: tw.NOW)  # as its _frozen_clock

    def serve(mock: responses.RequestsMock) -> None:
        tw.reply(mock, tw.MENTIONS_URL, "mentions_page1.json")
        tw.reply(mock, tw.MENTIONS_URL, "mentions_page2.json")

    return Scenario(tw.SOURCE, tw.make, serve, frozenset({"twitter"}))


def _facebook(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Scenario:
    """The standard Page: visitor and tagged posts, comments on the Page's posts."""
    monkeypatch.setattr(harvester.facebook, "utcnow", lambda: fb.NOW)  # as its frozen_clock
    return Scenario(fb.SOURCE, fb.collector, fb.serve, frozenset({"facebook"}))


def _instagram(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Scenario:
    """Comments, answers, tagged and hashtag posts, through a logged-in session."""
    # as its _no_sleep_fixed_clock: a frozen clock and instaloader's pacing empty
    monkeypatch.setattr(harvester.instagram, "utcnow", lambda: ig.NOW)
    monkeypatch.setattr(harvester.instagram, "_PACING", {})
    session = request.getfixturevalue("session_file")
    return Scenario(
        ig.SOURCE, partial(ig.collector, session), ig.FakeInstagram, frozenset({"instagram"})
    )


def _instagram_graph(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Scenario:
    """A business account through the Graph API: comments, replies, tags, a hashtag."""
    monkeypatch.setattr(harvester.instagram_graph, "utcnow", lambda: igg.NOW)
    return Scenario(igg.SOURCE, igg.collector, igg.serve, frozenset({"instagram"}))


SCENARIOS: dict[str, Callable[[pytest.MonkeyPatch, pytest.FixtureRequest], Scenario]] = {
    "replay": _replay,
    "twitter": _twitter,
    "facebook": _facebook,
    "instagram": _instagram,
    "instagram_graph": _instagram_graph,
}
PLATFORMS = sorted(platforms())
each_platform = pytest.mark.parametrize("platform", PLATFORMS)


@pytest.fixture
def scenario(
    platform: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Scenario:
    if platform not in SCENARIOS:
        pytest.fail(f"collector {platform!r} has no contract scenario in SCENARIOS")
    return SCENARIOS[platform](monkeypatch, request)


@pytest.fixture(autouse=True)
def _no_sleep_no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing may sleep (even where the refusal is caught) or connect off this machine."""
    slept: list[float] = []

    def refuse_sleep(seconds: float) -> None:
        slept.append(seconds)
        raise AssertionError(f"something slept {seconds}s inside a harvest")

    real_connect = socket.socket.connect

    def local_connect(sock: socket.socket, address: Any) -> None:
        local = sock.family == socket.AF_UNIX or address[0] in ("127.0.0.1", "::1", "localhost")
        if not local:
            raise AssertionError(f"a harvest connected to {address}")
        real_connect(sock, address)

    monkeypatch.setattr(time, "sleep", refuse_sleep)
    monkeypatch.setattr(socket.socket, "connect", local_connect)
    yield
    assert slept == [], f"something slept: {slept}"


# -- running a scenario ------------------------------------------------------------------


def collect(scenario: Scenario, cursor: dict[str, Any] | None) -> Batch:
    """One ``collect`` by a fresh collector against the recorded answers."""
    collector = scenario.make()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        scenario.serve(mock)
        batch = collector.collect(cursor)
    assert batch.interrupted is None, f"the run was interrupted: {batch.interrupted!r}"
    return batch


def run(scenario: Scenario, platform: str, engine: Engine) -> RunResult:
    """One harvest run through the runner against the recorded answers."""
    collector = scenario.make()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        scenario.serve(mock)
        result = run_source(
            engine=engine, source=scenario.source, platform=platform, collector=collector
        )
    assert (result.error, result.skipped_reason) == (None, None)
    return result


def keys(batch: Batch) -> set[Key]:
    return {(m.platform, m.platform_id) for m in batch.mentions}


def stored(engine: Engine) -> set[Key]:
    with Session(engine) as s:
        return {(m.platform, m.platform_id) for m in s.exec(select(Mention))}


def defects(mention: Any, scenario: Scenario) -> list[str]:
    """What is wrong with one returned mention, if anything."""
    if not isinstance(mention, MentionIn):
        return [f"{type(mention).__name__}, not MentionIn"]
    checks = {
        f"platform {mention.platform!r}": mention.platform in scenario.platforms,
        f"source {mention.source!r}": mention.source == scenario.source,
        "empty platform_id": isinstance(mention.platform_id, str)
        and mention.platform_id.strip() != "",
        f"naive created_at {mention.created_at!r}": mention.created_at.utcoffset() is not None,
        "text not a str or with NUL": isinstance(mention.text, str) and "\x00" not in mention.text,
        f"raw is a {type(mention.raw).__name__}": isinstance(mention.raw, dict),
    }
    return [f"{mention.platform_id}: {what}" for what, ok in checks.items() if not ok]


# -- the contract -------------------------------------------------------------------------


def test_every_registered_platform_has_a_scenario() -> None:
    assert set(SCENARIOS) == platforms()


@each_platform
def test_registry_key_class_and_options_agree(platform: str, scenario: Scenario) -> None:
    cls = collector_class(platform)
    assert cls.platform == platform
    assert issubclass(cls.options_model, CollectorOptions)
    assert registry.options_model(platform) is cls.options_model
    assert type(scenario.make()) is cls
    with pytest.raises(ValidationError) as caught:
        scenario.make(not_an_option=1)
    errors = [(e["type"], e["loc"]) for e in caught.value.errors()]
    assert errors == [("extra_forbidden", ("not_an_option",))]
    assert "not_an_option" in str(caught.value)


@each_platform
def test_first_run_returns_well_formed_mentions(platform: str, scenario: Scenario) -> None:
    batch = collect(scenario, None)
    assert isinstance(batch, Batch)
    assert batch.mentions, "the recorded data should give some mentions"
    assert [d for m in batch.mentions for d in defects(m, scenario)] == []
    assert len(keys(batch)) == len(batch.mentions), "a mention is returned twice"
    assert batch.reads >= len(batch.mentions)


@each_platform
def test_cursor_is_json_and_round_trips(platform: str, scenario: Scenario) -> None:
    cursor = collect(scenario, None).cursor
    assert isinstance(cursor, dict)
    assert json.loads(json.dumps(cursor, allow_nan=False)) == cursor


@each_platform
def test_second_run_returns_nothing_the_first_returned(platform: str, scenario: Scenario) -> None:
    first = collect(scenario, None)
    stored_cursor = json.loads(json.dumps(first.cursor))
    second = collect(scenario, stored_cursor)
    assert sorted(keys(first) & keys(second)) == []


@each_platform
def test_runner_stores_the_first_run_once_and_nothing_on_the_second(
    platform: str, scenario: Scenario, engine: Engine
) -> None:
    expected = keys(collect(scenario, None))
    first = run(scenario, platform, engine)
    assert first.stored == len(expected)
    assert stored(engine) == expected
    second = run(scenario, platform, engine)
    assert second.stored == 0
    assert stored(engine) == expected
    with Session(engine) as s:
        health = get_health(session=s, source=scenario.source, platform=platform)
    assert (health.state, health.consecutive_failures) == ("ok", 0)
    assert health.last_success_at is not None
