"""Sign-in and browser sessions over the store: the ``Authenticator`` held in ``app.state``.

The cookie carries a random session id signed with the secret key; the store keeps
only the SHA-256 of that id, so a copy of the table cannot be turned into cookies,
and revoking the row (logout, disable, password reset) kills every copy of the cookie.
Sign-in attempts are limited per (account, address) pair and per address within
``LOGIN_WINDOW``: a run of wrong passwords blocks that address only, so nobody can
lock the real user out from elsewhere. Refused attempts are logged but not counted,
so hammering a blocked pair does not push its release further away.
"""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlmodel import Session

from inbox.signing import MIN_SECRET_LENGTH, sign_value, subkey, unsign_value
from models.accounts import (
    find_api_token,
    find_user,
    mark_login,
    set_password_hash,
    touch_api_token,
)
from models.credentials import (
    MAX_PASSWORD_LENGTH,
    dummy_hash,
    is_api_token,
    sha256_hex,
    verify_password,
)
from models.db import session_scope
from models.exceptions import ConfigError
from models.sessions import (
    create_web_session,
    find_web_session,
    prune_login_attempts,
    recent_failures,
    record_login_attempt,
    revoke_web_session,
)
from models.tables import User
from models.types import utcnow

log = logging.getLogger(__name__)

LOGIN_WINDOW = timedelta(minutes=15)
#: a token's last_used_at is written at most this often, not on every API call
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class AuthConfig:
    """Sign-in settings, built by the composition root from ``WebConfig``."""

    secret_key: bytes
    session_hours: int = 12
    secure_cookies: bool = False
    #: failed sign-ins allowed for one account from one address within LOGIN_WINDOW
    login_attempts: int = 5
    #: failed sign-ins allowed from one address, whatever the accounts, within LOGIN_WINDOW
    login_attempts_per_address: int = 20

    def __post_init__(self) -> None:
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"the web secret key must be at least {MIN_SECRET_LENGTH} bytes")

    @property
    def session_cookie(self) -> str:
        """The session cookie's name; ``__Host-`` pins it to our host when served over HTTPS."""
        return "__Host-aduan_session" if self.secure_cookies else "aduan_session"

    @property
    def login_cookie(self) -> str:
        """The cookie holding the sign-in form's CSRF token (before any session exists)."""
        return "__Host-aduan_login" if self.secure_cookies else "aduan_login"


class LoginResult(StrEnum):
    """How a sign-in attempt ended."""

    OK = "ok"
    INVALID = "invalid"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class LoginOutcome:
    """The result of ``Authenticator.authenticate``; *user* is set only when OK.

    *retry_after* is how long a BLOCKED sign-in must wait before the next try counts.
    """

    result: LoginResult
    user: User | None = None
    retry_after: timedelta | None = None


@dataclass(frozen=True)
class SignedIn:
    """A live browser session: who, and the CSRF token their forms must echo."""

    user: User
    session_hash: str
    csrf_token: str


@dataclass(frozen=True)
class NewSession:
    """A session just started: the cookie value to set and when it expires."""

    cookie: str
    csrf_token: str
    expires_at: datetime


def _wait(failures: list[datetime], limit: int, now: datetime) -> timedelta:
    """How long until fewer than *limit* of *failures* (oldest first) are in the window."""
    if len(failures) < limit:
        return timedelta(0)
    # Once the oldest of the last `limit` failures leaves the window, one try is free.
    return max(failures[len(failures) - limit] + LOGIN_WINDOW - now, timedelta(0))


@dataclass
class Authenticator:
    """Sign-in, sessions and tokens over one store; held in ``app.state``."""

    engine: Engine
    config: AuthConfig
    clock: Callable[[], datetime] = field(default=utcnow)

    def authenticate(self, username: str, password: str, address: str) -> LoginOutcome:
        """Check a sign-in, recording it; BLOCKED (password unchecked) when over the limit."""
        now = self.clock()
        name = username.strip().lower()[:100]
        with session_scope(self.engine) as s:
            failures = recent_failures(
                session=s, username=name, address=address, since=now - LOGIN_WINDOW
            )
            wait = max(
                _wait(failures.pair, self.config.login_attempts, now),
                _wait(failures.address, self.config.login_attempts_per_address, now),
            )
            if wait > timedelta(0):
                log.warning(
                    "sign-in refused: too many failures for user %r from %s "
                    "(%d for the account from there, %d from the address); retry in %d s",
                    name,
                    address,
                    len(failures.pair),
                    len(failures.address),
                    int(wait.total_seconds()),
                )
                return LoginOutcome(LoginResult.BLOCKED, retry_after=wait)
            user = find_user(session=s, username=name)
        # Hashing is slow on purpose; it runs outside any transaction.
        if not password or len(password) > MAX_PASSWORD_LENGTH:
            ok, new_hash = False, None
        else:
            ok, new_hash = verify_password(
                password, user.password_hash if user is not None else dummy_hash()
            )
        ok = ok and user is not None and user.active
        with session_scope(self.engine) as s:
            record_login_attempt(session=s, username=name, address=address, success=ok, at=now)
            if not ok or user is None or user.id is None:
                log.info("sign-in failed: user %r from %s", name, address)
                return LoginOutcome(LoginResult.INVALID)
            mark_login(session=s, user_id=user.id, at=now)
            if new_hash is not None:
                set_password_hash(session=s, user_id=user.id, password_hash=new_hash)
            # Attempts older than a day no longer count; keeping them only grows the table.
            prune_login_attempts(session=s, before=now - timedelta(days=1))
        user.last_login_at = now
        return LoginOutcome(LoginResult.OK, user)

    def start_session(self, user: User, *, replacing: str | None = None) -> NewSession:
        """Start a session for *user* with a fresh id; *replacing* (an old cookie) is revoked."""
        assert user.id is not None
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        expires_at = now + timedelta(hours=self.config.session_hours)
        with session_scope(self.engine) as s:
            if replacing and (old := self._session_hash(replacing)) is not None:
                revoke_web_session(session=s, id_hash=old, now=now)
            create_web_session(
                session=s,
                user_id=user.id,
                id_hash=sha256_hex(session_id),
                csrf_token=csrf_token,
                expires_at=expires_at,
            )
        return NewSession(
            sign_value(session_id, subkey(self.config.secret_key, "session")),
            csrf_token,
            expires_at,
        )

    def signed_in(self, cookie: str | None, *, session: Session | None = None) -> SignedIn | None:
        """The live session a cookie value names, or None (bad signature, expired, revoked).

        Read through *session* when given (a page request's own, so the request takes
        one connection from the pool, not two); the user comes back detached either way.
        """
        id_hash = self._session_hash(cookie) if cookie else None
        if id_hash is None:
            return None
        if session is None:
            with Session(self.engine, expire_on_commit=False) as s:
                found = find_web_session(session=s, id_hash=id_hash, now=self.clock())
        else:
            found = find_web_session(session=session, id_hash=id_hash, now=self.clock())
            if found is not None:
                # As from a session of its own: not refreshed or expired by the page's work.
                session.expunge(found[0])
                session.expunge(found[1])
        if found is None:
            return None
        web_session, user = found
        return SignedIn(user=user, session_hash=id_hash, csrf_token=web_session.csrf_token)

    def end_session(self, cookie: str | None) -> None:
        """Revoke the session a cookie names (logout); unknown cookies are ignored."""
        id_hash = self._session_hash(cookie) if cookie else None
        if id_hash is not None:
            with session_scope(self.engine) as s:
                revoke_web_session(session=s, id_hash=id_hash, now=self.clock())

    def user_for_token(self, token: str) -> User | None:
        """The enabled user an unrevoked API token belongs to; notes when it was used."""
        if not is_api_token(token):
            return None
        now = self.clock()
        with session_scope(self.engine) as s:
            found = find_api_token(session=s, token_hash=sha256_hex(token))
            if found is None:
                return None
            api_token, user = found
            last = api_token.last_used_at
            if api_token.id is not None and (last is None or now - last >= TOKEN_TOUCH_INTERVAL):
                touch_api_token(session=s, token_id=api_token.id, at=now)
        return user

    def _session_hash(self, cookie: str) -> str | None:
        session_id = unsign_value(cookie, subkey(self.config.secret_key, "session"))
        return sha256_hex(session_id) if session_id else None
