"""Named locks that hold across processes: one harvester per source at a time.

On PostgreSQL a session-level advisory lock, so daemon instances on several machines
sharing the store exclude each other; on SQLite (one machine) a file lock beside the
database. Both are released when the holder's connection or process ends, so a killed
daemon never leaves a source locked.
"""

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for *name* (advisory locks take a bigint)."""
    digest = hashlib.sha256(f"aduan:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def hold_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock *name* for the block, waiting for another holder to finish."""
    with _lock(engine, name, wait=True):
        yield


@contextmanager
def try_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Hold the lock *name* for the block if it is free; yields False if another holds it."""
    with _lock(engine, name, wait=False) as got:
        yield got


@contextmanager
def _lock(engine: Engine, name: str, *, wait: bool) -> Iterator[bool]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = lock_key(name)
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                got = True
            else:
                got = bool(
                    conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        return
    path = _lock_path(engine, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _lock_path(engine: Engine, name: str) -> Path:
    database = engine.url.database or ""
    base = Path(database).parent if database and database != ":memory:" else Path("/tmp")  # noqa: S108
    safe = hashlib.sha256(name.encode()).hexdigest()[:16]
    return base / ".locks" / f"{safe}.lock"
