"""Inbox list queries: filters, text search (wildcards are data), sorting and pages."""

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.complaint_search import ComplaintFilter, search_complaints, status_counts
from models.tables import Mention
from tests.support.complaints import NOW, four_complaints


def _texts(engine: Engine, **kw) -> list[int]:
    with Session(engine) as s:
        page = search_complaints(session=s, filter=ComplaintFilter(**kw), now=NOW)
        return [c.origin_mention_id for c in page.items]


def _origin(engine: Engine, n: int) -> int:
    with Session(engine) as s:
        found = s.exec(select(Mention.id).where(Mention.platform_id == str(1000 + n))).one()
        assert found is not None
        return found


def test_filters_combine(engine: Engine) -> None:
    four_complaints(engine)
    o = {n: _origin(engine, n) for n in range(1, 5)}
    assert _texts(engine, inbox="PDAM") == [o[1], o[2], o[4]]
    assert _texts(engine, inbox="PDAM", status="baru") == [o[1]]
    assert _texts(engine, kecamatan="Denpasar Selatan", sort="oldest") == [o[4], o[1]]
    assert _texts(engine, platform="facebook") == [o[2]]
    assert _texts(engine, overdue=True) == [o[1]]  # o[4] is resolved, not overdue
    assert _texts(engine, since=NOW - timedelta(days=2, hours=1)) == [o[1], o[2]]


def test_text_search_treats_wildcards_as_text(engine: Engine) -> None:
    four_complaints(engine)
    assert _texts(engine, text="SESETAN") == [_origin(engine, 1), _origin(engine, 4)]
    assert _texts(engine, text="100%") == [_origin(engine, 1)]
    assert _texts(engine, text="lampu_jalan") == [_origin(engine, 3)]
    assert _texts(engine, text="lampu%jalan") == []
    assert _texts(engine, text="'; DROP TABLE complaint; --") == []


def test_pages_and_counts(engine: Engine) -> None:
    four_complaints(engine)
    with Session(engine) as s:
        page = search_complaints(session=s, filter=ComplaintFilter(page=2, page_size=3), now=NOW)
        assert (page.total, page.pages, len(page.items)) == (4, 2, 1)
        counts = status_counts(
            session=s, filter=ComplaintFilter(inbox="PDAM", status="baru"), now=NOW
        )
    assert counts["baru"] == 1 and counts["respon_awal"] == 1 and counts["selesai"] == 1
    assert counts["ditindaklanjuti"] == 0


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"inbox": "PDAM"},
        {"inbox": "PDAM", "status": "baru"},
        {"text": "sesetan"},
        {"status": "ditindaklanjuti"},
        {"overdue": True},
    ],
)
def test_total_from_status_counts_equals_counting(engine: Engine, kw: dict[str, object]) -> None:
    four_complaints(engine)
    flt = ComplaintFilter(**kw)  # type: ignore[arg-type]
    with Session(engine) as s:
        counted = search_complaints(session=s, filter=flt, now=NOW)
        counts = status_counts(session=s, filter=flt, now=NOW)
        given = search_complaints(session=s, filter=flt, now=NOW, counts=counts)
    assert given.total == counted.total
    assert [c.id for c in given.items] == [c.id for c in counted.items]
