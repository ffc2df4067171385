"""Working-day deadlines on Denpasar's local calendar, with the package's real holidays."""

import random
from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from holidays.constants import GOVERNMENT, PUBLIC

from lifecycle.deadlines import ServiceDays, WorkingCalendar, deadline_fn
from models.exceptions import ConfigError
from models.wita import WITA

CAL = WorkingCalendar("ID", years=[2026])
YEARS = (2025, 2026, 2027)


def wita(y: int, mo: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=WITA)


def end_of(y: int, mo: int, d: int) -> datetime:
    """The last moment of a WITA day, in UTC: 15:59:59.999999 UTC."""
    return datetime(y, mo, d, 15, 59, 59, 999999, tzinfo=UTC)


def _reference_days_off(cuti_bersama: bool = True) -> set[date]:
    """Straight from the package, independently of WorkingCalendar's caching and counting."""
    cats = (PUBLIC, GOVERNMENT) if cuti_bersama else (PUBLIC,)
    return set(holidays.country_holidays("ID", years=YEARS, categories=cats))


def _reference_add(start: datetime, n: int, off: set[date]) -> datetime:
    day = start.astimezone(WITA).date()
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            n -= 1
    return datetime.combine(day, datetime.max.time(), tzinfo=WITA).astimezone(UTC)


# --- the package and the fixed holidays -------------------------------------------------


def test_fixed_national_holidays_are_days_off() -> None:
    # 17 August 2026 is a Monday, 25 December 2026 a Friday: both would be working days.
    assert date(2026, 8, 17) in CAL.holidays(2026)
    assert date(2026, 12, 25) in CAL.holidays(2026)
    assert not CAL.is_working_day(date(2026, 8, 17))
    assert not CAL.is_working_day(date(2026, 12, 25))
    assert CAL.is_working_day(date(2026, 8, 18))  # an ordinary Tuesday


def test_every_weekday_holiday_of_the_package_is_a_day_off() -> None:
    public = holidays.country_holidays("ID", years=2026)
    weekday_holidays = [d for d in public if d.weekday() < 5]
    assert len(weekday_holidays) >= 8  # Indonesia has about fifteen public holidays
    for day in weekday_holidays:
        assert not CAL.is_working_day(day), (day, public[day])


def test_cuti_bersama_come_from_the_package_and_can_be_left_out() -> None:
    joint = holidays.country_holidays("ID", years=2026, categories=GOVERNMENT)
    weekdays = sorted(d for d in joint if d.weekday() < 5)
    # pyproject requires a holidays release that lists 2026's cuti bersama.
    assert weekdays, "this holidays version has no cuti bersama for 2026"
    without = WorkingCalendar("ID", cuti_bersama=False)
    for day in weekdays:
        assert not CAL.is_working_day(day)
        assert without.is_working_day(day) == (day not in holidays.country_holidays("ID"))


def test_weekends_are_days_off_and_not_listed_as_holidays() -> None:
    assert not CAL.is_working_day(date(2026, 11, 21))  # Saturday
    assert not CAL.is_working_day(date(2026, 11, 22))  # Sunday
    assert all(d.weekday() < 5 for d in CAL.holidays(2026))


def test_extra_regional_holidays_are_days_off() -> None:
    galungan = date(2026, 11, 25)  # any Wednesday stands in for a Bali-only day off
    cal = WorkingCalendar("ID", extra_holidays=[galungan])
    assert CAL.is_working_day(galungan) and not cal.is_working_day(galungan)
    assert cal.add_working_days(wita(2026, 11, 20), 3) == end_of(2026, 11, 26)


def test_unknown_country_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no country 'XX'"):
        WorkingCalendar("XX")


# --- the convention -----------------------------------------------------------------------


def test_friday_evening_with_three_working_days_is_due_at_the_end_of_wednesday() -> None:
    # November 2026 has no holidays: only the weekend is skipped.
    due = CAL.add_working_days(wita(2026, 11, 20, 19, 45), 3)
    assert due == end_of(2026, 11, 25)
    assert due.astimezone(WITA).strftime("%a %d %H:%M:%S") == "Wed 25 23:59:59"
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        (wita(2026, 11, 20, 0, 1), end_of(2026, 11, 25)),  # Friday, just after midnight
        (wita(2026, 11, 21, 10), end_of(2026, 11, 25)),  # Saturday
        (wita(2026, 11, 22, 23, 59), end_of(2026, 11, 25)),  # Sunday night
        (wita(2026, 11, 23, 8), end_of(2026, 11, 26)),  # Monday: the filing day never counts
        (wita(2026, 11, 19, 23, 59), end_of(2026, 11, 24)),  # Thursday night
    ],
)
def test_the_filing_day_never_counts_and_weekends_roll_forward(
    filed: datetime, due: datetime
) -> None:
    assert CAL.add_working_days(filed, 3) == due


def test_filed_on_a_holiday_counts_from_the_next_working_day() -> None:
    # Independence Day, Monday 17 August 2026: Tuesday is the first of the three days.
    filed = wita(2026, 8, 17, 9)
    assert CAL.add_working_days(filed, 3) == _reference_add(filed, 3, _reference_days_off())
    assert CAL.add_working_days(filed, 1) == end_of(2026, 8, 18)
    # Christmas (Friday 25 December 2026) and the weekend after it are skipped.
    assert CAL.add_working_days(wita(2026, 12, 25, 9), 1) == CAL.add_working_days(
        wita(2026, 12, 27, 9), 1
    )


def test_a_holiday_inside_the_span_adds_a_day() -> None:
    # Friday 14 Aug 2026 + 3 would be Wednesday 19; Monday the 17th is Independence Day.
    filed = wita(2026, 8, 14, 16)
    due = CAL.add_working_days(filed, 3)
    assert due >= end_of(2026, 8, 20)
    assert due == _reference_add(filed, 3, _reference_days_off())


def test_wita_not_utc_decides_the_day() -> None:
    # 23:30 UTC on Thursday is 07:30 WITA on Friday: received Friday, due Wednesday.
    late_utc = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    assert CAL.local_date(late_utc) == date(2026, 11, 20)
    assert CAL.add_working_days(late_utc, 3) == end_of(2026, 11, 25)
    # 15:59 UTC on Thursday is still Thursday (23:59 WITA): due Tuesday.
    assert CAL.add_working_days(datetime(2026, 11, 19, 15, 59, tzinfo=UTC), 3) == end_of(
        2026, 11, 24
    )
    # 16:00 UTC is midnight WITA: Friday.
    assert CAL.add_working_days(datetime(2026, 11, 19, 16, 0, tzinfo=UTC), 3) == end_of(
        2026, 11, 25
    )


def test_follow_up_counts_from_the_response_deadline() -> None:
    respond_by, follow_up_by = CAL.deadlines_for(wita(2026, 11, 20, 19))
    assert respond_by == end_of(2026, 11, 25)
    # Thu 26, Fri 27, Mon 30, Tue 1 Dec, Wed 2 Dec
    assert follow_up_by == end_of(2026, 12, 2)
    assert CAL.working_days_between(respond_by, follow_up_by) == 5
    fn = deadline_fn(CAL, ServiceDays(initial_response_days=1, follow_up_days=2))
    assert fn(wita(2026, 11, 20)) == (end_of(2026, 11, 23), end_of(2026, 11, 25))


def test_naive_datetimes_and_non_positive_days_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        CAL.add_working_days(datetime(2026, 11, 20, 12), 3)
    with pytest.raises(ValueError, match="at least one working day"):
        CAL.add_working_days(wita(2026, 11, 20), 0)


# --- against an independent day-by-day count over real years --------------------------


@pytest.mark.parametrize("n", [1, 3, 5, 8])
def test_every_day_of_2026_matches_a_day_by_day_count(n: int) -> None:
    off = _reference_days_off()
    cal = WorkingCalendar("ID")
    day = wita(2026, 1, 1, 10)
    while day.year == 2026:
        due = cal.add_working_days(day, n)
        assert due == _reference_add(day, n, off), day
        assert cal.working_days_between(day, due) == n
        day += timedelta(days=1)


def test_working_days_between_counts_across_years_and_backwards() -> None:
    off = _reference_days_off()
    rng = random.Random(5)
    base = wita(2025, 1, 1)
    for _ in range(300):
        a = base + timedelta(hours=rng.randrange(0, 2 * 365 * 24))
        b = a + timedelta(hours=rng.randrange(0, 120 * 24))
        expected = 0
        day = a.astimezone(WITA).date()
        while day < b.astimezone(WITA).date():
            day += timedelta(days=1)
            expected += day.weekday() < 5 and day not in off
        assert CAL.working_days_between(a, b) == expected, (a, b)
        assert CAL.working_days_between(b, a) == -expected
    same_day = wita(2026, 11, 20, 8), wita(2026, 11, 20, 20)
    assert CAL.working_days_between(*same_day) == 0
