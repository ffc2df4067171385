"""Inbox list queries: filters, text search (wildcards are data), sorting and pages."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.agencies import sync_agencies
from models.complaint_search import ComplaintFilter, search_complaints, status_counts
from models.complaints import file_complaint
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Mention
from tests.support.factories import agencies, mention

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def _fill(engine: Engine) -> None:
    rows = [
        # (n, platform, text, inbox, status, kecamatan, respond_by offset hours)
        (1, "twitter", "air mati di sesetan 100% parah", "PDAM", "baru", "Denpasar Selatan", -5),
        (2, "facebook", "air keruh di ubung", "PDAM", "respon_awal", "Denpasar Utara", 10),
        (3, "instagram", "lampu_jalan mati", "LPJU", "baru", "Denpasar Barat", 10),
        (4, "twitter", "pipa bocor sesetan", "PDAM", "selesai", "Denpasar Selatan", -50),
    ]
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s, mentions=[mention(n, platform=p, text=t) for n, p, t, *_ in rows]
        )
    with session_scope(engine) as s:
        for n, _, _, inbox, status, kec, hours in rows:
            m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()
            c = file_complaint(session=s, mention=m, category=inbox, inbox=inbox, confidence=0.9,
                               routed_by="t", details={"kecamatan": kec,
                               "respond_by": NOW + timedelta(hours=hours),
                               "follow_up_by": NOW + timedelta(days=7)})  # fmt: skip
            assert c is not None
            c.status = status
            c.created_at = NOW - timedelta(days=n)
            s.add(c)


def _texts(engine: Engine, **kw) -> list[int]:
    with Session(engine) as s:
        page = search_complaints(session=s, filter=ComplaintFilter(**kw), now=NOW)
        return [c.origin_mention_id for c in page.items]


def _origin(engine: Engine, n: int) -> int:
    with Session(engine) as s:
        return s.exec(select(Mention.id).where(Mention.platform_id == str(1000 + n))).one()


def test_filters_combine(engine: Engine) -> None:
    _fill(engine)
    o = {n: _origin(engine, n) for n in range(1, 5)}
    assert _texts(engine, inbox="PDAM") == [o[1], o[2], o[4]]
    assert _texts(engine, inbox="PDAM", status="baru") == [o[1]]
    assert _texts(engine, kecamatan="Denpasar Selatan", sort="oldest") == [o[4], o[1]]
    assert _texts(engine, platform="facebook") == [o[2]]
    assert _texts(engine, overdue=True) == [o[1]]  # o[4] is resolved, not overdue
    assert _texts(engine, since=NOW - timedelta(days=2, hours=1)) == [o[1], o[2]]


def test_text_search_treats_wildcards_as_text(engine: Engine) -> None:
    _fill(engine)
    assert _texts(engine, text="SESETAN") == [_origin(engine, 1), _origin(engine, 4)]
    assert _texts(engine, text="100%") == [_origin(engine, 1)]
    assert _texts(engine, text="lampu_jalan") == [_origin(engine, 3)]
    assert _texts(engine, text="lampu%jalan") == []
    assert _texts(engine, text="'; DROP TABLE complaint; --") == []


def test_pages_and_counts(engine: Engine) -> None:
    _fill(engine)
    with Session(engine) as s:
        page = search_complaints(session=s, filter=ComplaintFilter(page=2, page_size=3), now=NOW)
        assert (page.total, page.pages, len(page.items)) == (4, 2, 1)
        counts = status_counts(session=s, filter=ComplaintFilter(inbox="PDAM", status="baru"),
                               now=NOW)  # fmt: skip
    assert counts["baru"] == 1 and counts["respon_awal"] == 1 and counts["selesai"] == 1
    assert counts["ditindaklanjuti"] == 0


@pytest.mark.parametrize(
    "kw",
    [{}, {"inbox": "PDAM"}, {"inbox": "PDAM", "status": "baru"}, {"text": "sesetan"},
     {"status": "ditindaklanjuti"}, {"overdue": True}],
)  # fmt: skip
def test_total_from_status_counts_equals_counting(engine: Engine, kw: dict[str, object]) -> None:
    _fill(engine)
    flt = ComplaintFilter(**kw)  # type: ignore[arg-type]
    with Session(engine) as s:
        counted = search_complaints(session=s, filter=flt, now=NOW)
        counts = status_counts(session=s, filter=flt, now=NOW)
        given = search_complaints(session=s, filter=flt, now=NOW, counts=counts)
    assert given.total == counted.total
    assert [c.id for c in given.items] == [c.id for c in counted.items]
