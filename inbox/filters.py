"""Template filters: links that cannot carry script, text that cannot reorder the page.

(Times: ``models.wita.format_wita``.)
"""

from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from models.bidi import BIDI_CONTROLS, strip_bidi_controls


def shown_value(value: Any) -> Any:
    """Jinja's ``finalize``: a printed string without bidi controls (markup is ours, kept)."""
    plain = isinstance(value, str) and not isinstance(value, Markup)
    if plain and not BIDI_CONTROLS.isdisjoint(value):
        return strip_bidi_controls(value)
    return value


def safe_url(value: str | None) -> str | None:
    """The URL if it is plain http(s), else None (no javascript:, data: or relative links)."""
    if not value:
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None
