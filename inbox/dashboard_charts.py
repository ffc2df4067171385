"""The dashboard's chart images: aggregates from SQL drawn as SVG, cached briefly.

Every chart is an ``<img>`` on the dashboard, so text inside it stays inert. A chart
is cached per app for ``CHART_TTL`` seconds by its parameters: a dashboard open in
many browsers (it reloads itself) costs one query and one rendering a minute.
"""

import threading
import time
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from inbox.access import Permission
from inbox.auth import require_permission
from inbox.charts import bar_chart, volume_chart
from inbox.web import CalendarDep, DbSession
from lifecycle.reports import response_csv, response_times
from models.dashboard import status_totals, top_places, volume_by_day
from models.tables import User
from models.types import utcnow
from models.vocab import STATUS_LABELS, label
from models.wita import WITA

router = APIRouter(include_in_schema=False)

CHART_TTL = 60.0
CACHE_ATTR = "aduan_chart_cache"
MAX_DAYS = 366
#: longer windows are drawn per week
DAILY_UP_TO = 90
SVG_HEADERS = {
    # Opened directly (not as an image) an SVG could run script; allow none.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": f"private, max-age={int(CHART_TTL)}",
}


class VolumeBy(StrEnum):
    """How the volume chart splits its bars."""

    CATEGORY = "category"
    INBOX = "inbox"
    PLATFORM = "platform"


#: the label table (models.vocab.LABELS) a chart's legend reads its names from
LEGEND_KINDS = {VolumeBy.CATEGORY: "category", VolumeBy.PLATFORM: "platform"}

VOLUME_TITLES = {
    VolumeBy.CATEGORY: "per kategori",
    VolumeBy.INBOX: "per inbox",
    VolumeBy.PLATFORM: "per platform",
}


class TtlCache:
    """A small in-process cache of rendered charts; entries live *ttl* seconds."""

    def __init__(
        self,
        ttl: float = CHART_TTL,
        max_entries: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: dict[Hashable, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The cached value of *key*, or *make()* stored for the next *ttl* seconds."""
        now = self.clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = make()  # outside the lock: a slow chart does not hold up the others
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[key] = (now + self.ttl, value)
        return value


_attach_lock = threading.Lock()


def chart_cache(request: Request) -> TtlCache:
    """This app's chart cache, created on first use."""
    with _attach_lock:
        cache = getattr(request.app.state, CACHE_ATTR, None)
        if not isinstance(cache, TtlCache):
            cache = TtlCache()
            setattr(request.app.state, CACHE_ATTR, cache)
        return cache


CacheDep = Annotated[TtlCache, Depends(chart_cache)]
DashboardUser = Annotated[User, Depends(require_permission(Permission.DASHBOARD))]
Days = Annotated[int, Query(ge=1, le=MAX_DAYS)]


def window(days: int, now: datetime | None = None) -> tuple[datetime, list[str]]:
    """The start (UTC) of the last *days* WITA days up to today, and those days (ISO)."""
    today = (now or utcnow()).astimezone(WITA).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, clock_time(), tzinfo=WITA).astimezone(UTC)
    return since, [(first + timedelta(days=i)).isoformat() for i in range(days)]


def today_wita() -> date:
    """Today's date in Denpasar."""
    return utcnow().astimezone(WITA).date()


def by_week(counts: dict[str, dict[str, int]], all_days: list[str]) -> dict[str, dict[str, int]]:
    """Daily counts summed per 7 days from the window's first day, keyed by that week's start.

    A year of daily bars would be 365 × keys rectangles: slow to draw, heavy to send.
    """
    weeks: dict[str, dict[str, int]] = {}
    for i, day in enumerate(all_days):
        week = weeks.setdefault(all_days[i - i % 7], {})
        for key, n in counts.get(day, {}).items():
            week[key] = week.get(key, 0) + n
    return weeks


def _svg(content: bytes) -> Response:
    return Response(content, media_type="image/svg+xml", headers=SVG_HEADERS)


@router.get("/dashboard/charts/volume-{by}.svg")
def volume_svg(
    by: VolumeBy, db: DbSession, cache: CacheDep, user: DashboardUser, days: Days = 30
) -> Response:
    """Complaints per WITA day over the last *days* days, stacked by *by*."""

    def make() -> bytes:
        since, all_days = window(days)
        counts = volume_by_day(session=db, since=since, by=by.value)
        if by in LEGEND_KINDS:  # names in the legend, not codes
            kind = LEGEND_KINDS[by]
            counts = {
                day: {label(kind, key): n for key, n in keys.items()}
                for day, keys in counts.items()
            }
        weekly = days > DAILY_UP_TO
        series = by_week(counts, all_days) if weekly else {d: counts.get(d, {}) for d in all_days}
        unit = "per minggu, " if weekly else ""
        title = f"Pengaduan {VOLUME_TITLES[by]}, {unit}{days} hari terakhir (WITA)"
        return volume_chart(series, title)

    return _svg(cache.get_or_make(("volume", by.value, days, today_wita()), make))


@router.get("/dashboard/charts/status.svg")
def status_svg(db: DbSession, cache: CacheDep, user: DashboardUser) -> Response:
    """Complaints per status, all time."""

    def make() -> bytes:
        totals = status_totals(session=db)
        items = [(label, totals.get(code, 0)) for code, label in STATUS_LABELS.items()]
        return bar_chart(items, "Pengaduan per status")

    return _svg(cache.get_or_make(("status",), make))


@router.get("/dashboard/charts/places.svg")
def places_svg(db: DbSession, cache: CacheDep, user: DashboardUser, days: Days = 30) -> Response:
    """The places with most complaints over the last *days* days."""

    def make() -> bytes:
        since, _ = window(days)
        title = f"Lokasi terbanyak, {days} hari terakhir"
        return bar_chart(top_places(session=db, since=since), title)

    return _svg(cache.get_or_make(("places", days, today_wita()), make))


Year = Annotated[int, Query(ge=2000, le=2100)]


@router.get("/dashboard/charts/response-times.svg")
def response_times_svg(
    db: DbSession, cache: CacheDep, user: DashboardUser, calendar: CalendarDep, year: Year
) -> Response:
    """Median working hours to the initial response per inbox, for complaints of *year*."""

    def make() -> bytes:
        rows = response_times(
            session=db, calendar=calendar, year=year, now=utcnow(), by_month=False
        )
        items = [
            (r.inbox, round(r.response_median_hours))
            for r in rows
            if r.response_median_hours is not None
        ]
        return bar_chart(items, f"Median jam kerja sampai respon awal per inbox, {year}")

    return _svg(cache.get_or_make(("response-times", year, today_wita()), make))


@router.get("/dashboard/response-times.csv")
def response_times_csv(
    db: DbSession, user: DashboardUser, calendar: CalendarDep, year: Year
) -> Response:
    """The response-time figures of *year* per inbox and month, as CSV."""
    rows = response_times(session=db, calendar=calendar, year=year, now=utcnow())
    headers = {"Content-Disposition": f'attachment; filename="waktu-respon-{year}.csv"'}
    return Response(response_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
