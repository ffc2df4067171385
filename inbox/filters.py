"""Template filters: WITA times and links that cannot carry script."""

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

WITA = ZoneInfo("Asia/Makassar")


def wita(value: datetime | None) -> str:
    """A UTC datetime shown in Denpasar time."""
    if value is None:
        return "-"
    return value.astimezone(WITA).strftime("%d-%m-%Y %H:%M WITA")


def safe_url(value: str | None) -> str | None:
    """The URL if it is plain http(s), else None (no javascript:, data: or relative links)."""
    if not value:
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None
