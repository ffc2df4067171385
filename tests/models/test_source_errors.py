"""A source's last error is shown only while it stands (issue 14: stale errors)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from models.sources import current_error
from models.tables import SourceHealth
from models.vocab import SourceState

T = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _health(**kw: Any) -> SourceHealth:
    return SourceHealth(source="x", platform="twitter", **kw)


def test_a_recovered_source_shows_no_error() -> None:
    failed = {"last_error": "HTTP 503", "last_error_at": T}
    assert current_error(_health(state=SourceState.FAILING, **failed)) == "HTTP 503"
    recovered = _health(state=SourceState.OK, last_success_at=T + timedelta(minutes=5), **failed)
    assert current_error(recovered) is None
    # an interrupted run: it stored what it read, then failed; the error stands
    interrupted = _health(state=SourceState.RATE_LIMITED, last_success_at=T, **failed)
    assert current_error(interrupted) == "HTTP 503"
    assert current_error(_health(state=SourceState.OK)) is None
