"""Browser sessions and sign-in attempts in the store.

A session row is keyed by the SHA-256 of the random id its cookie carries; the id in
clear never reaches the store. Attempts are kept a day, for the sign-in limits.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, update
from sqlmodel import Session, col, select

from models.tables import LoginAttempt, User, WebSession
from models.types import utcnow


def create_web_session(
    *, session: Session, user_id: int, id_hash: str, csrf_token: str, expires_at: datetime
) -> WebSession:
    """Store a new browser session by the hash of its id."""
    row = WebSession(id_hash=id_hash, user_id=user_id, csrf_token=csrf_token, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row


#: the live session of an id hash, with its user: built once, as every page asks it
_LIVE_SESSION = (
    select(WebSession, User)
    .join(User, col(User.id) == col(WebSession.user_id))
    .where(
        col(WebSession.id_hash) == bindparam("id_hash"),
        col(WebSession.revoked_at).is_(None),
        col(WebSession.expires_at) > bindparam("now"),
        col(User.active).is_(True),
    )
)


def find_web_session(
    *, session: Session, id_hash: str, now: datetime
) -> tuple[WebSession, User] | None:
    """The live session with *id_hash* and its user: not revoked, not expired, user enabled."""
    row = session.exec(_LIVE_SESSION, params={"id_hash": id_hash, "now": now}).first()
    return (row[0], row[1]) if row is not None else None


def revoke_web_session(*, session: Session, id_hash: str, now: datetime | None = None) -> None:
    """End one browser session (logout); a copy of its cookie stops working."""
    session.execute(
        update(WebSession)
        .where(col(WebSession.id_hash) == id_hash, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )


def revoke_user_sessions(*, session: Session, user_id: int, now: datetime | None = None) -> int:
    """End every live browser session of a user; returns how many were ended."""
    result = session.execute(
        update(WebSession)
        .where(col(WebSession.user_id) == user_id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- sign-in attempts -------------------------------------------------------------


def record_login_attempt(
    *, session: Session, username: str, address: str, success: bool, at: datetime
) -> None:
    """Store one sign-in attempt (every attempt, refused ones included)."""
    session.add(
        LoginAttempt(username=username[:100], address=address[:100], success=success, at=at)
    )


@dataclass(frozen=True)
class RecentFailures:
    """Failed sign-ins still counting, oldest first: this account from this address, and
    this address whatever the account."""

    pair: list[datetime]
    address: list[datetime]


def recent_failures(
    *, session: Session, username: str, address: str, since: datetime
) -> RecentFailures:
    """The failed sign-ins since *since* that still count against (account, address).

    Failures are kept per (account, address) pair, and a success clears only its own
    pair's earlier failures: a user who mistyped and then got in starts afresh, and one
    valid account cannot be used to clear the address's failures on other accounts.
    Failures from other addresses never count against this pair, so nobody elsewhere
    can lock an account out from here.
    """
    username, address = username[:100], address[:100]
    rows = session.exec(
        select(LoginAttempt.username, LoginAttempt.at, LoginAttempt.success)
        .where(col(LoginAttempt.address) == address, col(LoginAttempt.at) >= since)
        .order_by(col(LoginAttempt.at), col(LoginAttempt.id))
    ).all()
    pairs: dict[str, list[datetime]] = defaultdict(list)
    for user, at, success in rows:
        if success:
            pairs[user] = []
        else:
            pairs[user].append(at)
    return RecentFailures(
        pair=list(pairs.get(username, [])),
        address=sorted(at for times in pairs.values() for at in times),
    )


def prune_login_attempts(*, session: Session, before: datetime) -> int:
    """Delete attempts older than *before* (they no longer count); returns how many."""
    result = session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < before))
    return int(getattr(result, "rowcount", 0) or 0)
