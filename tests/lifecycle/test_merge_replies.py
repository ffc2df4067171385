"""Undoing a merge: the report split off gets its own number, and its reporter hears it."""

from dataclasses import replace

from sqlalchemy.engine import Engine

from lifecycle.merge import undo_merge
from models.complaints import attach_mention
from models.db import session_scope
from models.tables import Complaint
from notify.replies import acknowledge
from tests.support.factories import mention
from tests.support.replies import (
    file_with_ack,
    number_of,
    policy,
    replies_in,
    reply_rows,
    store_mentions,
)
from tests.support.routing import POLICY


def test_the_reporter_of_a_split_off_complaint_is_acknowledged_with_the_new_number(
    engine: Engine,
) -> None:
    replies = policy()
    original = file_with_ack(engine, replies)
    joined = store_mentions(engine, mention(2, author_handle="warga2"))[1]
    with session_scope(engine) as s:
        complaint = s.get(Complaint, original)
        assert complaint is not None
        m = s.merge(joined)
        merge_id = attach_mention(
            session=s, complaint=complaint, mention=m, reason="duplicate", actor="router"
        )
        acknowledge(session=s, policy=replies, complaint=complaint, mention=m)
    first_ack = replies_in(engine)[1]
    assert (first_ack.mention_id, first_ack.complaint_id) == (joined.id, original)
    split = undo_merge(
        engine=engine, policy=replace(POLICY, replies=replies), merge_id=merge_id, actor="op"
    )
    assert split.id is not None and split.id != original
    new_number = number_of(engine, split.id)
    assert new_number != number_of(engine, original)
    rows = replies_in(engine)
    assert len(rows) == 3  # the original's reporter is not acknowledged again
    ack = rows[2]
    assert (ack.mention_id, ack.complaint_id, ack.event, ack.status) == (
        joined.id,
        split.id,
        "diterima",
        "queued",
    )
    assert new_number in ack.text and number_of(engine, original) not in ack.text
    assert reply_rows(engine)[-1].payload == {"event": "reply.diterima", "reply_id": ack.id}
    # Undone once only: the split-off complaint's acknowledgement is not drafted twice.
    with session_scope(engine) as s:
        again = s.get(Complaint, split.id)
        assert again is not None
        acknowledge(session=s, policy=replies, complaint=again, mention=s.merge(joined))
    assert len(replies_in(engine)) == 3
