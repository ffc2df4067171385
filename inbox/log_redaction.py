"""Keeping API tokens out of logs: Open311's ``api_key`` query parameter is masked.

GeoReport v2 lets a client pass its key as ``?api_key=...``; aduan accepts it (with
the token in the ``Authorization`` header preferred), and its value must never reach
a log file. ``redact_access_log`` puts a filter on uvicorn's access logger; the filter
masks the value in the request line whatever the log format.
"""

import logging
import re

#: the access logger uvicorn writes request lines to
ACCESS_LOGGER = "uvicorn.access"
MASK = "[disembunyikan]"
_API_KEY = re.compile(r"((?:^|[?&;])api_key=)[^&;\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """*text* with the value of every ``api_key=`` parameter masked."""
    return _API_KEY.sub(r"\1" + MASK, text)


class ApiKeyFilter(logging.Filter):
    """Masks ``api_key`` values in a record's message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if isinstance(record.msg, str) and "api_key" in record.msg.lower():
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(a) if isinstance(a, str) and "api_key" in a.lower() else a
                for a in record.args
            )
        return True


def redact_access_log() -> None:
    """Put the ApiKeyFilter on uvicorn's access logger (once; safe to call again)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, ApiKeyFilter) for f in logger.filters):
        logger.addFilter(ApiKeyFilter())
