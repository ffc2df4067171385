"""Routing a batch set-based: a race lost to another writer, mentions already in a complaint."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import router.route
from models.complaints import attach_mention, file_complaint
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Complaint, Mention
from models.vocab import MentionState
from router.route import route_pending
from tests.support.factories import mention
from tests.support.numbers import number
from tests.support.routing import POLICY, KeywordClassifier, store_texts


def _mentions(engine: Engine) -> list[Mention]:
    with Session(engine) as s:
        return list(s.exec(select(Mention).order_by(col(Mention.id))))


def test_a_batch_that_loses_a_race_is_decided_again_and_files_nothing_twice(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_texts(engine, ["air mati", "lampu jalan mati"])
    first = _mentions(engine)[0]
    real = router.route.filed_already
    calls: list[int] = []

    def racing(*, session: Session, mention_ids: list[int]) -> set[int]:
        """The first look finds nothing, and a complaint of the first mention appears after.

        (Written in the batch's own transaction, so it goes when the batch rolls back: on
        PostgreSQL another writer would wait for the claimed row's lock instead.)
        """
        calls.append(len(mention_ids))
        if len(calls) == 1:
            m = session.get(Mention, first.id)
            assert m is not None
            file_complaint(
                session=session,
                mention=m,
                category="PDAM",
                inbox="PDAM",
                confidence=None,
                routed_by="elsewhere",
            )
            m.state = MentionState.PENDING
            session.flush()
            return set()
        return real(session=session, mention_ids=mention_ids)

    monkeypatch.setattr(router.route, "filed_already", racing)
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert len(calls) == 2, "the batch was decided again"
    assert (result.filed, result.already_filed) == (2, 0)
    with Session(engine) as s:
        by_origin = {c.origin_mention_id: c for c in s.exec(select(Complaint))}
        numbers = sorted(c.public_number for c in by_origin.values())
    assert set(by_origin) == {m.id for m in _mentions(engine)}
    assert {c.routed_by for c in by_origin.values()} == {"model:test-model"}
    assert numbers == [number(1), number(2)], "the rolled-back batch gave its numbers back"
    assert {m.state for m in _mentions(engine)} == {MentionState.FILED}


def test_a_pending_mention_already_joined_to_a_complaint_is_not_filed_again(
    engine: Engine,
) -> None:
    store_texts(engine, ["air mati di sesetan"])
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with session_scope(engine) as s:
        insert_mentions(session=s, mentions=[mention(5, text="air mati juga di sesetan")])
    origin, joined = _mentions(engine)
    with session_scope(engine) as s:
        # joined by hand, then pushed back to pending (a repair gone wrong, a re-run):
        # before, routing failed the whole batch on the mention's second link
        first = s.exec(select(Complaint).where(Complaint.origin_mention_id == origin.id)).one()
        m = s.get(Mention, joined.id)
        assert m is not None
        attach_mention(session=s, complaint=first, mention=m, reason="manual", actor="t")
        m.state = MentionState.PENDING
        s.add(m)
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert (result.filed, result.already_filed) == (0, 1)
    with Session(engine) as s:
        assert len(s.exec(select(Complaint)).all()) == 1
        assert s.get(Mention, joined.id).state == MentionState.FILED  # type: ignore[union-attr]
