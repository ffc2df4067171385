"""Store failures injected at the driver: a full disk, a record the store refuses."""

import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

#: statements that write (the write probe's too): a full disk refuses them all
WRITES = ("insert", "update", "delete", "pragma user_version =", "select txid_current()")


def disk_full_error(engine: Engine) -> Exception:
    """The error the engine's driver raises when the disk is full."""
    if engine.dialect.name == "postgresql":
        return psycopg.errors.DiskFull(
            'could not extend file "base/16384/16500": No space left on device'
        )
    err = sqlite3.OperationalError("database or disk is full")
    err.sqlite_errorcode = 13  # SQLITE_FULL, as the driver sets it
    return err


@contextmanager
def refusing_writes(
    engine: Engine, error: Callable[[], Exception], *, statements: tuple[str, ...] = WRITES
) -> Iterator[list[str]]:
    """Every statement starting with one of *statements* fails with *error()* in the driver;
    yields the refused statements."""
    refused: list[str] = []

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().lower().startswith(statements):
            refused.append(statement)
            raise error()

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


@contextmanager
def disk_full(engine: Engine) -> Iterator[list[str]]:
    """The disk under the store is full: every write fails as the driver reports it."""
    with refusing_writes(engine, lambda: disk_full_error(engine)) as refused:
        yield refused


@contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """*folder* where nothing can be created: mode 0555, and immutable for root (whom
    file modes do not stop; needs chattr and a filesystem with the flag, e.g. ext4)."""
    folder.mkdir(parents=True, exist_ok=True)
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield folder
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(mode)
