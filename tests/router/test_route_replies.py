"""Routing and replies: acknowledgements drafted with filing, never to ourselves."""

from dataclasses import replace

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.db import session_scope
from models.tables import CitizenReply, Complaint, Mention
from models.vocab import MentionState
from router.route import route_pending
from tests.support.factories import mention
from tests.support.replies import policy, replies_in, reply_rows, store_mentions
from tests.support.routing import POLICY, KeywordClassifier

REPLYING = replace(POLICY, replies=policy())


def test_filing_drafts_the_acknowledgement_in_the_same_transaction(engine: Engine) -> None:
    store_mentions(
        engine,
        mention(1, text="lampu jalan mati"),
        mention(2, text="makasih min"),  # NOT_COMPLAINT: never answered
        mention(3, text="bingung ini apa"),  # triage: not filed yet, not answered yet
        mention(4, text="air mati", author_handle="prodenpasar"),  # the city's own post
    )
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=REPLYING)
    assert (result.filed, result.not_complaint, result.triaged) == (2, 1, 1)
    with Session(engine) as s:
        numbers = {c.origin_mention_id: c.public_number for c in s.exec(select(Complaint))}
    replies = {r.mention_id: r for r in replies_in(engine)}
    assert set(replies) == {1, 4}
    assert replies[1].status == "queued" and numbers[1] in replies[1].text
    assert replies[4].status == "skipped"
    assert [r.payload["reply_id"] for r in reply_rows(engine)] == [replies[1].id]


def test_our_own_reply_coming_back_is_not_routed(engine: Engine) -> None:
    store_mentions(engine, mention(1, text="air mati"))
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=REPLYING)
    with session_scope(engine) as s:
        reply = s.exec(select(CitizenReply)).one()
        reply.platform_reply_id, reply.status = "1002", "sent"
    # A collector that failed to recognise our account brings the reply back.
    store_mentions(engine, mention(2, text="air mati sudah kami terima DPS-26-00001"))
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=REPLYING)
    assert (result.filed, result.not_complaint, result.attached) == (0, 1, 0)
    with Session(engine) as s:
        ours = s.exec(select(Mention).where(Mention.platform_id == "1002")).one()
        assert ours.state == MentionState.NOT_COMPLAINT
        assert len(s.exec(select(Complaint)).all()) == 1
    assert len(replies_in(engine)) == 1
