"""Engine and sessions for the tracking store (SQLite embedded, PostgreSQL in production)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

# Registers the hook that numbers complaints added through the ORM (see the module).
import models.public_number  # noqa: F401

#: types orjson would write but the standard library refuses: left to the latter
_REFUSED_AS_BEFORE = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dump_json(value: Any) -> str:
    """The text the store's JSON columns keep for *value* (the engines' ``json_serializer``).

    orjson writes it several times faster than the standard library: the raw payload of
    every mention passes through here as it is stored, and the model's terms and the
    complaint details as it is routed. What orjson refuses (a dictionary key that is not
    a string, an integer beyond 64 bits, a lone surrogate) is written by the standard
    library as before, and what neither writes is refused as before: a datetime or a
    dataclass is passed through to ``json.dumps``, which raises TypeError, rather than
    written as orjson would and read back as something else (orjson still writes a UUID
    or a plain Enum, as its text or value). The text is the same JSON value, without
    spaces and with non-ASCII characters as they are rather than ``\\u`` escapes; one
    difference: NaN and the infinities become ``null`` (the standard library wrote
    ``NaN``, which PostgreSQL refuses and SQLite read back as NaN).
    """
    try:
        return orjson.dumps(value, option=_REFUSED_AS_BEFORE).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for *url*; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", dump_json)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("timeout", 30)
        kwargs["connect_args"].setdefault("check_same_thread", False)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// would pick psycopg2, which aduan does not ship.
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
