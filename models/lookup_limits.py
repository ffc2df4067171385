"""Public look-ups per client per minute (the tracking page), counted in the store.

Counted in the store, not in a process's memory, so several web workers (``aduan web
--workers N``, or several machines) share one limit per client instead of each
granting its own. A look-up is a row of ``login_attempt`` under ``LOOKUP_USERNAME``,
which no account can have (``models.accounts.USERNAME_PATTERN``); its ``address`` is a
keyed digest of the client's address, never the address itself, so the store keeps no
citizen's IP address and these rows never meet a sign-in's rows (which are looked up by
the address in clear). They are marked successful, so they never count as failed
sign-ins, and are deleted once they leave the window.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from models.tables import LoginAttempt

#: the ``login_attempt.username`` of a public look-up: not a valid user name
LOOKUP_USERNAME = "~lacak"
LOOKUP_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class LookupVerdict:
    """Whether a look-up may go ahead; if not, how long until it may."""

    allowed: bool
    retry_after: timedelta = timedelta(0)


def take_lookup(
    *, session: Session, client_key: str, per_minute: int, now: datetime
) -> LookupVerdict:
    """Count a look-up by *client_key* (a digest of its address) if it is within
    *per_minute* over the last minute; refused look-ups are not counted, so hammering
    does not push the release further away. The caller commits."""
    since = now - LOOKUP_WINDOW
    session.execute(
        delete(LoginAttempt).where(
            col(LoginAttempt.username) == LOOKUP_USERNAME, col(LoginAttempt.at) < since
        )
    )
    count, oldest = session.exec(
        select(func.count(), func.min(LoginAttempt.at)).where(
            col(LoginAttempt.address) == client_key[:100],
            col(LoginAttempt.username) == LOOKUP_USERNAME,
            col(LoginAttempt.at) >= since,
        )
    ).one()
    if count >= per_minute and oldest is not None:
        return LookupVerdict(False, max(oldest + LOOKUP_WINDOW - now, timedelta(seconds=1)))
    session.add(
        LoginAttempt(username=LOOKUP_USERNAME, address=client_key[:100], success=True, at=now)
    )
    return LookupVerdict(True)
