"""Response-time figures: working hours to response and follow-up, on time, reopenings."""

import csv
import io
import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lifecycle.deadlines import WorkingCalendar
from lifecycle.reports import percentile, response_csv, response_figures, response_times
from models.db import session_scope
from models.tables import StatusChange
from models.vocab import ComplaintStatus
from tests.support.api import bearer, client, tokens
from tests.support.lifecycle import CALENDAR, RECEIVED, Filing, file_all, inboxes

S = ComplaintStatus
#: Friday 27 November 2026, 20:00 WITA
FRIDAY_EVENING = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_working_hours_skip_weekends_and_holidays() -> None:
    monday_8 = FRIDAY_EVENING + timedelta(days=2, hours=12)  # Monday 08:00 WITA
    assert CALENDAR.working_hours_between(FRIDAY_EVENING, monday_8) == 4 + 8
    assert CALENDAR.working_hours_between(monday_8, FRIDAY_EVENING) == 0
    # 24 December 2026 is cuti bersama, 25 December Christmas: from Wednesday 23, 20:00
    # WITA to Saturday 26 only Wednesday's last 4 hours are working hours
    wednesday = datetime(2026, 12, 23, 12, 0, tzinfo=UTC)
    assert CALENDAR.working_hours_between(wednesday, wednesday + timedelta(days=3)) == 4


def _hours_day_by_day(start: datetime, end: datetime) -> float:
    """The plain definition: each local day's share of [start, end], if a working day."""
    tz = CALENDAR.tz
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day, total = local_start.date(), 0.0
    while day <= local_end.date():
        if CALENDAR.is_working_day(day):
            begin = datetime.combine(day, time(0), tzinfo=tz)
            span = min(begin + timedelta(days=1), local_end) - max(begin, local_start)
            total += max(span.total_seconds(), 0.0) / 3600
        day += timedelta(days=1)
    return total


def test_working_hours_by_arithmetic_match_the_day_by_day_count() -> None:
    # The report asks this for every complaint of a year; the whole days between are
    # counted by arithmetic. Random spans over holidays, weekends and year ends.
    rnd = random.Random(14)
    base = datetime(2025, 12, 1, tzinfo=UTC)
    for _ in range(400):
        start = base + timedelta(minutes=rnd.randrange(0, 60 * 24 * 500))
        end = start + timedelta(minutes=rnd.randrange(0, 60 * 24 * rnd.choice((1, 9, 90))))
        assert CALENDAR.working_hours_between(start, end) == pytest.approx(
            _hours_day_by_day(start, end), abs=1e-9
        )


def test_working_hours_of_many_spans_match_one_by_one() -> None:
    # The report's vectorised count (numpy's working-day calendar) against the plain
    # definition, over holidays, weekends, year ends, ends before starts and a span
    # within one day; a Balinese extra day off and a Friday-Saturday weekend as well.
    rnd = random.Random(15)
    base = datetime(2025, 12, 1, tzinfo=UTC)
    spans = []
    for _ in range(400):
        start = base + timedelta(minutes=rnd.randrange(0, 60 * 24 * 500))
        end = start + timedelta(minutes=rnd.randrange(-600, 60 * 24 * rnd.choice((1, 9, 90))))
        spans.append((start, end))
    for calendar in (
        CALENDAR,
        WorkingCalendar(extra_holidays=[date(2026, 3, 4)], weekend=frozenset({4, 5})),
    ):
        many = calendar.working_hours_many(spans)
        one_by_one = [calendar.working_hours_between(s, e) for s, e in spans]
        assert many.tolist() == pytest.approx(one_by_one, abs=1e-9)
    assert [_hours_day_by_day(s, e) for s, e in spans] == pytest.approx(
        CALENDAR.working_hours_many(spans).tolist(), abs=1e-9
    )
    assert CALENDAR.working_hours_many([]).tolist() == []


def test_percentile_interpolates() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.1


def _year(engine: Engine) -> list[int]:
    """Five PDAM complaints received Monday 23 November 10:00 WITA, one LPJU in October."""
    hours = timedelta(hours=1)
    filings = [
        # responded after 2, 4 and 30 (weekday) hours; followed up after 4 working days
        Filing(1, extra={"responded_at": RECEIVED + 2 * hours}),
        Filing(2, extra={"responded_at": RECEIVED + 4 * hours}),
        Filing(
            3,
            extra={
                "responded_at": RECEIVED + 30 * hours,
                "followed_up_at": RECEIVED + timedelta(days=4),
            },
        ),
        # never answered: late once its deadline passed
        Filing(4),
        # refused: left out
        Filing(5, status=S.BUKAN_WEWENANG),
        Filing(
            6,
            inbox="LPJU",
            category="LPJU",
            received=RECEIVED - timedelta(days=40),
            extra={"responded_at": RECEIVED - timedelta(days=30)},
        ),
    ]
    ids = file_all(engine, filings, inboxes())
    with session_scope(engine) as s:
        s.add(
            StatusChange(
                complaint_id=ids[2],
                actor="router",
                from_status=S.SELESAI,
                to_status=S.DITINDAKLANJUTI,
                note="dibuka kembali",
            )
        )
    return ids


def test_figures_per_inbox_and_month(engine: Engine) -> None:
    _year(engine)
    now = RECEIVED + timedelta(days=20)
    with Session(engine) as s:
        rows = response_times(session=s, calendar=CALENDAR, year=2026, now=now)
        yearly = response_times(session=s, calendar=CALENDAR, year=2026, now=now, by_month=False)
    assert [(r.inbox, r.month, r.received) for r in rows] == [
        ("LPJU", "2026-10", 1),
        ("PDAM", "2026-11", 4),
    ]
    pdam = rows[1]
    assert pdam.response_median_hours == 4.0
    assert pdam.response_p90_hours == 24.8  # 4 + 0.8 * (30 - 4)
    # three answered on time, one late (undone past its deadline)
    assert pdam.response_on_time_pct == 75.0
    assert pdam.follow_up_median_hours == 4 * 24  # Monday to Friday, all working days
    assert pdam.follow_up_on_time_pct == 25.0
    assert pdam.reopened == 1
    lpju = rows[0]
    # Wednesday 14 October 10:00 WITA to Saturday 24: 14 h that Wednesday, Thursday and
    # Friday, then Monday to Friday; the weekends do not count
    assert lpju.response_median_hours == 14 + 2 * 24 + 5 * 24
    assert lpju.response_on_time_pct == 0.0
    assert [(r.inbox, r.month, r.received) for r in yearly] == [
        ("LPJU", None, 1),
        ("PDAM", None, 4),
    ]
    table = list(csv.reader(io.StringIO(response_csv(rows))))
    assert table[0][:3] == ["inbox", "bulan", "diterima"]
    assert table[2][:6] == ["PDAM", "2026-11", "4", "4.0", "24.8", "75.0"]


def test_one_read_gives_both_tables_and_an_inbox_alone(engine: Engine) -> None:
    """The dashboard reads the year once for both tables; an inbox's figures (the API's
    agency scope) are its rows of the whole city's, reopenings included."""
    _year(engine)
    now = RECEIVED + timedelta(days=20)
    with Session(engine) as s:
        both = response_figures(session=s, calendar=CALENDAR, year=2026, now=now)
        monthly = response_times(session=s, calendar=CALENDAR, year=2026, now=now)
        yearly = response_times(session=s, calendar=CALENDAR, year=2026, now=now, by_month=False)
        pdam = response_figures(session=s, calendar=CALENDAR, year=2026, now=now, inbox="PDAM")
    assert (both.monthly, both.yearly) == (monthly, yearly)
    assert [r.inbox for r in both.yearly] == ["LPJU", "PDAM"]
    assert pdam.yearly == [r for r in yearly if r.inbox == "PDAM"]
    assert pdam.monthly == [r for r in monthly if r.inbox == "PDAM"]
    assert pdam.yearly[0].reopened == 1


def test_figures_in_the_api_and_as_csv(engine: Engine) -> None:
    _year(engine)
    api, tok = client(engine), tokens(engine)
    rows = api.get("/api/v1/reports/response-times?year=2026", headers=bearer(tok["viewer"]))
    assert rows.status_code == 200
    assert [(r["inbox"], r["month"]) for r in rows.json()] == [
        ("LPJU", "2026-10"),
        ("PDAM", "2026-11"),
    ]
    assert rows.json()[1]["reopened"] == 1
    own = api.get("/api/v1/reports/response-times?year=2026&by=year", headers=bearer(tok["agency"]))
    assert [(r["inbox"], r["month"]) for r in own.json()] == [("PDAM", None)]
    sheet = api.get(
        "/api/v1/reports/response-times?year=2026&format=csv", headers=bearer(tok["operator"])
    )
    assert sheet.headers["content-type"].startswith("text/csv")
    assert sheet.text.splitlines()[2].startswith("PDAM,2026-11,4,4.0,24.8")
    assert (
        api.get("/api/v1/reports/response-times?year=1", headers=bearer(tok["viewer"])).status_code
        == 422
    )
