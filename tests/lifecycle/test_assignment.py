"""A complaint's petugas: who may be assigned, the history, and "Pengaduan saya"."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lifecycle.assignment import (
    assign,
    assignable_users,
    assignment_history,
    count_mine,
    my_complaints,
)
from lifecycle.status import bukan_wewenang, change_status
from models.accounts import set_active
from models.db import session_scope
from models.exceptions import AssignmentRefused, NotFound
from models.tables import Complaint, ComplaintAssignment, User
from tests.support.routing import POLICY
from tests.support.web import add_complaint, add_user


def _user(engine: Engine, name: str) -> User:
    with Session(engine) as s:
        return s.exec(select(User).where(User.username == name)).one()


@pytest.fixture
def desk(engine: Engine) -> dict[str, int]:
    """Two PDAM petugas, one LPJU petugas, an operator; a PDAM and an LPJU complaint."""
    add_user(engine, "ayu", "agency", agency="PDAM")
    add_user(engine, "budi", "agency", agency="PDAM")
    add_user(engine, "citra", "agency", agency="LPJU")
    add_user(engine, "ops", "operator")
    return {
        "pdam": add_complaint(engine, 1, inbox="PDAM"),
        "pdam2": add_complaint(engine, 2, inbox="PDAM"),
        "lpju": add_complaint(engine, 3, inbox="LPJU"),
    }


def test_assign_reassign_unassign_are_each_recorded(engine: Engine, desk: dict[str, int]) -> None:
    cid = desk["pdam"]
    assert assign(engine=engine, complaint_id=cid, assignee="ayu", actor="ops").assignee_id == (
        _user(engine, "ayu").id
    )
    assign(engine=engine, complaint_id=cid, assignee="BUDI ", actor="ayu", agency_code="PDAM")
    assign(engine=engine, complaint_id=cid, assignee=None, actor="budi", agency_code="PDAM")
    with Session(engine) as s:
        assert s.get(Complaint, cid).assignee_id is None  # type: ignore[union-attr]
        rows = assignment_history(session=s, complaint_id=cid)
    assert [(r.actor, r.from_user, r.to_user) for r in rows] == [
        ("ops", None, "ayu"),
        ("ayu", "ayu", "budi"),
        ("budi", "budi", None),
    ]


def test_the_same_petugas_again_writes_nothing(engine: Engine, desk: dict[str, int]) -> None:
    cid = desk["pdam"]
    assign(engine=engine, complaint_id=cid, assignee="ayu", actor="ops")
    assign(engine=engine, complaint_id=cid, assignee="ayu", actor="ops")
    assign(engine=engine, complaint_id=desk["pdam2"], assignee=None, actor="ops")
    with Session(engine) as s:
        assert len(s.exec(select(ComplaintAssignment)).all()) == 1


@pytest.mark.parametrize(
    ("assignee", "why"),
    [
        ("citra", "bukan petugas inbox PDAM"),  # another agency's user
        ("ops", "bukan petugas inbox PDAM"),  # Kominfo staff are not petugas
        ("hantu", "tidak ada"),
    ],
)
def test_only_users_of_the_complaints_agency_can_be_petugas(
    engine: Engine, desk: dict[str, int], assignee: str, why: str
) -> None:
    with pytest.raises(AssignmentRefused, match=why):
        assign(engine=engine, complaint_id=desk["pdam"], assignee=assignee, actor="ops")
    with Session(engine) as s:
        assert s.get(Complaint, desk["pdam"]).assignee_id is None  # type: ignore[union-attr]
        assert s.exec(select(ComplaintAssignment)).all() == []


def test_a_disabled_user_cannot_be_assigned_and_is_not_offered(
    engine: Engine, desk: dict[str, int]
) -> None:
    with session_scope(engine) as s:
        set_active(session=s, username="budi", active=False)
    with pytest.raises(AssignmentRefused, match="dinonaktifkan"):
        assign(engine=engine, complaint_id=desk["pdam"], assignee="budi", actor="ops")
    with Session(engine) as s:
        assert [u.username for u in assignable_users(session=s, inbox="PDAM")] == ["ayu"]
        assert [u.username for u in assignable_users(session=s, inbox="LPJU")] == ["citra"]


def test_an_agency_cannot_reach_another_inboxs_complaint(
    engine: Engine, desk: dict[str, int]
) -> None:
    with pytest.raises(NotFound):
        assign(
            engine=engine,
            complaint_id=desk["lpju"],
            assignee="citra",
            actor="ayu",
            agency_code="PDAM",
        )
    with Session(engine) as s:
        assert s.get(Complaint, desk["lpju"]).assignee_id is None  # type: ignore[union-attr]


def test_my_complaints_are_the_open_ones_of_my_inbox(engine: Engine, desk: dict[str, int]) -> None:
    for key in ("pdam", "pdam2"):
        assign(engine=engine, complaint_id=desk[key], assignee="ayu", actor="ops")
    change_status(engine=engine, complaint_id=desk["pdam2"], to_status="respon_awal", actor="ayu")
    change_status(engine=engine, complaint_id=desk["pdam2"], to_status="selesai", actor="ayu")
    ayu, budi = _user(engine, "ayu"), _user(engine, "budi")
    with Session(engine) as s:
        assert [c.id for c in my_complaints(session=s, user=ayu)] == [desk["pdam"]]
        everything = my_complaints(session=s, user=ayu, open_only=False)
        assert [c.id for c in everything] == [desk["pdam"], desk["pdam2"]]
        assert count_mine(session=s, user=ayu) == 1
        assert my_complaints(session=s, user=budi) == []
        assert count_mine(session=s, user=budi) == 0
    # Moved to another agency: the old inbox's assignments are no longer listed.
    with session_scope(engine) as s:
        row = s.exec(select(User).where(User.username == "ayu")).one()
        row.agency_code = "LPJU"
        s.add(row)
    with Session(engine) as s:
        assert my_complaints(session=s, user=_user(engine, "ayu")) == []


def test_a_complaint_leaving_the_inbox_leaves_its_petugas(
    engine: Engine, desk: dict[str, int]
) -> None:
    cid = desk["pdam"]
    assign(engine=engine, complaint_id=cid, assignee="ayu", actor="ops")
    bukan_wewenang(
        engine=engine,
        policy=POLICY,
        complaint_id=cid,
        actor="ayu",
        reason="pipa provinsi",
        suggested_category="PUPR",
        agency_code="PDAM",
    )
    with Session(engine) as s:
        assert s.get(Complaint, cid).assignee_id is None  # type: ignore[union-attr]
        rows = assignment_history(session=s, complaint_id=cid)
        assert count_mine(session=s, user=_user(engine, "ayu")) == 0
    assert [(r.actor, r.from_user, r.to_user) for r in rows] == [
        ("ops", None, "ayu"),
        ("ayu", "ayu", None),
    ]
