"""Errors a collector raises; the class decides what the harvest runner does.

::

    SourceError                     (models.exceptions.AduanError)
    ├── SourceUnavailable           network, timeout, 5xx: retried on the next run
    ├── SourceDataError             a response or file that cannot be read: retried, logged
    ├── RateLimited                 the platform said wait: skipped until ``reset_at``
    ├── BudgetExhausted             the configured monthly read cap is reached
    └── CredentialsRejected         bad, expired or revoked credentials: disabled, alert

Collectors convert their library's exceptions into these where they enter
(``raise SourceUnavailable(...) from err``); nothing above harvester/ sees a
platform library's exception.
"""

from datetime import datetime
from typing import Any

from models.exceptions import AduanError


class SourceError(AduanError):
    """A source failed to deliver; subclasses say how to react."""

    #: platform usage figures read before the failure (kept in the source's health)
    usage: dict[str, Any]

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.usage = {}

    def explain(self) -> str:
        """A plain-language account of the failure."""
        return str(self)


class SourceUnavailable(SourceError):
    """The platform could not be reached or answered with a server error; try next run."""


class SourceDataError(SourceError):
    """The platform's answer (or a replay file) could not be understood; try next run."""


class RateLimited(SourceError):
    """The platform asked to slow down; the runner skips the source until ``reset_at``."""

    def __init__(self, message: str, reset_at: datetime | None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class BudgetExhausted(SourceError):
    """The configured monthly read cap is used up; reading resumes next month."""


class CredentialsRejected(SourceError):
    """The platform rejected the credentials; the source is disabled until renewed."""
