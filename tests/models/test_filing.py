"""A routing batch written set-based: complaints, links, history, outbox, merges, counts."""

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import session_scope
from models.filing import FiledMeanwhile, FilingBatch
from models.mentions import insert_mentions
from models.tables import Complaint, ComplaintMention, ComplaintMerge, Mention, Outbox, StatusChange
from models.types import utcnow
from models.vocab import FILED_NOTE
from tests.support.factories import agencies, mention
from tests.support.numbers import number


def _ids(engine: Engine, count: int) -> list[int]:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=[mention(n) for n in range(1, count + 1)])
    with Session(engine) as s:
        return [m.id for m in s.exec(select(Mention).order_by(col(Mention.id)))]  # type: ignore[misc]


def test_a_batch_files_and_joins_in_one_write(engine: Engine) -> None:
    m = _ids(engine, 4)
    with session_scope(engine) as s:
        batch = FilingBatch(now=utcnow(), number_prefix="DPS")
        first = batch.file(
            mention_id=m[0],
            category="PDAM",
            inbox="PDAM",
            confidence=0.9,
            routed_by="model:x",
            channels=("email", "webhook"),
            details={"street": "jl. teuku umar", "respond_by": utcnow() + timedelta(days=3)},
        )
        second = batch.file(
            mention_id=m[1], category="LPJU", inbox="LPJU", confidence=None, routed_by="rule:r"
        )
        # joins to a complaint of this very batch, before it has an id
        batch.join(complaint=first, mention_id=m[2], reason="duplicate", detail="sama")
        batch.join(complaint=first, mention_id=m[3], reason="reply", detail="balasan")
        assert first.id is None
        batch.write(s)
    assert (first.public_number, second.public_number) == (number(1), number(2))
    with Session(engine) as s:
        complaints = {c.id: c for c in s.exec(select(Complaint))}
        links = {(k.mention_id, k.complaint_id, k.reason) for k in s.exec(select(ComplaintMention))}
        merges = {(g.mention_id, g.complaint_id, g.reason) for g in s.exec(select(ComplaintMerge))}
        history = [(h.complaint_id, h.note) for h in s.exec(select(StatusChange))]
        outbox = sorted((o.complaint_id, o.channel) for o in s.exec(select(Outbox)))
    assert first.id is not None and second.id is not None
    assert complaints[first.id].street == "jl. teuku umar"
    assert complaints[first.id].respond_by is not None
    # three different authors now report the first complaint, counted in the store
    assert (complaints[first.id].reporters, complaints[second.id].reporters) == (3, 1)
    assert links == {
        (m[0], first.id, "origin"),
        (m[1], second.id, "origin"),
        (m[2], first.id, "duplicate"),
        (m[3], first.id, "reply"),
    }
    assert merges == {(m[2], first.id, "duplicate"), (m[3], first.id, "reply")}
    assert sorted(history) == sorted([(first.id, FILED_NOTE), (second.id, FILED_NOTE)])
    assert outbox == [(first.id, "email"), (first.id, "webhook")]


def test_a_mention_filed_meanwhile_fails_the_write_and_nothing_is_kept(engine: Engine) -> None:
    m = _ids(engine, 2)
    with session_scope(engine) as s:
        stored = s.get(Mention, m[0])
        assert stored is not None
        file_complaint(
            session=s,
            mention=stored,
            category="PDAM",
            inbox="PDAM",
            confidence=None,
            routed_by="elsewhere",
        )
    with pytest.raises(FiledMeanwhile, match=str(m[0])), session_scope(engine) as s:
        batch = FilingBatch(now=utcnow(), number_prefix="DPS")
        for i in m:
            batch.file(mention_id=i, category="PDAM", inbox="PDAM", confidence=None, routed_by="t")
        batch.write(s)
    with Session(engine) as s:
        assert [c.routed_by for c in s.exec(select(Complaint))] == ["elsewhere"]


def test_unknown_complaint_fields_are_refused_by_name() -> None:
    batch = FilingBatch(now=utcnow(), number_prefix="DPS")
    with pytest.raises(ValueError, match="not complaint fields: colour"):
        batch.file(
            mention_id=1,
            category="PDAM",
            inbox="PDAM",
            confidence=None,
            routed_by="t",
            details={"colour": "red"},
        )
