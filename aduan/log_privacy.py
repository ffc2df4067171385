"""The logging filter that keeps personal data and secrets out of every log line.

``install_log_filter`` puts ``PrivacyLogFilter`` on every handler of the root logger
(the CLI's rich or JSON handler, and anything added later by the daemon), so records
of every logger pass through it: aduan's own, uvicorn's (the daemon lets them
propagate), APScheduler's, urllib3's. The formatted message, an exception's traceback
and stack information are masked with ``models.masking.mask_personal`` and then
stripped of secrets: API tokens, bearer credentials, passwords and keys in query
strings, form bodies or cookies, and passwords in URLs.
"""

import logging
import re

from models.credentials import TOKEN_PREFIX
from models.masking import mask_personal

REDACTED = "***"

_SECRETS = (
    # Authorization: Bearer ..., Basic ...
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+"), r"\1 " + REDACTED),
    # our API tokens, wherever they appear (header, query string, a pasted message)
    (re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_\-]+"), TOKEN_PREFIX + REDACTED),
    # password=..., api_key=..., aduan_session=..., csrf_token=... in queries, forms, cookies
    (
        re.compile(
            r"(?i)\b([\w-]*(?:password|passwd|pwd|token|api_key|apikey|secret|session|csrf|key))"
            r"=([^&\s\"',;]+)"
        ),
        r"\1=" + REDACTED,
    ),
    # "password: ...", "token: ..." in messages
    (
        re.compile(r"(?i)\b(password|passwd|token|api_key|secret)(\s*:\s*)([^\s\"',;]+)"),
        r"\1\2" + REDACTED,
    ),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1" + REDACTED + "@"),
)


#: what logs keep: the address of a web client is what a security record is about
#: (who tried which password how often), and operators need it to block an attacker
LOG_KEEPS = frozenset({"IP"})


def scrub(text: str) -> str:
    """*text* with personal data masked and secrets replaced by ``***``.

    IP addresses stay (``LOG_KEEPS``); every other kind of ``models.masking`` goes.
    """
    text = mask_personal(text, keep=LOG_KEEPS)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class PrivacyLogFilter(logging.Filter):
    """Masks each record's message, traceback and stack in place; never drops a record."""

    def __init__(self) -> None:
        super().__init__()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's text by its scrubbed form (the arguments are merged in)."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log what there is rather than fail
            message = f"{record.msg!r} {record.args!r}"
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        # Formatters use the cached exc_text; without exc_info none can re-render the
        # traceback (and its error messages, which may quote values) unscrubbed.
        record.exc_info = None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """Put a PrivacyLogFilter on every handler of *logger* (the root) lacking one."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PrivacyLogFilter) for f in handler.filters):
            handler.addFilter(PrivacyLogFilter())
