"""Store functions for accounts: users, browser sessions, API tokens and sign-in attempts.

Everything here takes and returns rows; hashing and secrets live in ``inbox.auth``,
so this module never sees a password or a token in clear.
"""

import re
from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from models.exceptions import AduanError, NotFound
from models.tables import Agency, ApiToken, LoginAttempt, User, WebSession
from models.types import utcnow
from models.vocab import ROLES, Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,99}$")


class AccountError(AduanError):
    """Invalid account input (role, agency, username, password); the caller shows the message."""


class WeakPassword(AccountError):
    """A password refused by the strength rules; raised before anything is hashed or stored."""


def normalize_username(username: str) -> str:
    """The stored form of *username* (trimmed, lower case); AccountError if it is not valid."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"invalid username {username!r}: 2 to 100 characters, letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return name


def check_role(*, session: Session, role: str, agency_code: str | None) -> None:
    """Raise AccountError unless *role* is known and has an agency code exactly if it needs one."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; known: {', '.join(ROLES)}")
    if role == Role.AGENCY:
        if not agency_code:
            raise AccountError("an agency user needs --agency CODE (the inbox they work)")
        if session.get(Agency, agency_code) is None:
            known = ", ".join(session.exec(select(Agency.code).order_by(col(Agency.code))))
            raise AccountError(f"unknown agency code {agency_code!r}; known: {known or 'none'}")
    elif agency_code:
        # A Kominfo role with an agency code would look restricted but not be.
        raise AccountError(f"a {role} user sees every inbox; do not give an agency code")


def create_user(
    *,
    session: Session,
    username: str,
    role: str,
    password_hash: str,
    display_name: str = "",
    agency_code: str | None = None,
) -> User:
    """Add a user after checking the name is free and the role and agency fit together."""
    name = normalize_username(username)
    check_role(session=session, role=role, agency_code=agency_code)
    if find_user(session=session, username=name) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(
        username=name,
        display_name=display_name.strip(),
        password_hash=password_hash,
        role=role,
        agency_code=agency_code or None,
    )
    session.add(user)
    session.flush()
    return user


def find_user(*, session: Session, username: str) -> User | None:
    """The user called *username* (any case), or None."""
    name = username.strip().lower()
    return session.exec(select(User).where(User.username == name)).first()


def get_user(*, session: Session, username: str) -> User:
    """The user called *username*; NotFound if there is none."""
    user = find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user named {username.strip().lower()!r}")
    return user


def list_users(*, session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.exec(select(User).order_by(col(User.username))))


def admin_exists(*, session: Session) -> bool:
    """Whether any admin account exists, enabled or not."""
    found = session.exec(select(User.id).where(User.role == Role.ADMIN).limit(1)).first()
    return found is not None


def set_active(
    *, session: Session, username: str, active: bool, now: datetime | None = None
) -> User:
    """Enable or disable a user; disabling also ends every browser session they have."""
    user = get_user(session=session, username=username)
    user.active = active
    session.add(user)
    if not active:
        assert user.id is not None
        revoke_user_sessions(session=session, user_id=user.id, now=now)
    return user


def set_password_hash(*, session: Session, user_id: int, password_hash: str) -> None:
    """Store a new password hash for the user."""
    session.execute(update(User).where(col(User.id) == user_id).values(password_hash=password_hash))


def mark_login(*, session: Session, user_id: int, at: datetime) -> None:
    """Record a successful sign-in time."""
    session.execute(update(User).where(col(User.id) == user_id).values(last_login_at=at))


# --- browser sessions -------------------------------------------------------------


def create_web_session(
    *, session: Session, user_id: int, id_hash: str, csrf_token: str, expires_at: datetime
) -> WebSession:
    """Store a new browser session by the hash of its id."""
    row = WebSession(id_hash=id_hash, user_id=user_id, csrf_token=csrf_token, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row


def find_web_session(
    *, session: Session, id_hash: str, now: datetime
) -> tuple[WebSession, User] | None:
    """The live session with *id_hash* and its user: not revoked, not expired, user enabled."""
    row = session.exec(
        select(WebSession, User)
        .join(User, col(User.id) == col(WebSession.user_id))
        .where(
            WebSession.id_hash == id_hash,
            col(WebSession.revoked_at).is_(None),
            col(WebSession.expires_at) > now,
            col(User.active).is_(True),
        )
    ).first()
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


def recent_failures(
    *, session: Session, username: str, address: str, since: datetime
) -> tuple[int, int]:
    """Failed sign-ins since *since*: (for the account, from the address).

    Failures are counted per (account, address) pair, and a success clears only its
    own pair's earlier failures: a user who mistyped and then got in starts afresh,
    while an attacker elsewhere keeps the account's count, and one valid account
    cannot be used to clear the address's failures on other accounts.
    """
    username, address = username[:100], address[:100]
    rows = session.exec(
        select(LoginAttempt.username, LoginAttempt.address, LoginAttempt.success)
        .where(
            or_(col(LoginAttempt.username) == username, col(LoginAttempt.address) == address),
            col(LoginAttempt.at) >= since,
        )
        .order_by(col(LoginAttempt.at), col(LoginAttempt.id))
    ).all()
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for user, addr, success in rows:
        pairs[user, addr] = 0 if success else pairs[user, addr] + 1
    for_account = sum(n for (user, _), n in pairs.items() if user == username)
    for_address = sum(n for (_, addr), n in pairs.items() if addr == address)
    return for_account, for_address


def prune_login_attempts(*, session: Session, before: datetime) -> int:
    """Delete attempts older than *before* (they no longer count); returns how many."""
    result = session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < before))
    return int(getattr(result, "rowcount", 0) or 0)


# --- API tokens -------------------------------------------------------------------


def add_api_token(
    *, session: Session, user_id: int, name: str, prefix: str, token_hash: str
) -> ApiToken:
    """Store a new API token by its hash and display prefix."""
    token = ApiToken(user_id=user_id, name=name.strip(), prefix=prefix, token_hash=token_hash)
    session.add(token)
    session.flush()
    return token


def find_api_token(*, session: Session, token_hash: str) -> tuple[ApiToken, User] | None:
    """The unrevoked token with *token_hash* and its enabled user, or None."""
    row = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(
            ApiToken.token_hash == token_hash,
            col(ApiToken.revoked_at).is_(None),
            col(User.active).is_(True),
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def touch_api_token(*, session: Session, token_id: int, at: datetime) -> None:
    """Record that a token was just used."""
    session.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=at))


def list_api_tokens(
    *, session: Session, username: str | None = None
) -> list[tuple[ApiToken, User]]:
    """Tokens with their users (revoked ones included), newest first; one user's if asked."""
    query = select(ApiToken, User).join(User, col(User.id) == col(ApiToken.user_id))
    if username is not None:
        query = query.where(User.username == username.strip().lower())
    query = query.order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    return [(t, u) for t, u in session.exec(query).all()]


def revoke_api_token(*, session: Session, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke a token by id (idempotent); NotFound if there is no such token."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.add(token)
    return token
