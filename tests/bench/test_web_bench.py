"""The web benchmark (bench/web_bench.py) on a tiny SQLite store, so it does not rot."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bench import web_bench
from lifecycle.status import check_transition
from models.complaint_search import ComplaintFilter, search_complaints
from models.db import make_engine
from models.migrate import upgrade
from models.tables import Complaint, ComplaintMention, Mention, StatusChange
from models.types import utcnow
from models.vocab import ComplaintStatus

N = 300


@pytest.fixture
def filled(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
    upgrade(engine)
    stats = web_bench.fill(engine, N, web_bench.load_world(), utcnow(), seed=3)
    assert (stats.complaints, stats.mentions, stats.links) == (N, N, N)
    assert stats.status_changes > N
    return engine


def test_fill_spreads_complaints_like_the_city_would(filled: Engine) -> None:
    now = utcnow()
    with Session(filled) as s:
        complaints = list(s.exec(select(Complaint)))
        linked = s.exec(
            select(func.count())
            .select_from(ComplaintMention)
            .join(Complaint, col(Complaint.id) == col(ComplaintMention.complaint_id))
            .where(col(ComplaintMention.mention_id) == col(Complaint.origin_mention_id))
        ).one()
        platforms = set(s.exec(select(Mention.platform).distinct()))
        history = list(s.exec(select(StatusChange).order_by(col(StatusChange.id))))
    assert linked == N
    assert platforms == {"twitter", "facebook", "instagram"}
    assert len({c.inbox for c in complaints}) >= 10
    assert {c.status for c in complaints} >= {ComplaintStatus.BARU, ComplaintStatus.SELESAI}
    assert sum(c.kecamatan is not None for c in complaints) > N * 0.7
    assert all(c.respond_by and c.follow_up_by for c in complaints)
    overdue = [c for c in complaints if c.status == ComplaintStatus.BARU and c.respond_by]
    assert any(c.respond_by is not None and c.respond_by < now for c in overdue)
    assert all(now - c.created_at < timedelta(days=731) for c in complaints)
    # Each history is a path the lifecycle allows, in time order, ending at the status.
    last: dict[int, str] = {}
    when: dict[int, datetime] = {}
    for change in history:
        if change.from_status is None:
            assert change.to_status == ComplaintStatus.BARU
        else:
            assert last[change.complaint_id] == change.from_status
            assert when[change.complaint_id] < change.at < now
            check_transition(change.from_status, change.to_status, change.complaint_id)
        last[change.complaint_id], when[change.complaint_id] = change.to_status, change.at
    assert last == {c.id: c.status for c in complaints}


def test_an_inbox_page_and_its_query_are_timed(filled: Engine) -> None:
    now = utcnow()
    agency_client, _ = web_bench.signed_in_clients(filled, web_bench.load_world().policy)
    case = next(c for c in web_bench.inbox_cases(now) if c.label == "status=baru")
    page = web_bench.time_page(agency_client, f"/inbox/{web_bench.AGENCY}", case.params, 2, 1)
    _, counts = web_bench.time_query(filled, web_bench.counter(case.filter, now), 2, 1)
    searcher = web_bench.searcher(case.filter, now, counts)
    query, result = web_bench.time_query(filled, searcher, 2, 1)
    assert page.status == 200 and page.size and page.median_ms > 0
    assert query.median_ms <= query.p95_ms
    with Session(filled) as s:
        expected = search_complaints(
            session=s, filter=ComplaintFilter(inbox=web_bench.AGENCY, status="baru"), now=now
        ).total
    assert result.total == expected > 0


def test_the_whole_bench_runs_on_a_tiny_sqlite_store(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--store", "sqlite", "--complaints", str(N), "--requests", "2", "--warmup", "0"]
    assert web_bench.main(args) == 0
    out = capsys.readouterr().out
    assert f"SQLite: {N:,} complaints" in out
    assert "/ dashboard (admin)" in out and "query: yearly_report" in out
    assert "/pengaduan-saya (agency)" in out and "saved view: Baru" in out
    assert "/pengaduan-saya?semua=1 (agency)" in out and "/beban-kerja (agency)" in out
    assert "/laporan/petugas (agency, report)" in out
    assert f"bulk export: {web_bench.MAX_BULK} ticked (agency)" in out
    assert "p95 / unfiltered inbox page p95" in out and "load average" in out
    assert "q=bocor" in out and "target: a filtered inbox page under 150 ms" in out
