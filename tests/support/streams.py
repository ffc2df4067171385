"""Generated report streams for the spike detector: a quiet city, and a burst in it.

Each agency (category) has a city-wide daily rate, split over Denpasar's four
kecamatan with unequal shares. Reports come mostly in the daytime (a diurnal profile),
and each day's volume varies (a gamma-distributed day factor: some days are busier for
no reason). This is ordinary variation; the detector must stay quiet on it.
"""

import math
import random
from datetime import UTC, datetime, timedelta

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
