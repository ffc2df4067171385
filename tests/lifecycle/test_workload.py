"""Workload per petugas: open, overdue and median age, counted from the store."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from lifecycle.assignment import assign
from lifecycle.workload import workload
from models.accounts import set_active
from models.db import session_scope
from models.tables import Complaint
from tests.support.web import add_complaint, add_user

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


def _file(engine: Engine, n: int, days_old: float, *, overdue: bool = False, **kw: Any) -> int:
    cid = add_complaint(engine, n, created=NOW - timedelta(days=days_old), **kw)
    with session_scope(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None
        c.respond_by = NOW - timedelta(hours=1) if overdue else NOW + timedelta(days=3)
        s.add(c)
    return cid


def test_each_petugas_has_a_line_with_open_overdue_and_median_age(engine: Engine) -> None:
    for name, agency in (("ayu", "PDAM"), ("budi", "PDAM"), ("dewi", "PDAM"), ("citra", "LPJU")):
        add_user(engine, name, "agency", agency=agency)
    plan = [("ayu", 1, True), ("ayu", 3, False), ("ayu", 8, True), ("budi", 2, False)]
    for n, (who, days, late) in enumerate(plan, start=1):
        cid = _file(engine, n, days, overdue=late)
        assign(engine=engine, complaint_id=cid, assignee=who, actor="ops")
    _file(engine, 10, 5, overdue=True)  # nobody's
    _file(engine, 11, 4, status="selesai")  # finished: not counted
    _file(engine, 12, 6, inbox="LPJU")  # another inbox
    # A petugas disabled while still holding a complaint keeps a line.
    gone = _file(engine, 13, 10)
    assign(engine=engine, complaint_id=gone, assignee="dewi", actor="ops")
    with session_scope(engine) as s:
        set_active(session=s, username="dewi", active=False)
    with Session(engine) as s:
        rows = workload(session=s, inbox="PDAM", now=NOW)
    got = [(r.username, r.open, r.overdue, r.median_age_days) for r in rows]
    assert got == [
        ("ayu", 3, 2, 3.0),
        ("budi", 1, 0, 2.0),
        ("dewi", 1, 0, 10.0),
        (None, 1, 1, 5.0),  # complaint 10; the finished one and LPJU's are not counted
    ]
    with Session(engine) as s:
        lpju = workload(session=s, inbox="LPJU", now=NOW)
    assert [(r.username, r.open) for r in lpju] == [("citra", 0), (None, 1)]
