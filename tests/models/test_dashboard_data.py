"""Dashboard aggregates and charts."""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inbox.charts import bar_chart, short, volume_chart
from models.dashboard import (
    complaint_years,
    count_dead_letters,
    dead_letters,
    status_totals,
    top_places,
    volume_by_day,
)
from models.db import session_scope
from models.tables import Complaint, Outbox
from tests.support.complaints import NOW, four_complaints


def test_volume_by_day_by_category_inbox_and_platform(engine: Engine) -> None:
    four_complaints(engine)
    with Session(engine) as s:
        since = NOW - timedelta(days=30)
        by_inbox = volume_by_day(session=s, since=since, by="inbox")
        by_platform = volume_by_day(session=s, since=since, by="platform")
        pdam_only = volume_by_day(session=s, since=since, by="category", inbox="PDAM")
    assert sum(n for day in by_inbox.values() for n in day.values()) == 4
    assert sum(day.get("twitter", 0) for day in by_platform.values()) == 2
    assert {k for day in pdam_only.values() for k in day} == {"PDAM"}
    assert list(by_inbox) == sorted(by_inbox)


def test_top_places_and_status_totals(engine: Engine) -> None:
    four_complaints(engine)
    with Session(engine) as s:
        places = top_places(session=s, since=NOW - timedelta(days=30))
        totals = status_totals(session=s)
    assert places[0] == ("Denpasar Selatan", 2)
    assert totals == {"baru": 2, "respon_awal": 1, "selesai": 1}


def test_charts_are_svg_with_their_labels_escaped() -> None:
    svg = volume_chart({"2026-11-27": {"PDAM": 2, "<b>": 1}}, "Volume")
    root = ElementTree.fromstring(svg)  # well-formed XML: nothing leaked unescaped
    assert root.tag.endswith("svg")
    assert b"<b>" not in svg
    empty = bar_chart([], "Lokasi")
    assert ElementTree.fromstring(empty).tag.endswith("svg")


def test_volume_days_are_denpasar_days(engine: Engine) -> None:
    four_complaints(engine)
    with session_scope(engine) as s:
        late = s.exec(select(Complaint).order_by(col(Complaint.id))).first()
        assert late is not None
        # 23:30 UTC on the 27th is 07:30 WITA on the 28th.
        late.created_at = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    with Session(engine) as s:
        by_day = volume_by_day(session=s, since=NOW - timedelta(days=30), by="category")
        assert by_day["2026-11-28"] == {"PDAM": 1}
        assert "2026-11-27" not in by_day  # the UTC day it would have counted on
        assert complaint_years(session=s) == (2026, 2026)


def test_complaint_years_are_denpasar_years(engine: Engine) -> None:
    four_complaints(engine)
    with session_scope(engine) as s:
        first = s.exec(select(Complaint).order_by(col(Complaint.id))).first()
        assert first is not None
        # 17:00 UTC on 31 December 2025 is already 2026 in Denpasar.
        first.created_at = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)
    with Session(engine) as s:
        assert complaint_years(session=s) == (2026, 2026)
    with session_scope(engine) as s:
        first = s.exec(select(Complaint).order_by(col(Complaint.id))).first()
        assert first is not None
        first.created_at = datetime(2025, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 WITA
    with Session(engine) as s:
        assert complaint_years(session=s) == (2025, 2026)


def test_years_and_dead_letters_of_an_empty_store(engine: Engine) -> None:
    with Session(engine) as s:
        assert complaint_years(session=s) is None
        assert count_dead_letters(session=s) == 0
        assert dead_letters(session=s) == []


def test_dead_letters_are_counted_and_listed_newest_first(engine: Engine) -> None:
    four_complaints(engine)
    with session_scope(engine) as s:
        complaint_id = s.exec(select(Complaint.id)).first()
        assert complaint_id is not None
        for status in ("dead", "sent", "dead", "pending"):
            s.add(
                Outbox(
                    complaint_id=complaint_id, agency_code="PDAM", channel="email", status=status
                )
            )
    with Session(engine) as s:
        assert count_dead_letters(session=s) == 2
        listed = dead_letters(session=s)
        assert [o.status for o in listed] == ["dead", "dead"]
        assert listed[0].id is not None and listed[1].id is not None
        assert listed[0].id > listed[1].id


def test_chart_labels_are_shortened_and_never_parsed_as_math() -> None:
    long_label = "x" * 5000
    svg = bar_chart([("$\\frac{a", 3), (long_label, 2), ("<script>alert(1)</script>", 1)], "$")
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    assert b"<script" not in svg
    assert b"x" * 41 not in svg
    assert short(long_label) == "x" * 39 + "…"
    assert short("  a\n b ") == "a b"
    days = {f"2026-11-{d:02}": ({"$x": 1} if d % 2 else {}) for d in range(1, 31)}
    assert ElementTree.fromstring(volume_chart(days, "Volume")).tag.endswith("svg")
