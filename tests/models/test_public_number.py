"""Public complaint numbers: format, per-year sequence, concurrency, migration, search."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.agencies import sync_agencies
from models.complaint_search import ComplaintFilter, search_complaints
from models.complaints import attach_mention, file_complaint
from models.db import make_engine, session_scope
from models.mentions import insert_mentions
from models.migrate import upgrade
from models.public_number import format_number, next_numbers, normalize_number, wita_year
from models.tables import Complaint, Mention
from models.types import utcnow
from tests.support.factories import agencies, mention
from tests.support.numbers import number


def _mentions(engine: Engine, count: int, **kw: object) -> list[Mention]:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=[mention(n, **kw) for n in range(1, count + 1)])  # type: ignore[arg-type]
    with Session(engine) as s:
        return list(s.exec(select(Mention).order_by(Mention.id)))  # type: ignore[arg-type]


def _file(engine: Engine, m: Mention, *, prefix: str = "DPS", at: datetime | None = None) -> str:
    with session_scope(engine) as s:
        m = s.merge(m)
        c = file_complaint(
            session=s,
            mention=m,
            category="PDAM",
            inbox="PDAM",
            confidence=0.9,
            routed_by="test",
            details={"created_at": at} if at else None,
            number_prefix=prefix,
        )
        assert c is not None
        return c.public_number


def test_format_and_normalize() -> None:
    assert format_number("DPS", 2026, 123) == "DPS-26-00123"
    assert format_number("DPS", 2030, 123456) == "DPS-30-123456"
    assert normalize_number(" dps-26-123 ") == "DPS-26-00123"
    assert normalize_number("DPS-26-00123") == "DPS-26-00123"
    for junk in ("", "123", "DPS-2026-1", "DPS 26 1", "D-26-1", "DPS-26-", "'; drop"):
        assert normalize_number(junk) is None


def test_the_year_is_denpasars() -> None:
    # 31 Dec 2026 17:00 UTC is 1 Jan 2027 01:00 WITA.
    assert wita_year(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == 2026
    assert wita_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 2027


def test_filing_numbers_each_wita_year_from_one(engine: Engine) -> None:
    ms = _mentions(engine, 4)
    late = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)
    assert _file(engine, ms[0], at=late) == "DPS-26-00001"
    assert _file(engine, ms[1], at=late) == "DPS-26-00002"
    assert _file(engine, ms[2], at=late + timedelta(hours=2)) == "DPS-27-00001"
    assert _file(engine, ms[3], prefix="BDG", at=late) == "BDG-26-00001"


def test_a_rolled_back_filing_takes_no_number_and_a_refiling_none_twice(engine: Engine) -> None:
    ms = _mentions(engine, 2)
    with Session(engine) as s:
        m = s.merge(ms[0])
        file_complaint(
            session=s, mention=m, category="PDAM", inbox="PDAM", confidence=None, routed_by="t"
        )
        s.rollback()
    first = _file(engine, ms[0])
    with session_scope(engine) as s:
        again = file_complaint(
            session=s,
            mention=s.merge(ms[0]),
            category="PDAM",
            inbox="PDAM",
            confidence=None,
            routed_by="t",
        )
        assert again is None
    second = _file(engine, ms[1])
    assert first == number(1)
    # The lost race drew a number that no complaint holds: a gap, never a repeat.
    assert second == number(3)


def test_concurrent_filing_never_draws_a_number_twice(engine: Engine) -> None:
    workers = 6
    ms = _mentions(engine, workers * 3)
    start = Barrier(workers)

    def file_three(k: int) -> list[str]:
        start.wait()
        return [_file(engine, ms[k * 3 + i]) for i in range(3)]

    with ThreadPoolExecutor(workers) as pool:
        drawn = [n for part in pool.map(file_three, range(workers)) for n in part]
    assert sorted(drawn) == [number(i) for i in range(1, workers * 3 + 1)]


def test_the_number_stays_when_reports_join(engine: Engine) -> None:
    ms = _mentions(engine, 2)
    number = _file(engine, ms[0])
    with session_scope(engine) as s:
        c = s.exec(select(Complaint)).one()
        attach_mention(
            session=s, complaint=c, mention=s.merge(ms[1]), reason="duplicate", actor="t"
        )
    with Session(engine) as s:
        assert s.exec(select(Complaint)).one().public_number == number


def test_an_orm_added_complaint_is_numbered_too(engine: Engine) -> None:
    ms = _mentions(engine, 2)
    _file(engine, ms[0])
    with session_scope(engine) as s:
        s.add(
            Complaint(origin_mention_id=ms[1].id or 0, category="PDAM", inbox="PDAM", routed_by="t")
        )
    with Session(engine) as s:
        numbers = sorted(c.public_number for c in s.exec(select(Complaint)))
    assert numbers == [number(1), number(2)]


def test_search_finds_a_complaint_by_its_number_in_any_case(engine: Engine) -> None:
    ms = _mentions(engine, 3)
    for m in ms:
        _file(engine, m)
    with Session(engine) as s:
        yy = number(2)[4:6]
        for typed in (number(2), f"dps-{yy}-2", f" DPS-{yy}-0002 "):
            found = search_complaints(session=s, filter=ComplaintFilter(text=typed), now=utcnow())
            assert [c.public_number for c in found.items] == [number(2)]


def test_migration_numbers_existing_complaints_and_counters_continue(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine, "0007_personal_data")
        times = [
            datetime(2025, 12, 31, 17, 0, tzinfo=UTC),  # 2026 in WITA
            datetime(2025, 12, 31, 15, 0, tzinfo=UTC),  # still 2025 in WITA
            datetime(2026, 3, 1, 1, 0, tzinfo=UTC),
        ]
        meta = sa.MetaData()
        meta.reflect(engine, only=["agency", "mention", "complaint"])
        with engine.begin() as conn:
            conn.execute(
                meta.tables["agency"].insert(),
                [{"code": "PDAM", "name": "PDAM", "external": False}],
            )
            for i, when in enumerate(times, start=1):
                mention_row = {
                    "platform": "twitter",
                    "platform_id": str(i),
                    "source": "t",
                    "author_handle": "a",
                    "author_name": "",
                    "text": "air mati",
                    "url": "",
                    "created_at": when,
                    "fetched_at": when,
                    "raw": {},
                    "state": "filed",
                }
                mid = conn.execute(
                    meta.tables["mention"].insert().returning(meta.tables["mention"].c.id),
                    [mention_row],
                ).scalar_one()
                complaint_row = {
                    "category": "PDAM",
                    "inbox": "PDAM",
                    "status": "baru",
                    "reporters": 1,
                    "confidential": False,
                    "origin_mention_id": mid,
                    "routed_by": f"t{i}",
                    "created_at": when,
                    "updated_at": when,
                }
                conn.execute(meta.tables["complaint"].insert(), [complaint_row])
        upgrade(engine)
        with Session(engine) as s:
            got = {c.routed_by: c.public_number for c in s.exec(select(Complaint))}
        assert got == {"t2": "DPS-25-00001", "t1": "DPS-26-00001", "t3": "DPS-26-00002"}
        with session_scope(engine) as s:
            insert_mentions(session=s, mentions=[mention(9)])
        with Session(engine) as s:
            m9 = s.exec(select(Mention).where(Mention.platform_id == "1009")).one()
        assert _file(engine, m9, at=datetime(2026, 5, 1, tzinfo=UTC)) == "DPS-26-00003"
    finally:
        engine.dispose()


def test_a_block_of_numbers_follows_single_draws_and_is_never_drawn_again(engine: Engine) -> None:
    ms = _mentions(engine, 2)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    assert _file(engine, ms[0], at=at) == "DPS-26-00001"
    with session_scope(engine) as s:
        block = next_numbers(s.connection(), prefix="DPS", filed_at=at, count=3)
    assert block == ["DPS-26-00002", "DPS-26-00003", "DPS-26-00004"]
    assert _file(engine, ms[1], at=at) == "DPS-26-00005"
    with session_scope(engine) as s, pytest.raises(ValueError, match="at least 1, not 0"):
        next_numbers(s.connection(), prefix="DPS", filed_at=at, count=0)
