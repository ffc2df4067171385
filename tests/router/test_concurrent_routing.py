"""Scale-out must not change routing: two routers on one stream file what one files."""

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from harvester.base import Batch, Collector
from harvester.runner import run_source
from models.agencies import sync_agencies
from models.db import make_engine, session_scope
from models.mentions import insert_mentions
from models.migrate import upgrade
from models.tables import Agency, Complaint, ComplaintMention, ComplaintMerge, Mention, MentionIn
from router.arrival import RouteOnArrival
from router.location import Gazetteer
from router.policy import RoutingPolicy
from router.route import route_pending
from tests.support.factories import BASE_TIME, agencies, mention
from tests.support.routing import Guess

STREAM = 360
BATCH = 12
STREETS = ["tukad badung", "teuku umar", "gunung agung", "kartini", "sulawesi", "udayana"]
PROBLEMS = {
    "DLHK": ["sampah numpuk di TPS jl {s} bau banget", "TPS jl {s} sampah numpuk udah 3 hari"],
    "PDAM": ["air mati di jl {s} dari pagi", "jl {s} air pdam mati lagi dari pagi"],
}
POLICY = RoutingPolicy(
    category_inbox={"PDAM": "PDAM", "DLHK": "DLHK"},
    triage_inbox="KOMINFO",
    locate=Gazetteer.for_region("51.71").locate,
    dedupe_window=timedelta(hours=3),
    deadlines=lambda at: (at + timedelta(days=3), at + timedelta(days=8)),
)


@dataclass(frozen=True)
class Outcome:
    """What routing made of a stream, by platform ids (store ids differ between runs)."""

    #: origin mention of each complaint -> every mention it holds, with how it joined
    complaints: dict[str, frozenset[tuple[str, str]]]
    merges: int
    replies: int

    def summary(self) -> str:
        """The counts, for the closing note's figures (pytest -s)."""
        return f"{len(self.complaints)} complaints, {self.merges} merges, {self.replies} replies"


class _Topics:
    def predict(self, texts: Sequence[str]) -> list[Guess]:
        out = []
        for text in texts:
            if "makasih" in text:
                out.append(Guess("NOT_COMPLAINT", 0.95, False))
            elif "sampah" in text:
                out.append(Guess("DLHK", 0.9, False))
            else:
                out.append(Guess("PDAM", 0.9, False))
        return out


def _stream() -> list[MentionIn]:
    """Same-problem reports from several people, and replies (some to later roots' threads)."""
    rng = random.Random(19)
    out: list[MentionIn] = []
    for n in range(STREAM):
        at = BASE_TIME + timedelta(minutes=7 * n)
        if out and rng.random() < 0.3:
            parent = out[rng.randrange(max(0, len(out) - 40), len(out))]
            text = rng.choice(["makasih min, tapi msh blm beres", "masih sama min, tolong"])
            out.append(
                mention(
                    n,
                    text=f"{text} {n}",
                    author_handle=f"warga{rng.randrange(60)}",
                    reply_to_id=parent.platform_id,
                    conversation_id=parent.conversation_id or parent.platform_id,
                    created_at=at,
                )
            )
            continue
        category = rng.choice(list(PROBLEMS))
        text = rng.choice(PROBLEMS[category]).format(s=rng.choice(STREETS))
        out.append(
            mention(
                n,
                text=text,
                author_handle=f"warga{rng.randrange(60)}",
                conversation_id=str(1000 + n),
                created_at=at,
            )
        )
    return out


def _load(url: str) -> Engine:
    engine = make_engine(url)
    with session_scope(engine) as s:
        extra = [Agency(code=c, name=c) for c in ("DLHK",)]
        sync_agencies(session=s, agencies=agencies() + extra)
        insert_mentions(session=s, mentions=_stream())
    return engine


def _route_with(url: str, routers: int) -> list[int]:
    """Route the stored stream with *routers* at once; how many mentions each handled."""
    barrier = threading.Barrier(routers)
    errors: list[BaseException] = []
    handled: list[int] = []

    def router() -> None:
        engine = make_engine(url)
        try:
            barrier.wait()
            result = route_pending(
                engine=engine, classifier=_Topics(), policy=POLICY, batch_size=BATCH
            )
            handled.append(result.total)
        except BaseException as err:  # reported below, naming the error
            errors.append(err)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=router) for _ in range(routers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, [f"{type(e).__name__}: {e}" for e in errors]
    return handled


def _outcome(engine: Engine) -> Outcome:
    with Session(engine) as s:
        origin = {
            c.id: pid
            for c, pid in s.exec(
                select(Complaint, Mention.platform_id).join(
                    Mention, col(Mention.id) == col(Complaint.origin_mention_id)
                )
            )
        }
        held: dict[str, set[tuple[str, str]]] = {pid: set() for pid in origin.values()}
        for complaint_id, pid in s.exec(
            select(ComplaintMention.complaint_id, Mention.platform_id).join(
                Mention, col(Mention.id) == col(ComplaintMention.mention_id)
            )
        ):
            held[origin[complaint_id]].add((pid, "member"))
        merges = replies = 0
        for merge in s.exec(select(ComplaintMerge)):
            merges += merge.reason == "duplicate"
            replies += merge.reason == "reply"
        pending = s.exec(select(Mention).where(Mention.state == "pending")).all()
    assert not pending, "every mention is routed"
    return Outcome({k: frozenset(v) for k, v in held.items()}, merges, replies)


def _routed(url: str, routers: int) -> tuple[Outcome, list[int]]:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    engine = _load(url)
    try:
        handled = _route_with(url, routers=routers)
        return _outcome(engine), handled
    finally:
        engine.dispose()


def test_two_routers_file_the_same_complaints_merges_and_threads_as_one(
    store_url: str, other_store_url: str
) -> None:
    one, _ = _routed(store_url, routers=1)
    two, shares = _routed(other_store_url, routers=2)
    assert sum(shares) == STREAM and min(shares) > 0, f"both routers work: {shares}"
    print(f"one router: {one.summary()}; two routers: {two.summary()} (shares {shares})")
    assert one.merges > 20 and one.replies > 20, "the stream has both kinds"
    assert (len(two.complaints), two.merges, two.replies) == (
        len(one.complaints),
        one.merges,
        one.replies,
    )
    assert two.complaints == one.complaints


def test_two_harvesters_routing_on_arrival_file_nothing_twice_and_lose_nothing(
    engine: Engine,
) -> None:
    """Two harvesters (sources of two daemons) store and route the stream at once, batch
    by batch, while a routing job takes what they leave: every mention is stored once,
    routed once, and in at most one complaint."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=[*agencies(), Agency(code="DLHK", name="DLHK")])
    chunks = [_stream()[i : i + BATCH] for i in range(0, STREAM, BATCH)]
    arrival = RouteOnArrival(classifier=_Topics(), policy=lambda: POLICY, batch_size=BATCH)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []
    routed: list[int] = []

    class Chunks:
        platform = "twitter"

        def __init__(self, mine: list[list[MentionIn]]) -> None:
            self.mine = mine

        def collect(
            self, cursor: dict[str, Any] | None, *, read_budget: int | None = None
        ) -> Batch:
            n = int((cursor or {}).get("n", 0))
            return Batch(mentions=self.mine[n] if n < len(self.mine) else [], cursor={"n": n + 1})

    def harvester(k: int) -> None:
        try:
            collector = cast(Collector, Chunks(chunks[k::2]))
            for n in range(len(chunks[k::2])):
                if n == k:
                    # harvester 1 stores its first batch alone, so it is routed on
                    # arrival for sure; then both harvesters and the routing job at once
                    barrier.wait()
                result = run_source(
                    engine=engine,
                    source=f"source-{k}",
                    platform="twitter",
                    collector=collector,
                    arrival=arrival,
                )
                assert result.error is None, result.error
                routed.append(result.routed)
        except BaseException as err:  # reported below, naming the error
            errors.append(err)

    def routing_job() -> None:
        try:
            barrier.wait()
            for _ in range(20):
                route_pending(engine=engine, classifier=_Topics(), policy=POLICY, batch_size=BATCH)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=harvester, args=(k,)) for k in (0, 1)]
    threads.append(threading.Thread(target=routing_job))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, [f"{type(e).__name__}: {e}" for e in errors]
    route_pending(engine=engine, classifier=_Topics(), policy=POLICY, batch_size=BATCH)
    with Session(engine) as s:
        mentions = s.exec(select(Mention)).all()
        links = s.exec(select(ComplaintMention.mention_id)).all()
        origins = s.exec(select(Complaint.origin_mention_id)).all()
    print(f"routed on arrival: {sum(routed)} of {STREAM}")
    assert sum(routed) >= BATCH, "batches were routed on arrival (the first one at least)"
    assert sorted(m.platform_id for m in mentions) == sorted(m.platform_id for m in _stream())
    assert "pending" not in {m.state for m in mentions}
    assert len(links) == len(set(links)), "a mention in two complaints"
    assert len(origins) == len(set(origins)), "a mention filed twice"
    filed = {m.id for m in mentions if m.state == "filed"}
    assert set(links) == filed, "every filed mention is in a complaint, no other is"
