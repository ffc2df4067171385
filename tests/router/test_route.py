"""Routing: file above threshold, triage below, keep non-complaints; never file twice."""

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.db import session_scope
from models.tables import Complaint, Mention, Outbox
from models.vocab import MentionState
from router.route import route_pending
from tests.support.routing import POLICY, KeywordClassifier, store_texts


def test_route_files_triages_and_keeps(engine: Engine) -> None:
    store_texts(engine, ["lampu jalan mati", "makasih min", "bingung ini apa", "air mati"])
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert (result.filed, result.triaged, result.not_complaint) == (2, 1, 1)
    with Session(engine) as s:
        states = {m.text: m.state for m in s.exec(select(Mention))}
        complaints = {c.category: c for c in s.exec(select(Complaint))}
        outbox = s.exec(select(Outbox)).all()
    assert states == {
        "lampu jalan mati": MentionState.FILED,
        "makasih min": MentionState.NOT_COMPLAINT,
        "bingung ini apa": MentionState.TRIAGE,
        "air mati": MentionState.FILED,
    }
    assert complaints["LPJU"].inbox == "LPJU"
    assert complaints["LPJU"].routed_by == "model:test-model"
    assert [o.channel for o in outbox] == ["email"]  # only LPJU has an address


def test_prediction_details_are_kept_on_the_mention(engine: Engine) -> None:
    store_texts(engine, ["lampu jalan mati"])
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with Session(engine) as s:
        m = s.exec(select(Mention)).one()
    assert (m.category, m.confidence, m.abstained, m.model_id, m.terms) == (
        "LPJU",
        0.95,
        False,
        "test-model",
        ["lampu"],
    )
    assert m.routed_at is not None


def test_rerouting_and_reingesting_never_files_twice(engine: Engine) -> None:
    store_texts(engine, ["air mati"] * 1)
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    # The same post arrives again, and the mention is pushed back to pending by hand.
    store_texts(engine, ["air mati"])
    with session_scope(engine) as s:
        m = s.exec(select(Mention)).one()
        m.state = MentionState.PENDING
        s.add(m)
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert (result.filed, result.already_filed) == (0, 1)
    with Session(engine) as s:
        assert len(s.exec(select(Complaint)).all()) == 1
        assert s.exec(select(Mention)).one().state == MentionState.FILED


def test_batches_until_nothing_is_pending(engine: Engine) -> None:
    store_texts(engine, [f"air mati {i}" for i in range(25)])
    result = route_pending(
        engine=engine, classifier=KeywordClassifier(), policy=POLICY, batch_size=10
    )
    assert result.filed == 25
    again = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert again.total == 0
