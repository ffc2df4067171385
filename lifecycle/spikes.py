"""The spike statistic: is this window's report count unusual for the place?

For one category at one kecamatan, the reports of the last ``window_hours`` are
compared with the place's usual rate: its reports over the ``baseline_days`` before the
window, counted **at the same hours of the day** (complaints come in the daytime; a
window at noon is compared with the noons of the past weeks, not with the nights),
never taken below ``min_rate_per_day``. The usual count for the window is then

    expected = max(baseline_same_hours / baseline_days, min_rate_per_day * window_hours / 24)

and the window is a spike when it has at least ``min_reports`` reports and a Poisson
variable with that mean reaches the count with probability below ``p_value``. An open
incident closes when its window count is ordinary again (probability above
``CLOSE_P_VALUE``). Pure functions: the store job (``lifecycle.incidents``) and the
simulations of the tests and of ``bench/`` use the same ones.
"""

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

#: an open incident closes when its window's count is at least this probable
CLOSE_P_VALUE = 0.05


@dataclass(frozen=True)
class SpikeRules:
    """The thresholds (``aduan.settings.IncidentConfig`` fits)."""

    window_hours: int = 6
    baseline_days: int = 28
    min_reports: int = 5
    p_value: float = 0.0001
    min_rate_per_day: float = 0.2


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    term = math.exp(-mean)
    below = term
    for i in range(1, k):
        term *= mean / i
        below += term
    return max(0.0, 1.0 - below)


def expected_count(baseline_same_hours: int, rules: SpikeRules) -> float:
    """The usual count of one window: the past days' mean at these hours, with a floor."""
    floor = rules.min_rate_per_day * rules.window_hours / 24
    return max(baseline_same_hours / rules.baseline_days, floor)


Verdict = Literal["open", "close", "keep", "quiet"]


def judge(count: int, expected: float, is_open: bool, rules: SpikeRules) -> tuple[Verdict, float]:
    """What to do with a place: open an incident, close it, keep it open, or nothing.

    Returns the verdict and the Poisson tail probability of *count*.
    """
    p = poisson_tail(count, expected)
    if is_open:
        return ("close" if p >= CLOSE_P_VALUE else "keep"), p
    if count >= rules.min_reports and p < rules.p_value:
        return "open", p
    return "quiet", p


def count_window(times: Sequence[datetime], now: datetime, rules: SpikeRules) -> tuple[int, int]:
    """(reports in the window ending at *now*, reports at the same hours on the days before).

    *times* are the place's report times, sorted. The window is (now - window_hours,
    now]; the baseline is the same span on each of the ``baseline_days`` days before.
    """
    window = timedelta(hours=rules.window_hours)

    def between(start: datetime, end: datetime) -> int:
        return bisect.bisect_right(times, end) - bisect.bisect_right(times, start)

    recent = between(now - window, now)
    baseline = 0
    for d in range(1, rules.baseline_days + 1):
        back = timedelta(days=d)
        baseline += between(now - window - back, now - back)
    return recent, baseline


@dataclass(frozen=True)
class SimulatedIncident:
    """An incident the detector opened while replaying a stream."""

    place: tuple[str, str]
    opened_at: datetime
    closed_at: datetime | None
    reports: int
    expected: float


def simulate(
    stream: dict[tuple[str, str], list[datetime]],
    *,
    start: datetime,
    end: datetime,
    rules: SpikeRules,
    step: timedelta = timedelta(hours=1),
) -> list[SimulatedIncident]:
    """Replay the detector every *step* from *start* to *end* over report times per place.

    The same verdicts as the store job (``judge`` on ``count_window``), without a store:
    for measuring detection and false alarms on generated streams.
    """
    found: list[SimulatedIncident] = []
    open_at: dict[tuple[str, str], tuple[datetime, int, float]] = {}
    times = {place: sorted(ts) for place, ts in stream.items()}
    now = start
    while now <= end:
        for place, ts in times.items():
            recent, baseline = count_window(ts, now, rules)
            expected = expected_count(baseline, rules)
            verdict, _ = judge(recent, expected, place in open_at, rules)
            if verdict == "open":
                open_at[place] = (now, recent, expected)
            elif verdict == "keep":
                opened, most, exp = open_at[place]
                open_at[place] = (opened, max(most, recent), exp)
            elif verdict == "close":
                opened, most, exp = open_at.pop(place)
                found.append(SimulatedIncident(place, opened, now, most, exp))
        now += step
    for place, (opened, most, exp) in open_at.items():
        found.append(SimulatedIncident(place, opened, None, most, exp))
    return sorted(found, key=lambda i: (i.opened_at, i.place))
