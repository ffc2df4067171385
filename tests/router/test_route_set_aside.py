"""A mention whose routing fails is set aside in triage; the ones after it still flow."""

from collections.abc import Sequence
from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session, col, select

from models.db import session_scope
from models.exceptions import StoreError
from models.tables import Complaint, Mention
from models.vocab import MentionState
from router.policy import RoutingPolicy
from router.route import route_pending
from router.set_aside import BROKEN_AFTER, RoutingBroken, mention_fault, set_aside
from tests.support.routing import POLICY, Guess, KeywordClassifier, store_texts


class Fragile(KeywordClassifier):
    """The keyword double, failing on any batch with a text it cannot take (BOOM, or
    BANG with *bang*)."""

    def __init__(self, error: Exception, bang: Exception | None = None) -> None:
        self.error, self.bang = error, bang
        self.batches: list[int] = []

    def predict(self, texts: Sequence[str]) -> list[Guess]:
        self.batches.append(len(texts))
        if any("BOOM" in t for t in texts):
            raise self.error
        if self.bang is not None and any("BANG" in t for t in texts):
            raise self.bang
        return super().predict(texts)


def _states(engine: Engine) -> list[tuple[str, str, str | None]]:
    with Session(engine) as s:
        rows = s.exec(select(Mention).order_by(col(Mention.id))).all()
        return [(m.text, m.state, m.abstain_reason) for m in rows]


def test_a_mention_that_fails_alone_waits_in_triage_and_the_rest_are_routed(
    engine: Engine,
) -> None:
    """Before, the batch failed at every run and no mention after it was routed again."""
    texts = ["lampu mati di gang 1", "lampu BOOM", "lampu mati di gang 3", "makasih min"]
    store_texts(engine, texts)
    fragile = Fragile(ValueError("cannot read this text"))
    result = route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=3)
    assert (result.set_aside, result.total) == (1, 4)
    reason = "gagal dirutekan otomatis (ValueError): putuskan manual"
    states = _states(engine)
    assert states[1] == ("lampu BOOM", MentionState.TRIAGE, reason)
    assert [s for _, s, _ in states] == ["filed", "triage", "filed", "not_complaint"]
    # the batch of three, then each of its mentions alone, then the fourth
    assert fragile.batches == [3, 1, 1, 1, 1]
    again = route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=3)
    assert again.total == 0


def test_a_mention_failing_before_one_is_routed_alone_is_set_aside_too(engine: Engine) -> None:
    store_texts(engine, ["lampu BOOM", "lampu mati di gang 2", "lampu mati di gang 3"])
    fragile = Fragile(ValueError("cannot read this text"))
    result = route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=3)
    assert (result.set_aside, result.filed) == (1, 2)
    assert [s for _, s, _ in _states(engine)] == ["triage", "filed", "filed"]
    assert fragile.batches == [3, 1, 1, 1]


def test_a_failure_every_mention_meets_fails_the_pass_and_floods_no_triage(
    engine: Engine,
) -> None:
    """Before, routing that was itself broken (every mention failing the same way) set
    every mention aside in triage, one by one, for staff to route by hand."""
    store_texts(engine, [f"lampu BOOM {n}" for n in range(5)])
    fragile = Fragile(ValueError("reply template broken"))
    with pytest.raises(RoutingBroken, match=r"probe from further on, 4 in all.*template broken"):
        route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=3)
    # the batch, its three alone, then one probe from further on
    assert fragile.batches == [3, 1, 1, 1, 1]
    assert [(s, r) for _, s, r in _states(engine)] == [("pending", None)] * 5
    # mended, the same mentions flow
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert result.total == 5
    assert {s for _, s, _ in _states(engine)} == {"filed"}


def test_a_broken_router_is_suspected_after_ten_alike_failures_and_probed(
    engine: Engine,
) -> None:
    texts = [f"lampu BOOM {n}" for n in range(BROKEN_AFTER + 5)]
    store_texts(engine, texts)
    fragile = Fragile(ValueError("broken"))
    with pytest.raises(RoutingBroken, match=f"probe from further on, {BROKEN_AFTER + 1} in all"):
        route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=50)
    assert fragile.batches == [len(texts)] + [1] * (BROKEN_AFTER + 1)
    assert {s for _, s, _ in _states(engine)} == {"pending"}


def test_copies_of_one_bad_post_at_the_head_do_not_stop_routing(engine: Engine) -> None:
    # Ten copies failing alike make routing suspect; the probe (the batch's newest
    # mention) is routed, so the copies are set aside and the rest flow.
    texts = [f"lampu BOOM {n}" for n in range(BROKEN_AFTER + 2)] + ["lampu mati"]
    store_texts(engine, texts)
    fragile = Fragile(ValueError("cannot read this text"))
    result = route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=50)
    assert (result.set_aside, result.filed, result.total) == (BROKEN_AFTER + 2, 1, len(texts))
    assert [s for _, s, _ in _states(engine)] == ["triage"] * (BROKEN_AFTER + 2) + ["filed"]


def test_alike_failures_with_nothing_to_tell_them_by_wait_for_newer_mentions(
    engine: Engine,
) -> None:
    store_texts(engine, ["lampu BOOM 1", "lampu BOOM 2"])
    fragile = Fragile(ValueError("cannot read this text"))
    with pytest.raises(RoutingBroken, match="no other mention is pending to tell"):
        route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=5)
    assert fragile.batches == [2, 1, 1]
    assert [s for _, s, _ in _states(engine)] == ["pending", "pending"]
    # a newer mention is routed: the two were the mentions' own fault
    store_texts(engine, ["lampu mati"], first=2)
    result = route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=5)
    assert (result.set_aside, result.filed) == (2, 1)
    assert [s for _, s, _ in _states(engine)] == ["triage", "triage", "filed"]


def test_copies_of_a_bad_post_at_both_ends_of_a_batch_do_not_stop_routing(
    engine: Engine,
) -> None:
    # The probe from the batch's end is another copy: it tells nothing, routing goes on.
    copies = ["lampu BOOM"] * (BROKEN_AFTER + 2)
    store_texts(engine, [*copies, "lampu mati", "lampu BOOM"])
    fragile = Fragile(ValueError("cannot read this text"))
    result = route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=50)
    assert (result.set_aside, result.filed) == (BROKEN_AFTER + 3, 1)
    states = [s for _, s, _ in _states(engine)]
    assert states == ["triage"] * (BROKEN_AFTER + 2) + ["filed", "triage"]


def test_a_failed_mention_counts_once_however_far_its_routing_got(engine: Engine) -> None:
    """Before, what the rolled-back attempt had counted (filed) stayed in the result."""

    def refuse_pdam(
        session: Session, complaints: Sequence[Complaint], policy: RoutingPolicy
    ) -> None:
        if any(c.category == "PDAM" for c in complaints):
            raise ValueError("cannot assign")

    store_texts(engine, ["lampu mati 1", "air mati", "lampu mati 3"])
    policy = replace(POLICY, on_inbox_entry=refuse_pdam)
    result = route_pending(
        engine=engine, classifier=KeywordClassifier(), policy=policy, batch_size=3
    )
    assert (result.filed, result.set_aside, result.total) == (2, 1, 3)


def test_a_mention_routed_meanwhile_is_not_set_aside(engine: Engine) -> None:
    store_texts(engine, ["lampu mati"])
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with session_scope(engine) as session:
        (mention_id,) = session.exec(select(Mention.id)).all()
        assert mention_id is not None
        assert not set_aside(session, mention_id, ValueError("too late"))
    assert _states(engine) == [("lampu mati", "filed", None)]


def test_mentions_failing_alone_in_different_ways_are_each_set_aside(engine: Engine) -> None:
    store_texts(engine, ["lampu BOOM", "lampu BANG"])
    fragile = Fragile(ValueError("one thing"), bang=KeyError("another"))
    result = route_pending(engine=engine, classifier=fragile, policy=POLICY, batch_size=2)
    assert result.set_aside == 2
    reasons = [r for _, _, r in _states(engine)]
    assert reasons == [
        "gagal dirutekan otomatis (ValueError): putuskan manual",
        "gagal dirutekan otomatis (KeyError): putuskan manual",
    ]


def test_a_failing_store_fails_the_pass_and_sets_nothing_aside(engine: Engine) -> None:
    store_texts(engine, ["lampu BOOM", "lampu mati"])
    down = OperationalError("SELECT 1", {}, Exception("could not connect to server"))
    with pytest.raises(OperationalError):
        route_pending(engine=engine, classifier=Fragile(down), policy=POLICY)
    assert [s for _, s, _ in _states(engine)] == ["pending", "pending"]


def test_what_counts_as_one_mentions_doing() -> None:
    refused = DataError("INSERT", {}, Exception("value too long for type character varying"))
    assert mention_fault(ValueError("x")) and mention_fault(refused)
    assert not mention_fault(OperationalError("SELECT 1", {}, Exception("disk is full")))
    assert not mention_fault(MemoryError())
    # the store inconsistent with itself (models.many_rows.insert_new_rows_ids)
    assert not mention_fault(StoreError("insert into complaint: the 3 rows written are not ids"))
