"""Per-petugas figures of the response-time report: count, median first response and
median resolution in working hours, and where the pages show them."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.app import create_app
from lifecycle.assignment import assign
from lifecycle.reports import response_times_by_assignee
from models.db import session_scope
from models.tables import Complaint
from tests.support.lifecycle import CALENDAR, RECEIVED
from tests.support.routing import POLICY
from tests.support.web import AUTH, add_complaint, add_user, quick_client

YEAR = RECEIVED.year


def _file(
    engine: Engine,
    n: int,
    *,
    inbox: str = "PDAM",
    response_hours: float | None = None,
    resolution_hours: float | None = None,
    status: str = "baru",
    petugas: str | None = None,
    days_before: float = 0,
) -> int:
    """A complaint received on Monday RECEIVED (minus *days_before*), answered and resolved
    that many hours later (working hours when within Monday-Tuesday)."""
    created = RECEIVED - timedelta(days=days_before)
    cid = add_complaint(engine, n, inbox=inbox, category=inbox, created=created, status=status)
    with session_scope(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None
        if response_hours is not None:
            c.responded_at = created + timedelta(hours=response_hours)
        if resolution_hours is not None:
            c.resolved_at = created + timedelta(hours=resolution_hours)
        s.add(c)
    if petugas:
        assign(engine=engine, complaint_id=cid, assignee=petugas, actor="ops")
    return cid


def _seed(engine: Engine) -> None:
    for name, agency in (("ayu", "PDAM"), ("budi", "PDAM"), ("citra", "LPJU")):
        add_user(engine, name, "agency", agency=agency)
    _file(engine, 1, response_hours=2, resolution_hours=20, status="selesai", petugas="ayu")
    _file(engine, 2, response_hours=4, status="respon_awal", petugas="ayu")
    _file(engine, 3, response_hours=6, resolution_hours=30, status="selesai", petugas="ayu")
    _file(engine, 4, petugas="budi")  # not answered yet
    _file(engine, 5, response_hours=1)  # nobody's
    _file(engine, 6, status="bukan_wewenang", petugas=None)  # refused: not counted
    _file(engine, 7, inbox="LPJU", response_hours=3, petugas="citra")
    _file(engine, 8, response_hours=1, petugas="budi", days_before=400)  # another year


def test_figures_per_inbox_and_petugas(engine: Engine) -> None:
    _seed(engine)
    with Session(engine) as s:
        rows = response_times_by_assignee(session=s, calendar=CALENDAR, year=YEAR)
    got = [
        (r.inbox, r.username, r.received, r.response_median_hours, r.resolution_median_hours)
        for r in rows
    ]
    assert got == [
        ("LPJU", "citra", 1, 3.0, None),
        ("PDAM", "ayu", 3, 4.0, 25.0),  # medians of 2, 4, 6 and of 20, 30
        ("PDAM", "budi", 1, None, None),
        ("PDAM", None, 1, 1.0, None),
    ]
    with Session(engine) as s:
        pdam = response_times_by_assignee(session=s, calendar=CALENDAR, year=YEAR, inbox="PDAM")
        earlier = response_times_by_assignee(session=s, calendar=CALENDAR, year=YEAR - 1)
    assert [r.username for r in pdam] == ["ayu", "budi", None]
    assert [(r.username, r.received) for r in earlier] == [("budi", 1)]


def test_the_report_page_shows_them_to_kominfo_staff_not_to_viewers(engine: Engine) -> None:
    _seed(engine)
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    ops, _ = quick_client(engine, app, "ops", "operator")
    dashboard = ops.get(f"/?year={YEAR}").text
    assert f'href="/laporan/petugas?tahun={YEAR}"' in dashboard
    page = ops.get(f"/laporan/petugas?tahun={YEAR}").text
    assert 'id="per-petugas"' in page and "(ayu)" in page and "(citra)" in page
    lpju = ops.get(f"/laporan/petugas?tahun={YEAR}&inbox=LPJU").text
    assert "(citra)" in lpju and "(ayu)" not in lpju
    assert "Tidak ada pengaduan pada tahun" in ops.get("/laporan/petugas?tahun=2001").text
    viewer, _ = quick_client(engine, app, "lihat", "viewer")
    dashboard = viewer.get(f"/?year={YEAR}").text
    assert "Laporan tahunan" in dashboard and "/laporan/petugas" not in dashboard
    assert viewer.get(f"/laporan/petugas?tahun={YEAR}").status_code == 403


def test_an_agency_sees_only_its_own_people(engine: Engine) -> None:
    _seed(engine)
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    head: TestClient = quick_client(engine, app, "pdam_kepala", "agency", "PDAM")[0]
    assert 'href="/laporan/petugas?inbox=PDAM"' in head.get("/beban-kerja").text
    page = head.get(f"/laporan/petugas?tahun={YEAR}&inbox=LPJU").text
    assert 'id="per-petugas"' in page
    assert "(ayu)" in page and "(budi)" in page
    assert "(citra)" not in page  # another agency's petugas: never, whatever is asked
