"""The spike statistic on generated streams: one burst among noise is found, noise is not."""

import math
from collections import Counter
from datetime import timedelta

from bench.spike_bench import DAILY, START, quiet_stream, with_burst
from lifecycle.spikes import SpikeRules, count_window, judge, poisson_tail, simulate

RULES = SpikeRules()


def test_poisson_tail() -> None:
    assert poisson_tail(0, 2.0) == 1.0
    assert math.isclose(poisson_tail(1, 1.0), 1 - math.exp(-1))
    assert math.isclose(poisson_tail(3, 2.0), 1 - math.exp(-2) * (1 + 2 + 2))
    assert poisson_tail(5, 0.0) == 0.0


def test_a_window_is_compared_with_the_same_hours_of_past_days() -> None:
    now = START + timedelta(days=30, hours=12)
    # one report at 11:00 on each of the 28 days before, and three now
    times = sorted(
        [now - timedelta(days=d, hours=1) for d in range(1, 29)]
        + [now - timedelta(hours=h) for h in (1, 2, 3)]
        + [now - timedelta(days=d, hours=12) for d in range(1, 29)]  # midnight: other hours
    )
    assert count_window(times, now, RULES) == (3, 28)


def test_judge_needs_the_minimum_count_and_closes_when_ordinary() -> None:
    assert judge(4, 0.05, False, RULES)[0] == "quiet"  # improbable but too few
    assert judge(5, 0.05, False, RULES)[0] == "open"
    assert judge(5, 3.0, False, RULES)[0] == "quiet"  # a busy place's ordinary count
    assert judge(3, 0.05, True, RULES)[0] == "keep"
    assert judge(0, 0.05, True, RULES)[0] == "close"


def test_a_quiet_month_raises_at_most_one_false_incident_per_agency() -> None:
    per_agency: Counter[str] = Counter()
    for seed in (1, 2):
        stream = quiet_stream(58, seed)
        found = simulate(
            stream, start=START + timedelta(days=28), end=START + timedelta(days=58), rules=RULES
        )
        per_agency.update(i.place[0] for i in found)
    assert all(n <= 2 for n in per_agency.values()), per_agency  # two months
    assert sum(per_agency.values()) <= len(DAILY)  # under 0.5 per agency-month overall


def test_one_burst_among_the_noise_is_found_once_and_closes() -> None:
    stream = quiet_stream(50, seed=7)
    place = ("PDAM", "Denpasar Selatan")
    burst_at = START + timedelta(days=45, hours=9)  # 09:00 WITA, the busy hours
    stream = with_burst(stream, place, burst_at, reports=12, hours=4, seed=7)
    found = simulate(
        stream, start=START + timedelta(days=44), end=START + timedelta(days=47), rules=RULES
    )
    hits = [i for i in found if i.place == place]
    assert len(hits) == 1
    [hit] = hits
    assert burst_at < hit.opened_at <= burst_at + timedelta(hours=4)
    assert hit.closed_at is not None and hit.closed_at < burst_at + timedelta(hours=12)
    assert hit.reports >= 10
