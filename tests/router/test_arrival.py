"""Routing on arrival: a harvest's new mentions routed in the transaction that stores them.

The routing job is the reference: on arrival must end in what it ends in, and whenever
routing on arrival cannot (it fails, mentions are already waiting, the batch is too
large), the harvest stores its mentions ``pending`` for the routing job, losing nothing.
"""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, ClassVar, cast

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

import router.arrival
from harvester.base import Batch, Collector, CollectorOptions
from harvester.runner import RunResult, run_source
from models.agencies import sync_agencies
from models.db import make_engine, session_scope
from models.locks import hold_lock
from models.migrate import upgrade
from models.sources import get_cursor, get_health
from models.tables import CitizenReply, Complaint, ComplaintMention, Mention, MentionIn
from models.vocab import MentionState
from router.arrival import RouteOnArrival
from router.policy import RoutingPolicy
from router.route import ROUTE_LOCK, route_pending
from tests.support.factories import agencies, mention
from tests.support.replies import policy as reply_policy
from tests.support.routing import POLICY, Guess, KeywordClassifier

SOURCE = "test"


class ListCollector:
    """Hands out the batches it was given, one per run, each with its cursor."""

    platform: ClassVar[str] = "twitter"
    options_model: ClassVar[type[CollectorOptions]] = CollectorOptions

    def __init__(self, *batches: list[MentionIn]) -> None:
        self.batches = list(batches)
        self.runs = 0

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        mentions = self.batches[self.runs] if self.runs < len(self.batches) else []
        self.runs += 1
        return Batch(mentions=mentions, cursor={"run": self.runs})


class CountingClassifier(KeywordClassifier):
    """The keyword classifier, remembering every text it was asked about."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def predict(self, texts: Sequence[str]) -> list[Guess]:
        self.texts.extend(texts)
        return super().predict(texts)


class BrokenClassifier:
    def predict(self, texts: Sequence[str]) -> list[Guess]:
        raise RuntimeError("the model file is unreadable")


def _arrival(
    classifier: Any = None, policy: RoutingPolicy = POLICY, batch_size: int = 1000
) -> RouteOnArrival:
    return RouteOnArrival(
        classifier=classifier or KeywordClassifier(),
        policy=lambda: policy,
        batch_size=batch_size,
    )


def _harvest(engine: Engine, collector: ListCollector, arrival: RouteOnArrival | None) -> RunResult:
    return run_source(
        engine=engine,
        source=SOURCE,
        platform="twitter",
        collector=cast(Collector, collector),  # built from its batches, not from a spec
        arrival=arrival,
    )


def _ready(engine: Engine) -> None:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())


#: a stream exercising every way of routing: filed, triage, not a complaint, a rule-free
#: duplicate, replies in a thread (one the model would keep out), a reply to a reply
STREAM = [
    mention(1, text="air mati di jalan sesetan"),
    mention(2, text="lampu jalan mati di renon"),
    mention(3, text="bingung mau lapor ke mana"),
    mention(4, text="makasih min"),
    mention(5, text="makasih sudah dibantu", reply_to_id="1001", conversation_id="1001"),
    mention(6, text="air masih mati", reply_to_id="1005", conversation_id="1001"),
    mention(7, text="lampu jalan mati lagi", reply_to_id="1002", conversation_id="1002"),
]
LATER = [
    mention(8, text="makasih ya", reply_to_id="1002", conversation_id="1002"),
    mention(9, text="bingung", reply_to_id="1003", conversation_id="1003"),
    mention(10, text="air mati juga di sesetan"),
]


def _outcome(engine: Engine) -> dict[str, Any]:
    """What routing left, by platform id (ids of rows may differ between stores)."""
    with Session(engine) as s:
        mentions = {m.id: m for m in s.exec(select(Mention))}
        pid = {i: m.platform_id for i, m in mentions.items()}
        complaints = {
            c.id: (pid[c.origin_mention_id], c.category, c.inbox, c.routed_by, c.status)
            for c in s.exec(select(Complaint))
        }
        links = sorted(
            (pid[link.mention_id], complaints[link.complaint_id][0], link.reason)
            for link in s.exec(select(ComplaintMention))
        )
        replies = sorted(
            (pid[r.mention_id], complaints[r.complaint_id][0], r.event, r.status, r.text)
            for r in s.exec(select(CitizenReply))
        )
    return {
        "replies": replies,
        "mentions": {
            m.platform_id: (
                m.state,
                m.category,
                m.confidence,
                m.abstained,
                m.model_id,
                m.terms,
                m.abstain_reason,
                m.routed_at is not None,
            )
            for m in mentions.values()
        },
        "complaints": sorted(complaints.values()),
        "links": links,
    }


@pytest.mark.parametrize("replying", [False, True], ids=["no-replies", "replies"])
def test_routing_on_arrival_ends_where_the_routing_job_ends(
    engine: Engine, other_store_url: str, replying: bool
) -> None:
    policy = replace(POLICY, replies=reply_policy()) if replying else POLICY
    reference = make_engine(other_store_url)
    try:
        upgrade(reference)
        for store in (engine, reference):
            _ready(store)
        collector = ListCollector(STREAM, LATER)
        first = _harvest(engine, collector, _arrival(policy=policy))
        second = _harvest(engine, collector, _arrival(policy=policy))
        assert (first.stored, first.routed) == (7, 7)
        assert (second.stored, second.routed) == (3, 3)
        # the routing job's way: stored pending, then routed
        by_job = ListCollector(STREAM, LATER)
        for _ in range(2):
            assert _harvest(reference, by_job, None).routed == 0
            route_pending(engine=reference, classifier=KeywordClassifier(), policy=policy)
        got, expected = _outcome(engine), _outcome(reference)
    finally:
        reference.dispose()
    assert got == expected
    states = {pid: m[0] for pid, m in got["mentions"].items()}
    assert states["1005"] == MentionState.FILED, "a thank-you in a complaint's thread joins it"
    assert states["1003"] == MentionState.TRIAGE and states["1004"] == MentionState.NOT_COMPLAINT
    assert MentionState.PENDING not in states.values()
    assert bool(got["replies"]) is replying, "acknowledgements drafted, in the same words"


def test_the_mentions_their_complaints_and_the_cursor_commit_together(engine: Engine) -> None:
    _ready(engine)
    result = _harvest(engine, ListCollector([mention(1, text="air mati")]), _arrival())
    assert (result.stored, result.routed) == (1, 1)
    with Session(engine) as s:
        m = s.exec(select(Mention)).one()
        c = s.exec(select(Complaint)).one()
        assert get_cursor(session=s, source=SOURCE) == {"run": 1}
    assert (m.state, m.category, c.origin_mention_id) == (MentionState.FILED, "PDAM", m.id)
    assert m.terms == [] and m.routed_at == m.fetched_at, "stored and routed at once"


def test_a_failing_classifier_leaves_the_batch_to_the_routing_job(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _ready(engine)
    collector = ListCollector([mention(1, text="air mati"), mention(2, text="lampu mati")])
    with caplog.at_level(logging.WARNING):
        result = _harvest(engine, collector, _arrival(BrokenClassifier()))
    assert (result.stored, result.routed, result.error) == (2, 0, None)
    assert "routing on arrival failed (RuntimeError: the model file is unreadable)" in caplog.text
    with Session(engine) as s:
        assert {m.state for m in s.exec(select(Mention))} == {MentionState.PENDING}
        assert get_cursor(session=s, source=SOURCE) == {"run": 1}
    routed = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert routed.filed == 2


def test_a_failure_after_storing_rolls_all_back_and_stores_the_batch_pending(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ready(engine)

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("filing failed half-way")

    monkeypatch.setattr(router.arrival, "file_batch", failing)
    result = _harvest(engine, ListCollector([mention(1, text="air mati")]), _arrival())
    assert (result.stored, result.routed) == (1, 0)
    with Session(engine) as s:
        stored = s.exec(select(Mention)).all()
        assert [m.state for m in stored] == [MentionState.PENDING]
        assert stored[0].category is None and stored[0].routed_at is None
        assert s.exec(select(Complaint)).all() == []


def test_mentions_waiting_for_the_routing_job_keep_their_turn(engine: Engine) -> None:
    _ready(engine)
    collector = ListCollector(
        [mention(1, text="air mati di sesetan")],
        [mention(2, text="air mati juga di sesetan", reply_to_id="1001")],
    )
    assert _harvest(engine, collector, None).routed == 0  # waiting for the routing job
    arrival = _arrival()
    result = _harvest(engine, collector, arrival)
    assert (result.stored, result.routed) == (1, 0), "stored behind the one waiting"
    with Session(engine) as s:
        assert {m.state for m in s.exec(select(Mention))} == {MentionState.PENDING}
    routed = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert (routed.filed, routed.attached) == (1, 1), "the reply found its complaint"


def test_mentions_stored_before_are_neither_classified_nor_routed_again(engine: Engine) -> None:
    _ready(engine)
    old = mention(1, text="air mati")
    classifier = CountingClassifier()
    arrival = _arrival(classifier)
    assert _harvest(engine, ListCollector([old]), arrival).routed == 1
    result = _harvest(engine, ListCollector([old, old, mention(2, text="lampu mati")]), arrival)
    assert (result.fetched, result.stored, result.routed) == (3, 1, 1)
    assert classifier.texts == ["air mati", "lampu mati"]
    with Session(engine) as s:
        assert len(s.exec(select(Complaint)).all()) == 2
        assert len(s.exec(select(Mention)).all()) == 2


def test_a_batch_larger_than_a_routing_batch_is_left_to_the_routing_job(engine: Engine) -> None:
    _ready(engine)
    collector = ListCollector([mention(i, text="air mati") for i in range(3)])
    classifier = CountingClassifier()
    result = _harvest(engine, collector, _arrival(classifier, batch_size=2))
    assert (result.stored, result.routed) == (3, 0)
    assert classifier.texts == []
    routed = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert routed.total == 3


def _answered_once(engine: Engine, replying: RoutingPolicy) -> RouteOnArrival:
    """A complaint filed on arrival, its acknowledgement sent as post 1002; the arrival."""
    _ready(engine)
    arrival = _arrival(policy=replying)
    assert _harvest(engine, ListCollector([mention(1, text="air mati")]), arrival).routed == 1
    with session_scope(engine) as s:
        reply = s.exec(select(CitizenReply)).one()
        reply.platform_reply_id, reply.status = "1002", "sent"
    return arrival


def test_our_own_reply_brought_back_is_stored_not_routed(engine: Engine) -> None:
    replying = replace(POLICY, replies=reply_policy())
    arrival = _answered_once(engine, replying)
    ours = mention(2, text="air mati sudah kami terima DPS-26-00001", reply_to_id="1001")
    result = _harvest(engine, ListCollector([ours]), arrival)
    assert (result.stored, result.routed) == (1, 1)
    with Session(engine) as s:
        back = s.exec(select(Mention).where(Mention.platform_id == "1002")).one()
        assert (back.state, back.category, back.terms) == (MentionState.NOT_COMPLAINT, None, None)
        assert len(s.exec(select(Complaint)).all()) == 1
        assert len(s.exec(select(CitizenReply)).all()) == 1


def test_new_mentions_get_ids_in_their_order(engine: Engine) -> None:
    _ready(engine)
    collector = ListCollector([mention(i, text=f"air mati nomor {i}") for i in range(8)])
    assert _harvest(engine, collector, _arrival()).routed == 8
    with Session(engine) as s:
        rows = s.exec(select(Mention).order_by(col(Mention.id))).all()
        origins = {c.origin_mention_id for c in s.exec(select(Complaint))}
        joined = {link.mention_id for link in s.exec(select(ComplaintMention))}
    assert [m.platform_id for m in rows] == [str(1000 + i) for i in range(8)]
    assert {m.id for m in rows} == origins | joined
    assert {m.state for m in rows} == {MentionState.FILED}


def test_a_harvest_never_waits_for_routing_it_leaves_the_batch_to_the_routing_job(
    engine: Engine,
) -> None:
    _ready(engine)
    collector = ListCollector([mention(1, text="air mati")])
    with hold_lock(engine, ROUTE_LOCK):  # the routing job (or another harvest) is routing
        result = _harvest(engine, collector, _arrival())
    assert (result.stored, result.routed) == (1, 0)
    with Session(engine) as s:
        assert [m.state for m in s.exec(select(Mention))] == [MentionState.PENDING]
    assert route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY).filed == 1


class ThenFails:
    """Routing on arrival whose lock cannot be released after the commit."""

    def __init__(self, inner: RouteOnArrival) -> None:
        self.inner = inner

    @contextmanager
    def turn(self, engine: Engine, mentions: Sequence[MentionIn]) -> Iterator[Any]:
        with self.inner.turn(engine, mentions) as storing:
            yield storing
        raise OperationalError("SELECT pg_advisory_unlock(1)", {}, Exception("connection lost"))


def test_a_failure_after_the_commit_does_not_store_the_batch_twice(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _ready(engine)
    collector = ListCollector([mention(1, text="air mati")])
    with caplog.at_level(logging.WARNING):
        result = run_source(
            engine=engine,
            source=SOURCE,
            platform="twitter",
            collector=cast(Collector, collector),
            arrival=ThenFails(_arrival()),
        )
    assert (result.stored, result.routed) == (1, 1)
    assert "stored and routed, then OperationalError" in caplog.text
    with Session(engine) as s:
        health = get_health(session=s, source=SOURCE, platform="twitter")
        assert (health.total_ingested, health.last_run_ingested) == (1, 1), "counted once"
        assert [m.state for m in s.exec(select(Mention))] == [MentionState.FILED]


def test_our_reply_recorded_while_the_batch_was_prepared_goes_to_the_routing_job(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    replying = replace(POLICY, replies=reply_policy())
    arrival = _answered_once(engine, replying)
    real, looks = router.arrival.own_reply_ids, []

    def before_delivery_recorded_it(*, session: Session, platform_ids: list[str]) -> set[str]:
        looks.append(platform_ids)
        return set() if len(looks) == 1 else real(session=session, platform_ids=platform_ids)

    monkeypatch.setattr(router.arrival, "own_reply_ids", before_delivery_recorded_it)
    ours = mention(2, text="air mati sudah kami terima DPS-26-00001", reply_to_id="1001")
    result = _harvest(engine, ListCollector([ours]), arrival)
    assert (result.stored, result.routed, len(looks)) == (1, 0, 2)
    routed = route_pending(engine=engine, classifier=KeywordClassifier(), policy=replying)
    assert (routed.not_complaint, routed.attached, routed.filed) == (1, 0, 0)
    with Session(engine) as s:
        assert len(s.exec(select(CitizenReply)).all()) == 1, "our reply was not answered"


def test_a_mention_stored_meanwhile_by_another_harvester_is_left_to_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ready(engine)
    first = mention(1, text="air mati")
    assert _harvest(engine, ListCollector([first]), None).stored == 1  # pending, not ours
    # the look before classifying did not see it yet
    monkeypatch.setattr(router.arrival, "stored_already", lambda **kw: set())
    result = _harvest(engine, ListCollector([first, mention(2, text="lampu mati")]), _arrival())
    assert (result.stored, result.routed) == (1, 0), "mentions waited: stored behind them"
    with Session(engine) as s:
        assert s.exec(select(Complaint)).all() == []
    assert route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY).filed == 2


def test_a_mention_stored_meanwhile_and_routed_is_not_routed_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ready(engine)
    first = mention(1, text="air mati")
    assert _harvest(engine, ListCollector([first]), _arrival()).routed == 1
    monkeypatch.setattr(router.arrival, "stored_already", lambda **kw: set())
    result = _harvest(engine, ListCollector([first, mention(2, text="lampu mati")]), _arrival())
    assert (result.stored, result.routed) == (1, 1)
    with Session(engine) as s:
        origins = {c.origin_mention_id for c in s.exec(select(Complaint))}
        ids = {m.id for m in s.exec(select(Mention))}
    assert origins == ids and len(ids) == 2


def test_a_record_the_store_refuses_is_quarantined_and_the_rest_left_to_the_routing_job(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _ready(engine)
    odd = mention(2, text="air mati").model_copy(update={"platform": "myspace"})
    with caplog.at_level(logging.INFO, logger="harvester.runner"):
        result = _harvest(engine, ListCollector([mention(1, text="air mati"), odd]), _arrival())
    assert (result.stored, result.quarantined, result.routed) == (1, 1, 0)
    failed = [r for r in caplog.records if "routing on arrival failed" in r.getMessage()]
    assert [r.levelno for r in failed] == [logging.INFO], "a bad record is not a failure"
    with Session(engine) as s:
        assert [m.state for m in s.exec(select(Mention))] == [MentionState.PENDING]
