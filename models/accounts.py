"""Accounts in the store: users and API tokens, and the operations the CLI and pages use.

Store functions take and return rows; the account operations (``create_account``,
``reset_password``, ``issue_api_token``, ``ensure_first_admin``) check and hash a
password or mint a token through ``models.credentials`` first. Nothing here needs the
web inbox, so ``aduan users ...`` does not import it.
"""

import logging
import re
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.credentials import (
    TOKEN_PREFIX_LENGTH,
    generate_password,
    hash_password,
    new_api_token,
    sha256_hex,
)
from models.db import session_scope
from models.exceptions import AccountError, NotFound
from models.locks import hold_lock
from models.sessions import revoke_user_sessions
from models.tables import Agency, ApiToken, User
from models.types import utcnow
from models.vocab import ROLES, Role

log = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,99}$")
#: a plain address: local part of the usual characters, a domain of dot-separated labels
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
#: the longest address SMTP carries (RFC 5321's path limit less the brackets)
MAX_EMAIL = 254
#: the administrator created on first start when there is none
FIRST_ADMIN = "admin"


def normalize_username(username: str) -> str:
    """The stored form of *username* (trimmed, lower case); AccountError if it is not valid."""
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"invalid username {username!r}: 2 to 100 characters, letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return name


def normalize_email(email: str) -> str | None:
    """The stored form of *email* (trimmed, domain in lower case); None for an empty one.

    AccountError names what is wrong: a display name, several addresses, a line break
    (header injection), a missing or malformed domain, or more than 254 characters.
    """
    value = email.strip()
    if not value:
        return None
    if len(value) > MAX_EMAIL:
        raise AccountError(
            f"e-mail address too long ({len(value)} characters; at most {MAX_EMAIL})"
        )
    if not EMAIL_PATTERN.fullmatch(value):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise AccountError(
            f"invalid e-mail address {shown!r}: one plain address like nama@pdam.denpasarkota.go.id"
        )
    local, _, domain = value.rpartition("@")
    if len(local) > 64:
        raise AccountError("invalid e-mail address: the part before @ is over 64 characters")
    return f"{local}@{domain.lower()}"


def set_email(*, session: Session, username: str, email: str) -> User:
    """Give a user an e-mail address (an empty one removes it); AccountError if it is invalid."""
    user = get_user(session=session, username=username)
    user.email = normalize_email(email)
    session.add(user)
    return user


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
    email: str = "",
) -> User:
    """Add a user after checking the name is free and the role and agency fit together."""
    name = normalize_username(username)
    address = normalize_email(email)
    check_role(session=session, role=role, agency_code=agency_code)
    if find_user(session=session, username=name) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(
        username=name,
        display_name=display_name.strip(),
        password_hash=password_hash,
        role=role,
        agency_code=agency_code or None,
        email=address,
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
    """Enable or disable a user; disabling also ends every browser session they have and
    revokes every API token, so re-enabling the account does not bring them back."""
    user = get_user(session=session, username=username)
    user.active = active
    session.add(user)
    if not active:
        assert user.id is not None
        revoke_user_sessions(session=session, user_id=user.id, now=now)
        revoke_user_tokens(session=session, user_id=user.id, now=now)
    return user


def set_password_hash(*, session: Session, user_id: int, password_hash: str) -> None:
    """Store a new password hash for the user."""
    session.execute(update(User).where(col(User.id) == user_id).values(password_hash=password_hash))


def mark_login(*, session: Session, user_id: int, at: datetime) -> None:
    """Record a successful sign-in time."""
    session.execute(update(User).where(col(User.id) == user_id).values(last_login_at=at))


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


def revoke_user_tokens(*, session: Session, user_id: int, now: datetime | None = None) -> int:
    """Revoke every live API token of a user; returns how many were revoked."""
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_api_token(*, session: Session, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke a token by id (idempotent); NotFound if there is no such token."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.add(token)
    return token


# --- account operations (used by the CLI, the admin pages and the run command) -----


def create_account(
    *,
    session: Session,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    agency_code: str | None = None,
    email: str = "",
) -> User:
    """Create a user with *password* after checking role, agency, e-mail and password."""
    name = normalize_username(username)
    check_role(session=session, role=role, agency_code=agency_code)
    normalize_email(email)
    return create_user(
        session=session,
        username=name,
        role=role,
        password_hash=hash_password(password, username=name),
        display_name=display_name,
        agency_code=agency_code,
        email=email,
    )


def reset_password(*, session: Session, username: str, password: str) -> User:
    """Give a user a new password, end all their browser sessions and revoke their API
    tokens (a reset means the old credentials may be known to someone else)."""
    user = get_user(session=session, username=username)
    assert user.id is not None
    set_password_hash(
        session=session,
        user_id=user.id,
        password_hash=hash_password(password, username=user.username),
    )
    revoke_user_sessions(session=session, user_id=user.id)
    revoke_user_tokens(session=session, user_id=user.id)
    return user


def issue_api_token(*, session: Session, username: str, name: str) -> tuple[str, ApiToken]:
    """Create an API token for a user: (the token, shown once; its stored row)."""
    user = get_user(session=session, username=username)
    if not user.active:
        raise AccountError(f"user {user.username!r} is disabled")
    if not name.strip():
        raise AccountError("give the token a --name saying what uses it")
    assert user.id is not None
    token = new_api_token()
    row = add_api_token(
        session=session,
        user_id=user.id,
        name=name,
        prefix=token[:TOKEN_PREFIX_LENGTH],
        token_hash=sha256_hex(token),
    )
    return token, row


def ensure_first_admin(engine: Engine) -> str | None:
    """Create user "admin" with a random password if no admin exists; return that password.

    Returns None when an admin exists (even a disabled one: disabling was a decision)
    or when the name "admin" is taken by a non-admin; the caller prints the password once.
    Daemons starting together take turns (a lock), so exactly one of them creates it.
    """
    password = generate_password(FIRST_ADMIN)
    with hold_lock(engine, "first-admin"):
        try:
            with session_scope(engine) as s:
                if admin_exists(session=s):
                    return None
                if find_user(session=s, username=FIRST_ADMIN) is not None:
                    log.warning(
                        "no admin account and the name %r is taken; "
                        "create one with: aduan users create NAME --role admin",
                        FIRST_ADMIN,
                    )
                    return None
                create_account(
                    session=s,
                    username=FIRST_ADMIN,
                    role=Role.ADMIN,
                    password=password,
                    display_name="Administrator",
                )
        except (IntegrityError, AccountError) as err:
            # A process without the lock (an older version, `aduan users create`) created
            # it at the same moment; its password was printed there.
            with Session(engine) as s:
                if find_user(session=s, username=FIRST_ADMIN) is None:
                    raise
            log.info("first administrator created by another process (%s)", err)
            return None
    return password
