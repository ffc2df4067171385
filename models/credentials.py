"""Passwords and API tokens in clear: the strength rules, hashing, and minting new ones.

Only hashes are stored (argon2id for passwords, SHA-256 for API tokens and session
ids); this module is where a secret in clear is turned into one. It needs no web
framework, so the CLI manages accounts without importing the web inbox.
"""

import hashlib
import secrets
from functools import cache

from pwdlib import PasswordHash

from models.exceptions import WeakPassword

MIN_PASSWORD_LENGTH = 10
#: argon2 takes any length, but hashing megabytes per request would be a cheap DoS
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "adn_"  # noqa: S105 (marks our tokens, e.g. for secret scanners)
#: characters of a token kept in clear, to tell tokens apart in lists
TOKEN_PREFIX_LENGTH = 12

_COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "passw0rd",
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "1q2w3e4r5t",
        "katasandi",
        "katasandi1",
        "katasandi123",
        "administrator",
        "admin12345",
        "adminadmin",
        "iloveyou12",
        "denpasar123",
        "bismillah",
        "bismillah123",
        "aduan12345",
        "rahasia123",
        "changeme123",
        "letmein123",
        "welcome123",
        "selamatdatang",
    }
)

_hasher = PasswordHash.recommended()


def check_password(password: str, *, username: str) -> None:
    """Raise WeakPassword unless *password* is long, varied and unrelated to *username*."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"password must be at most {MAX_PASSWORD_LENGTH} characters")
    low, name = password.lower(), username.strip().lower()
    # Short names would forbid too many passwords by mere containment.
    if name and (low == name or (len(name) >= 4 and name in low)):
        raise WeakPassword("password must not be or contain the username")
    if len(set(password)) < 5:
        raise WeakPassword("password has too few different characters")
    if low in _COMMON_PASSWORDS or "changeme" in low:
        raise WeakPassword("password is too common")


def hash_password(password: str, *, username: str) -> str:
    """The argon2 hash of *password* after checking its strength."""
    check_password(password, username=username)
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one uses outdated parameters, else None)."""
    return _hasher.verify_and_update(password, password_hash)


def generate_password(username: str = "") -> str:
    """A random password that passes ``check_password`` for *username* (about 120 bits)."""
    while True:
        candidate = secrets.token_urlsafe(15)
        try:
            check_password(candidate, username=username)
        except WeakPassword:  # pragma: no cover - astronomically unlikely
            continue
        return candidate


@cache
def _dummy_hash() -> str:
    # Verifying against this for unknown users makes them take as long as known ones,
    # so response time does not reveal which usernames exist.
    return _hasher.hash(secrets.token_urlsafe(16))


def dummy_hash() -> str:
    """A hash no password matches, verified for unknown users so that they take as long."""
    return _dummy_hash()


def sha256_hex(value: str) -> str:
    """Hex SHA-256 of *value*: how session ids and API tokens are stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_api_token() -> str:
    """A fresh random API token (``adn_...``), shown once and stored only as its hash."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_api_token(token: str) -> bool:
    """Whether *token* has the shape of one of ours (checked before any hashing)."""
    return token.startswith(TOKEN_PREFIX) and len(token) <= 200
