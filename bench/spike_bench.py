"""Spike detector benchmark: false alarms over simulated quiet months, bursts found.

Generated report streams: a quiet city, and a burst in it. Each agency (category) has
a city-wide daily rate, split over Denpasar's four kecamatan with unequal shares.
Reports come mostly in the daytime (a diurnal profile), and each day's volume varies
(a gamma-distributed day factor: some days are busier for no reason). This is
ordinary variation; the detector must stay quiet on it.

Prints, for the default thresholds (``lifecycle.spikes.SpikeRules``): false incidents
per agency and month over simulated quiet months (each after four weeks of history),
and the share of bursts found (N reports in H hours at one kecamatan) with the delay
from the first report, and the load average.
Run: .venv/bin/python bench/spike_bench.py [--months 12]
"""

import argparse
import math
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from lifecycle.spikes import SpikeRules, simulate

#: the four kecamatan of Kota Denpasar and their share of reports
KECAMATAN = {
    "Denpasar Barat": 0.32,
    "Denpasar Selatan": 0.30,
    "Denpasar Timur": 0.20,
    "Denpasar Utara": 0.18,
}
#: reports a day, city-wide, per agency's category (a busy and a quiet mix)
DAILY = {
    "PDAM": 12.0,
    "LPJU": 9.0,
    "DLHK": 14.0,
    "PUPR": 10.0,
    "DISHUB": 6.0,
    "SATPOLPP": 4.0,
    "DISDUKCAPIL": 5.0,
    "DINKES": 2.0,
    "DISDIK": 1.5,
    "PLN": 3.0,
    "DINSOS": 1.0,
    "BPBD_DAMKAR": 1.0,
    "PERIZINAN": 0.5,
}
#: the first moment of the generated streams: 1 October 2026, 00:00 WITA
START = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)

Place = tuple[str, str]


def _diurnal(hour_wita: int) -> float:
    """Relative report rate by WITA hour: low at night, peaks late morning and evening."""
    return (
        0.15
        + math.exp(-((hour_wita - 10) ** 2) / 12)
        + 0.6 * math.exp(-((hour_wita - 19) ** 2) / 6)
    )


_MEAN = sum(_diurnal(h) for h in range(24)) / 24


def quiet_stream(days: int, seed: int, *, day_cv: float = 0.35) -> dict[Place, list[datetime]]:
    """*days* of ordinary reports from START, per (category, kecamatan)."""
    rng = random.Random(seed)
    shape = 1 / (day_cv**2)
    out: dict[Place, list[datetime]] = {}
    for category, daily in DAILY.items():
        for kec, share in KECAMATAN.items():
            times: list[datetime] = []
            for d in range(days):
                factor = rng.gammavariate(shape, 1 / shape)
                for h in range(24):
                    rate = daily * share * factor * _diurnal(h) / _MEAN / 24
                    for _ in range(_poisson(rng, rate)):
                        at = START + timedelta(days=d, hours=h, seconds=rng.uniform(0, 3600))
                        times.append(at)
            out[(category, kec)] = sorted(times)
    return out


def with_burst(
    stream: dict[Place, list[datetime]],
    place: Place,
    at: datetime,
    reports: int,
    hours: float,
    seed: int,
) -> dict[Place, list[datetime]]:
    """*stream* plus *reports* reports at *place* spread over *hours* from *at*."""
    rng = random.Random(seed)
    extra = [at + timedelta(seconds=rng.uniform(0, hours * 3600)) for _ in range(reports)]
    out = dict(stream)
    out[place] = sorted(stream.get(place, []) + extra)
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; the means here are small.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def false_alarms(months: int, rules: SpikeRules) -> tuple[Counter[str], int]:
    """False incidents per agency over *months* simulated quiet months; (counts, months)."""
    found: Counter[str] = Counter()
    for seed in range(months):
        stream = quiet_stream(58, seed)
        start, end = START + timedelta(days=28), START + timedelta(days=58)
        found.update(i.place[0] for i in simulate(stream, start=start, end=end, rules=rules))
    return found, months


def detection(
    reports: int, hours: float, trials: int, rules: SpikeRules
) -> tuple[int, list[float]]:
    """Bursts found out of *trials* (PDAM, Denpasar Selatan), and hours to detection."""
    place = ("PDAM", "Denpasar Selatan")
    hits, delays = 0, []
    for seed in range(trials):
        at = START + timedelta(days=40, hours=seed % 24)
        stream = with_burst(quiet_stream(43, 1000 + seed), place, at, reports, hours, seed)
        window = simulate(
            stream, start=at - timedelta(hours=1), end=at + timedelta(hours=hours + 6), rules=rules
        )
        opened = [i.opened_at for i in window if i.place == place and i.opened_at >= at]
        if opened:
            hits += 1
            delays.append((opened[0] - at).total_seconds() / 3600)
    return hits, delays


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--trials", type=int, default=24)
    args = parser.parse_args()
    rules = SpikeRules()
    started = time.perf_counter()
    found, months = false_alarms(args.months, rules)
    agencies = len(DAILY)
    print(f"rules: {rules}")
    print(f"quiet months simulated: {months} ({agencies} agencies x 4 kecamatan, hourly checks)")
    print(
        f"false incidents: {sum(found.values())} in {months * agencies} agency-months = "
        f"{sum(found.values()) / (months * agencies):.3f} per agency-month; "
        f"worst agency {max(found.values(), default=0) / months:.2f} per month "
        f"({dict(found.most_common())})"
    )
    for reports, hours in ((6, 2), (8, 3), (12, 4), (20, 6), (40, 6)):
        hits, delays = detection(reports, hours, args.trials, rules)
        mean = sum(delays) / len(delays) if delays else float("nan")
        print(
            f"burst of {reports} reports in {hours} h at PDAM/Denpasar Selatan (usual "
            f"{DAILY['PDAM'] * KECAMATAN['Denpasar Selatan']:.1f} a day): found {hits}/"
            f"{args.trials}, mean {mean:.1f} h after the first report"
        )
    print(f"took {time.perf_counter() - started:.1f} s; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
