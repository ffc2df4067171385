"""Template filters: links that cannot carry script (times: ``models.wita.format_wita``)."""

from urllib.parse import urlsplit


def safe_url(value: str | None) -> str | None:
    """The URL if it is plain http(s), else None (no javascript:, data: or relative links)."""
    if not value:
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None
