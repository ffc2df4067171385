"""Triage decisions file complaints and become training corrections."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lifecycle.triage import NotInTriage, assign
from models.corrections import all_corrections
from models.exceptions import NotFound
from models.tables import Complaint, Mention
from models.vocab import MentionState
from router.route import route_pending
from tests.support.routing import POLICY, KeywordClassifier, store_texts


def _triaged(engine: Engine) -> int:
    store_texts(engine, ["bingung ini apa", "lampu jalan mati"])
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with Session(engine) as s:
        m = s.exec(select(Mention).where(Mention.state == MentionState.TRIAGE)).one()
    assert m.id is not None
    return m.id


def test_assign_files_to_the_categorys_inbox_and_records_a_correction(engine: Engine) -> None:
    mention_id = _triaged(engine)
    complaint = assign(
        engine=engine, policy=POLICY, mention_id=mention_id, category="PDAM", actor="operator1"
    )
    assert complaint is not None and complaint.inbox == "PDAM"
    assert complaint.routed_by == "triage:operator1"
    with Session(engine) as s:
        corrections = all_corrections(session=s)
        assert [(c.mention_id, c.category, c.kind, c.actor) for c in corrections] == [
            (mention_id, "PDAM", "triage", "operator1")
        ]
        assert (
            s.exec(select(Mention.state).where(Mention.id == mention_id)).one()
            == MentionState.FILED
        )
    with pytest.raises(NotInTriage, match="not waiting in triage"):
        assign(engine=engine, policy=POLICY, mention_id=mention_id, category="PDAM", actor="x")


def test_not_a_complaint_is_kept_unfiled(engine: Engine) -> None:
    mention_id = _triaged(engine)
    assert (
        assign(
            engine=engine,
            policy=POLICY,
            mention_id=mention_id,
            category="NOT_COMPLAINT",
            actor="op",
        )
        is None
    )
    with Session(engine) as s:
        assert (
            s.exec(select(Mention.state).where(Mention.id == mention_id)).one()
            == MentionState.NOT_COMPLAINT
        )
        assert len(s.exec(select(Complaint)).all()) == 1  # only the lamp complaint


def test_bad_input_is_named(engine: Engine) -> None:
    mention_id = _triaged(engine)
    with pytest.raises(ValueError, match="unknown category 'WATER'"):
        assign(engine=engine, policy=POLICY, mention_id=mention_id, category="WATER", actor="x")
    with pytest.raises(NotFound, match="no mention with id 999"):
        assign(engine=engine, policy=POLICY, mention_id=999, category="PDAM", actor="x")
