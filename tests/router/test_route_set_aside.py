"""A mention whose routing fails is set aside in triage; the ones after it still flow."""

from collections.abc import Sequence

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session, col, select

from models.tables import Mention
from models.vocab import MentionState
from router.route import route_pending
from router.set_aside import mention_fault
from tests.support.routing import POLICY, Guess, KeywordClassifier, store_texts


class Fragile(KeywordClassifier):
    """The keyword double, failing on any batch with a text it cannot take."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.batches: list[int] = []

    def predict(self, texts: Sequence[str]) -> list[Guess]:
        self.batches.append(len(texts))
        if any("BOOM" in t for t in texts):
            raise self.error
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
