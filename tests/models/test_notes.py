"""Internal notes on complaints, on both stores."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from models.agencies import sync_agencies
from models.db import session_scope
from models.mentions import insert_mentions
from models.notes import MAX_NOTE_LENGTH, add_note, notes_of
from models.tables import Complaint
from router.policy import RoutingPolicy
from router.route import route_pending
from tests.support.factories import agencies, mention
from tests.support.routing import KeywordClassifier

PDAM_ONLY = RoutingPolicy(category_inbox={"PDAM": "PDAM"}, triage_inbox="KOMINFO")


def _complaint(engine: Engine) -> int:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=[mention(1, text="air mati di panjer")])
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=PDAM_ONLY)
    with session_scope(engine) as s:
        found = s.exec(select(Complaint.id)).one()
        assert found is not None
        return found


def test_notes_are_kept_in_order_with_author(engine: Engine) -> None:
    cid = _complaint(engine)
    with session_scope(engine) as s:
        add_note(session=s, complaint_id=cid, author="pdam1", text="  petugas dikirim  ")
        add_note(session=s, complaint_id=cid, author="op", text="<b>warga</b> ditelepon")
    with session_scope(engine) as s:
        notes = notes_of(session=s, complaint_id=cid)
    assert [(n.author, n.text) for n in notes] == [
        ("pdam1", "petugas dikirim"),
        ("op", "<b>warga</b> ditelepon"),
    ]


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_NOTE_LENGTH + 1)])
def test_empty_or_overlong_notes_are_refused(engine: Engine, text: str) -> None:
    cid = _complaint(engine)
    with pytest.raises(ValueError, match="catatan"), session_scope(engine) as s:
        add_note(session=s, complaint_id=cid, author="op", text=text)
    with session_scope(engine) as s:
        assert notes_of(session=s, complaint_id=cid) == []
