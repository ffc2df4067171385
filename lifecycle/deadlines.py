"""Service deadlines in working days, on the city's local calendar.

The convention (SP4N-LAPOR! practice, "3 hari kerja sejak diterima"):

* Days are the **local dates in Asia/Makassar (WITA, UTC+8)**: a complaint stored at
  23:30 UTC on a Thursday was received on Friday, Denpasar time.
* The day a complaint is received never counts, whatever the hour; counting starts at
  the next working day. A complaint received on Friday evening, Saturday or Sunday with
  3 working days is due on Wednesday; one received on a holiday also counts from the
  next working day.
* A deadline is the **end** of its last working day: 23:59:59.999999 WITA, stored as an
  aware UTC datetime (15:59:59.999999 UTC). A complaint is overdue once ``now`` is later
  than its deadline; an action at any moment of the last day is on time.
* The follow-up deadline counts ``follow_up_days`` working days after the initial
  response deadline's day (3 + 5 = 8 working days after receipt by default).

Working days exclude Saturday, Sunday, the public holidays of the maintained
``holidays`` package (``holidays.country_holidays("ID")``) and, by default, its
GOVERNMENT category, which for Indonesia holds the *cuti bersama* (joint leave days set
each year by the SKB of three ministers, when government offices close). City agencies
follow the civil-service calendar, so cuti bersama are not working days for them.
Regional days off the package does not know (Bali's Galungan and Kuningan leave, for
instance) are given as ``extra_holidays``.

Deadlines are computed once, when a complaint is filed, and stored; upgrading the
package (which adds cuti bersama when a new year's decree is published, usually in
September of the year before) never moves deadlines already set. Keep the package
current each year: a release without next year's decree counts its cuti bersama as
working days.
"""

import bisect
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

import holidays
from holidays.constants import GOVERNMENT, PUBLIC

from models.exceptions import ConfigError
from models.wita import WITA

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: the last representable moment of a day, so "due on day D" includes all of D
END_OF_DAY = time(23, 59, 59, 999999)
#: the weekend, as ``date.weekday()`` numbers
SATURDAY_SUNDAY = frozenset({5, 6})


class DeadlineRules(Protocol):
    """How many working days each step may take (``aduan.settings.DeadlineConfig`` fits)."""

    @property
    def initial_response_days(self) -> int:
        """Working days from receipt to the initial response."""
        ...

    @property
    def follow_up_days(self) -> int:
        """Working days from the response deadline to the field follow-up."""
        ...


@dataclass(frozen=True)
class ServiceDays:
    """Working days to initial response and then to field follow-up (SP4N-LAPOR! defaults)."""

    initial_response_days: int = 3
    follow_up_days: int = 5


#: 3 working days to initial response, then 5 to field follow-up
SP4N_LAPOR = ServiceDays()


@lru_cache(maxsize=512)
def _package_holidays(country: str, year: int, government: bool) -> frozenset[date]:
    # One package look-up per (country, year) for the whole process: building a year's
    # holidays computes lunar and Balinese calendars and is far slower than a set probe.
    categories = (PUBLIC, GOVERNMENT) if government else (PUBLIC,)
    return frozenset(holidays.country_holidays(country, years=year, categories=categories))


class WorkingCalendar:
    """Working days of one country's government offices, counted on local dates."""

    def __init__(
        self,
        country: str = "ID",
        extra_holidays: Iterable[date] = (),
        years: Iterable[int] = (),
        *,
        cuti_bersama: bool = True,
        tz: str | ZoneInfo = WITA,
        weekend: frozenset[int] = SATURDAY_SUNDAY,
    ) -> None:
        try:
            supported = holidays.country_holidays(country).supported_categories
        except NotImplementedError:
            raise ConfigError(f"the holidays package knows no country {country!r}") from None
        self.country = country
        #: whether the package's GOVERNMENT category (Indonesia: cuti bersama) is used
        self.cuti_bersama = cuti_bersama and GOVERNMENT in supported
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.weekend = frozenset(weekend)
        if len(self.weekend) >= 7:
            raise ConfigError("a week needs at least one working day")
        self._extra = frozenset(extra_holidays)
        self._lock = threading.Lock()
        self._years: dict[int, tuple[frozenset[date], tuple[date, ...]]] = {}
        for year in years:
            self._off_days(year)

    def __repr__(self) -> str:
        return f"WorkingCalendar({self.country!r}, cuti_bersama={self.cuti_bersama}, tz={self.tz})"

    def _off_days(self, year: int) -> tuple[frozenset[date], tuple[date, ...]]:
        """Holidays of *year* that fall on weekdays, as a set and sorted (for counting)."""
        cached = self._years.get(year)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._years.get(year)
            if cached is None:
                days = _package_holidays(self.country, year, self.cuti_bersama)
                days |= {d for d in self._extra if d.year == year}
                weekdays = frozenset(d for d in days if d.weekday() not in self.weekend)
                cached = (weekdays, tuple(sorted(weekdays)))
                self._years[year] = cached
        return cached

    def holidays(self, year: int) -> frozenset[date]:
        """The days off of *year* that would otherwise be working days."""
        return self._off_days(year)[0]

    def is_working_day(self, day: date) -> bool:
        """Whether *day* (a local date) is a working day."""
        return day.weekday() not in self.weekend and day not in self._off_days(day.year)[0]

    def local_date(self, moment: datetime) -> date:
        """The local (WITA) date of an aware datetime."""
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: give a timezone-aware datetime")
        return moment.astimezone(self.tz).date()

    def end_of_day(self, day: date) -> datetime:
        """The last moment of local date *day*, as an aware UTC datetime."""
        return datetime.combine(day, END_OF_DAY, tzinfo=self.tz).astimezone(UTC)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after *day*."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The end (UTC) of the *n*-th working day after *start*'s local date; n >= 1."""
        if n < 1:
            raise ValueError(f"a deadline needs at least one working day, got {n}")
        day = self.local_date(start)
        for _ in range(n):
            day = self.next_working_day(day)
        return self.end_of_day(day)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after *start*'s local date up to and including *end*'s (negative if
        *end* is earlier); ``working_days_between(s, add_working_days(s, n)) == n``."""
        first, last = self.local_date(start), self.local_date(end)
        if last < first:
            return -self._count(last, first)
        return self._count(first, last)

    def _count(self, after: date, upto: date) -> int:
        """Working days d with after < d <= upto, by arithmetic rather than a day loop."""
        span = (upto - after).days
        weeks, rest = divmod(span, 7)
        count = weeks * (7 - len(self.weekend))
        for i in range(1, rest + 1):
            if (after + timedelta(days=i)).weekday() not in self.weekend:
                count += 1
        for year in range(after.year, upto.year + 1):
            ordered = self._off_days(year)[1]
            count -= bisect.bisect_right(ordered, upto) - bisect.bisect_right(ordered, after)
        return count

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Hours from *start* to *end* that fall on working days (local dates); 0 if before.

        A response given on Monday morning to a complaint of Friday evening took the
        hours of Friday evening and Monday morning, not the weekend's. The whole days in
        between are counted by arithmetic (``_count``), not one by one: the response-time
        report asks this for every complaint of a year, open ones up to now.
        """
        if end <= start:
            return 0.0
        local_start, local_end = start.astimezone(self.tz), end.astimezone(self.tz)
        first, last = local_start.date(), local_end.date()
        if first == last:
            return _hours(local_end - local_start) if self.is_working_day(first) else 0.0
        head = _hours(self._midnight(first + timedelta(days=1)) - local_start)
        tail = _hours(local_end - self._midnight(last))
        between = self._count(first, last - timedelta(days=1))  # first < day < last
        return (
            (head if self.is_working_day(first) else 0.0)
            + 24.0 * between
            + (tail if self.is_working_day(last) else 0.0)
        )

    def working_hours_many(
        self, spans: Sequence[tuple[datetime, datetime]]
    ) -> "npt.NDArray[np.float64]":
        """``working_hours_between`` of many (start, end) pairs at once, as an array.

        The same figures by another route: the working hours from a fixed day to a moment
        are 24 per working day before its date (numpy's ``busday_count`` with this
        calendar's weekend and days off) plus the hours into its day if that is a working
        day; a span's hours are the difference. The response-time report asks this for
        every complaint of a year (100,000 at a large city), where a call per pair was
        most of the dashboard's time.
        """
        import numpy as np

        if not spans:
            return np.zeros(0)
        starts = self._local_moments([s for s, _ in spans])
        ends = self._local_moments([e for _, e in spans])
        days = np.concatenate([starts, ends]).astype("datetime64[D]")
        first, last = days.min().item(), days.max().item()
        off = [d for y in range(first.year, last.year + 1) for d in self._off_days(y)[1]]
        mask = [day not in self.weekend for day in range(7)]
        calendar = np.busdaycalendar(weekmask=mask, holidays=np.array(off, dtype="datetime64[D]"))
        origin = np.datetime64(first, "D")

        def cumulative(moments: "npt.NDArray[np.datetime64]") -> "npt.NDArray[np.float64]":
            day = moments.astype("datetime64[D]")
            into = (moments - day) / np.timedelta64(1, "h")
            whole = np.busday_count(origin, day, busdaycal=calendar).astype(np.float64)
            return 24.0 * whole + np.where(np.is_busday(day, busdaycal=calendar), into, 0.0)

        return np.maximum(cumulative(ends) - cumulative(starts), 0.0)

    def _local_moments(self, moments: list[datetime]) -> "npt.NDArray[np.datetime64]":
        """Aware datetimes as local wall-clock times (microseconds), for numpy."""
        import numpy as np

        tz = self.tz
        return np.array([m.astimezone(tz).replace(tzinfo=None) for m in moments], "datetime64[us]")

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.tz)

    def deadlines_for(
        self, filed_at: datetime, rules: DeadlineRules = SP4N_LAPOR
    ) -> tuple[datetime, datetime]:
        """(respond by, follow up by) for a complaint received at *filed_at*."""
        respond_by = self.add_working_days(filed_at, rules.initial_response_days)
        return respond_by, self.add_working_days(respond_by, rules.follow_up_days)


def deadline_fn(
    calendar: WorkingCalendar, rules: DeadlineRules
) -> Callable[[datetime], tuple[datetime, datetime]]:
    """A ``RoutingPolicy.deadlines`` function: filed at -> (respond by, follow up by)."""

    def deadlines(filed_at: datetime) -> tuple[datetime, datetime]:
        return calendar.deadlines_for(filed_at, rules)

    return deadlines


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600
