"""Whether the store accepts writes, and what kind of problem a store error is.

Health checks and the daemon's logs tell an unreachable store from a full disk, a
read-only database and a record the store refuses: each needs a different fix.
"""

import logging
import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    SQLAlchemyError,
    StatementError,
)

from models.vocab import StoreProblem

log = logging.getLogger(__name__)

#: how long the write probe waits for another SQLite writer, in milliseconds
PROBE_BUSY_MS = 2000
#: PostgreSQL SQLSTATE classes and codes (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_PG_DISK_FULL = ("53100", "53200")  # disk_full, out_of_memory
_PG_READ_ONLY = ("25006",)  # read_only_sql_transaction (a standby, default_transaction_read_only)
#: connection exception, operator intervention, no such database, authentication failed
_PG_UNAVAILABLE_CLASSES = ("08", "57", "3D", "28")
_PG_DATA_CLASSES = ("22", "23")  # data exception, integrity constraint violation
#: SQLite result codes (https://www.sqlite.org/rescode.html), primary code = code & 0xff
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_BUSY, _SQLITE_CANTOPEN = 13, 8, 5, 14
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_NOTADB = 10, 11, 26


def store_problem(err: BaseException) -> StoreProblem:
    """The kind of problem behind a store error (a SQLAlchemy or DB-API error)."""
    orig = getattr(err, "orig", None) or err
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return _pg_problem(str(sqlstate), err)
    code = getattr(orig, "sqlite_errorcode", None)
    message = str(orig).lower()
    if code is not None:
        return _sqlite_problem(int(code) & 0xFF, err)
    if "disk is full" in message or "no space left" in message:
        return StoreProblem.DISK_FULL
    if "readonly" in message or "read-only" in message:
        return StoreProblem.READ_ONLY
    if "database is locked" in message:
        return StoreProblem.BUSY
    if isinstance(err, IntegrityError | DataError):
        return StoreProblem.DATA_ERROR
    if isinstance(err, InterfaceError) or (
        isinstance(err, DBAPIError) and err.connection_invalidated
    ):
        return StoreProblem.UNAVAILABLE
    if "unable to open" in message or "connection" in message or "could not connect" in message:
        return StoreProblem.UNAVAILABLE
    return StoreProblem.OTHER


def _pg_problem(sqlstate: str, err: BaseException) -> StoreProblem:
    if sqlstate in _PG_DISK_FULL:
        return StoreProblem.DISK_FULL
    if sqlstate in _PG_READ_ONLY:
        return StoreProblem.READ_ONLY
    if sqlstate[:2] in _PG_UNAVAILABLE_CLASSES:
        return StoreProblem.UNAVAILABLE
    if sqlstate[:2] in _PG_DATA_CLASSES or isinstance(err, IntegrityError | DataError):
        return StoreProblem.DATA_ERROR
    return StoreProblem.OTHER


def _sqlite_problem(code: int, err: BaseException) -> StoreProblem:
    if code == _SQLITE_FULL:
        return StoreProblem.DISK_FULL
    if code == _SQLITE_READONLY:
        return StoreProblem.READ_ONLY
    if code == _SQLITE_BUSY:
        return StoreProblem.BUSY
    if code in (_SQLITE_CANTOPEN, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreProblem.UNAVAILABLE
    if isinstance(err, IntegrityError | DataError):
        return StoreProblem.DATA_ERROR
    return StoreProblem.OTHER


def describe(err: BaseException) -> str:
    """One line about a store error: the driver's message and, for a refused record,
    the table and the record's key (no SQL, no other values)."""
    orig = getattr(err, "orig", None) or err
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    # PostgreSQL's DETAIL line names the key: "Key (platform, platform_id)=(...)"
    detail = next((line for line in lines[1:] if line.startswith("DETAIL")), None)
    first = lines[0] if lines else type(orig).__name__
    words = [first[:300]]
    if detail:
        words.append(detail[:300])
    if isinstance(err, StatementError) and store_problem(err) is StoreProblem.DATA_ERROR:
        record = _record(err)
        if record:
            words.append(record)
    return "; ".join(words)


_INSERT = re.compile(r"^\s*insert\s+into\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_UPDATE = re.compile(r"^\s*update\s+(\w+)", re.IGNORECASE)
#: the columns that name a record, in the order they are tried
_KEYS = ("platform_id", "source", "code", "username", "id")


def _record(err: StatementError) -> str | None:
    """The refused record as its table and key: ``table mention platform_id=123``."""
    statement = err.statement or ""
    params: Any = err.params
    if isinstance(params, list) and params:
        params = params[0]  # a batch: the first record (the driver does not say which)
    insert, update = _INSERT.match(statement), _UPDATE.match(statement)
    found = insert or update
    table = found.group(1) if found else None
    if insert and isinstance(params, tuple | list):
        columns = [c.strip().strip('"') for c in insert.group(2).split(",")]
        params = dict(zip(columns, params, strict=False))
    named = ""
    if isinstance(params, dict):
        keys = [k for k in _KEYS if params.get(k) is not None][:2]
        named = " ".join(f"{k}={str(params[k])[:80]}" for k in keys)
    words = [f"table {table}" if table else "", named]
    return " ".join(w for w in words if w) or None


def write_probe(engine: Engine) -> StoreProblem | None:
    """Commit a tiny write; None when the store took it, else the kind of refusal.

    SQLite rewrites its header's ``user_version`` (unused by aduan) with the value it
    has, which appends a page to the write-ahead log: a full disk or a read-only file
    refuses it. PostgreSQL is asked for a transaction id and commits, which writes a
    commit record to its log: a standby refuses it, and a database set read-only says so.
    """
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                # a probe waits briefly for a writer; the pooled connection gets its wait back
                wait = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {min(wait, PROBE_BUSY_MS)}")
                try:
                    version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
                    conn.exec_driver_sql(f"PRAGMA user_version = {version}")
                    conn.commit()
                finally:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {wait}")
            else:
                if conn.execute(text("SHOW transaction_read_only")).scalar() == "on":
                    return StoreProblem.READ_ONLY
                conn.execute(text("SELECT txid_current()"))
                conn.commit()
    except SQLAlchemyError as err:
        problem = store_problem(err)
        log.debug("store write probe: %s: %s", problem, describe(err))
        return problem
    return None
