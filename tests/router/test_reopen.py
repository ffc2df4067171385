"""A citizen's new reply on a closed complaint: reopened within the window, a new one after."""

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.db import session_scope
from models.mentions import insert_mentions
from models.notes import notes_of
from models.reopen import REOPEN_NOTE
from models.tables import Complaint, ComplaintMention, Mention, Outbox, StatusChange
from models.vocab import ComplaintStatus, MentionState
from router.route import route_pending
from tests.support.factories import BASE_TIME, mention
from tests.support.routing import POLICY, KeywordClassifier, store_texts

S = ComplaintStatus


def _closed_complaint(engine: Engine, *, closed_days_before_reply: float) -> int:
    """An LPJU complaint filed from mention 0, closed some days before the reply is posted."""
    store_texts(engine, ["lampu jalan mati di jalan gatot subroto"])
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with session_scope(engine) as s:
        c = s.exec(select(Complaint)).one()
        c.status = S.SELESAI
        c.resolved_at = BASE_TIME + timedelta(days=30 - closed_days_before_reply)
        s.add(c)
        assert c.id is not None
        return c.id


def _reply(engine: Engine, text: str) -> None:
    """A reply to mention 0's post, posted 30 days after BASE_TIME."""
    with session_scope(engine) as s:
        insert_mentions(
            session=s,
            mentions=[
                mention(
                    5,
                    text=text,
                    reply_to_id="1000",
                    conversation_id="1000",
                    created_at=BASE_TIME + timedelta(days=30),
                )
            ],
        )


def _links(s: Session, complaint_id: int) -> list[int]:
    return sorted(
        s.exec(
            select(ComplaintMention.mention_id).where(ComplaintMention.complaint_id == complaint_id)
        ).all()
    )


def test_a_reply_within_the_window_reopens_and_notifies(engine: Engine) -> None:
    cid = _closed_complaint(engine, closed_days_before_reply=3)
    _reply(engine, "lampu mati lagi, belum diperbaiki")
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert result.reopened == 1 and result.attached == 1 and result.filed == 0
    with Session(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None
        assert c.status == S.DITINDAKLANJUTI and c.resolved_at is None
        last = s.exec(
            select(StatusChange)
            .where(StatusChange.complaint_id == cid)
            .order_by(col(StatusChange.id).desc())
        ).first()
        assert last is not None
        assert (last.from_status, last.to_status, last.actor) == (
            S.SELESAI,
            S.DITINDAKLANJUTI,
            "router",
        )
        assert last.note.startswith(REOPEN_NOTE) and "1005" in last.note
        reply = s.exec(select(Mention).where(Mention.platform_id == "1005")).one()
        assert reply.id in _links(s, cid)
        events = [
            o.payload["event"]
            for o in s.exec(select(Outbox).where(Outbox.complaint_id == cid)).all()
        ]
        assert events == ["complaint.filed", "complaint.reopened"]


def test_a_thank_you_within_the_window_is_joined_with_a_note_not_reopened(engine: Engine) -> None:
    cid = _closed_complaint(engine, closed_days_before_reply=3)
    _reply(engine, "makasih min sudah nyala")
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert result.reopened == 0 and result.attached == 1
    with Session(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None and c.status == S.SELESAI
        [note] = notes_of(session=s, complaint_id=cid)
        assert "tidak dibuka kembali" in note.text and "1005" in note.text
        assert len(_links(s, cid)) == 2


def test_a_reply_after_the_window_files_a_new_linked_complaint(engine: Engine) -> None:
    old = _closed_complaint(engine, closed_days_before_reply=20)
    _reply(engine, "lampu mati lagi di tempat yang sama")
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert result.filed == 1 and result.reopened == 0 and result.attached == 0
    with Session(engine) as s:
        old_c = s.get(Complaint, old)
        assert old_c is not None and old_c.status == S.SELESAI
        assert len(_links(s, old)) == 1  # never attached to the closed one
        new = s.exec(select(Complaint).where(Complaint.id != old)).one()
        assert new.previous_complaint_id == old
        assert f"lanjutan pengaduan #{old}" in (new.route_reason or "")


def test_a_thank_you_after_the_window_is_kept_apart(engine: Engine) -> None:
    old = _closed_complaint(engine, closed_days_before_reply=20)
    _reply(engine, "makasih min")
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert result.not_complaint == 1 and result.attached == 0
    with Session(engine) as s:
        assert len(_links(s, old)) == 1
        reply = s.exec(select(Mention).where(Mention.platform_id == "1005")).one()
        assert reply.state == MentionState.NOT_COMPLAINT


def test_open_complaints_still_take_replies_as_before(engine: Engine) -> None:
    store_texts(engine, ["lampu jalan mati di jalan gatot subroto"])
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    _reply(engine, "makasih min")
    result = route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    assert result.attached == 1 and result.reopened == 0
