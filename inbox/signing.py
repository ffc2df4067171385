"""The web inbox's secret key and the values it signs (session cookies).

The key comes from the environment variable the config names or, when that is unset,
from a key file created once in the data directory; a short or placeholder key is
refused with a ``ConfigError`` naming where it came from.
"""

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from base64 import urlsafe_b64encode
from pathlib import Path

from models.exceptions import ConfigError

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
SECRET_FILE = "web_secret.key"  # noqa: S105 (a file name, not a secret)

_PLACEHOLDER_WORDS = (
    "changeme",
    "change-me",
    "change_me",
    "changethis",
    "secret",
    "placeholder",
    "example",
    "password",
    "your-",
    "your_",
    "replace",
    "todo",
    "xxxxxx",
    "rahasia",
)


def load_secret_key(env_name: str, data_dir: Path) -> bytes:
    """The cookie-signing key: from $env_name if set, else from (or created at) a key file.

    A set variable that is short or a placeholder is refused with ConfigError naming
    it. The file is created once with mode 0600 and reused, so sessions survive restarts.
    """
    value = os.environ.get(env_name, "")
    if value:
        _check_secret(value, f"environment variable {env_name}")
        return value.encode()
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        _create_key_file(path)
    try:
        if path.stat().st_mode & 0o077:
            log.warning("%s was readable by others; restricting it to its owner", path)
            path.chmod(0o600)
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the web secret key: {err}") from None
    _check_secret(text, str(path))
    return text.encode()


def _check_secret(value: str, where: str) -> None:
    hint = "create one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{where}: the web secret key must be at least {MIN_SECRET_LENGTH} characters; {hint}"
        )
    low = value.lower()
    if any(word in low for word in _PLACEHOLDER_WORDS) or len(set(value)) < 10:
        raise ConfigError(f"{where}: the web secret key looks like a placeholder; {hint}")


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a private temporary file and linked into place: the key is never
    # visible half-written or with loose permissions, and when two processes start at
    # once the link of the second fails and it reads the first one's key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".web_secret.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    log.info("created a new web secret key at %s", path)


def subkey(key: bytes, purpose: str) -> bytes:
    """A key derived from *key* for one *purpose*."""
    # One key per use, so a value signed for one purpose is never accepted for another.
    return hmac.new(key, b"aduan:" + purpose.encode(), hashlib.sha256).digest()


def sign_value(value: str, key: bytes) -> str:
    """*value* with an HMAC-SHA256 signature appended (``value.signature``)."""
    mac = hmac.new(key, value.encode(), hashlib.sha256).digest()
    return f"{value}.{urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def unsign_value(signed: str, key: bytes) -> str | None:
    """The value of a ``sign_value`` result, or None if the signature does not match."""
    value, sep, _ = signed.rpartition(".")
    if not sep or not value:
        return None
    if hmac.compare_digest(sign_value(value, key).encode(), signed.encode()):
        return value
    return None
