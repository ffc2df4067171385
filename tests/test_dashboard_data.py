"""Dashboard aggregates and charts."""

from datetime import timedelta
from xml.etree import ElementTree

from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.charts import bar_chart, volume_chart
from models.dashboard import status_totals, top_places, volume_by_day
from tests.test_complaint_search import NOW, _fill


def test_volume_by_day_by_category_inbox_and_platform(engine: Engine) -> None:
    _fill(engine)
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
    _fill(engine)
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
