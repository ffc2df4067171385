"""Denpasar's time zone, defined once: times are stored in UTC and shown in WITA.

WITA (Asia/Makassar) is UTC+8 all year; Indonesia has no daylight saving time, which is
what lets SQLite's date arithmetic use the fixed offset.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

#: the IANA name of Denpasar's zone (PostgreSQL's ``timezone()`` takes it)
WITA_NAME = "Asia/Makassar"
#: Denpasar's time zone: working days, report years and every time people read
WITA = ZoneInfo(WITA_NAME)
#: WITA's fixed offset from UTC, in hours
WITA_OFFSET_HOURS = 8


def format_wita(value: str | datetime | None) -> str:
    """A time shown in Denpasar time (``20-11-2026 09:00 WITA``); "-" when there is none.

    Takes an aware datetime or an ISO 8601 text (an event document's); a time without
    an offset is taken as UTC.
    """
    if value is None or value == "":
        return "-"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(WITA).strftime("%d-%m-%Y %H:%M WITA")
