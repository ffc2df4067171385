"""Public complaint numbers: ``DPS-26-00123`` (prefix, WITA year, sequence of that year).

A number is what a citizen quotes: it is given once, in the transaction that files the
complaint, and never changes or returns (a merged complaint keeps its own). The
sequence of each (prefix, year) lives in one row of ``public_number_counter``, bumped
with ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: on PostgreSQL that statement
locks the row until the filing transaction ends, so two daemons filing at once take
turns and never draw the same value; SQLite has one writer at a time. A transaction
that rolls back gives its value back with it; one whose complaint turned out to be
filed already by another router leaves a gap, never a repeat. ``complaint.public_number``
is UNIQUE besides, so a repeat could not be stored even by a bug.
"""

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from models.tables import Complaint, PublicNumberCounter
from models.wita import WITA

#: the city prefix when the config names none (Denpasar)
DEFAULT_PREFIX = "DPS"
#: what a prefix may be: two to eight capital letters
PREFIX_PATTERN = re.compile(r"^[A-Z]{2,8}$")
#: what a typed public number looks like (any case, spaces around ignored)
NUMBER_PATTERN = re.compile(r"^\s*([A-Za-z]{2,8})-(\d{2})-(\d{1,9})\s*$")

_COUNTERS: Table = PublicNumberCounter.__table__  # type: ignore[attr-defined]


def format_number(prefix: str, year: int, sequence: int) -> str:
    """``DPS-26-00123``: the prefix, the year's last two digits, the sequence (5+ digits)."""
    return f"{prefix}-{year % 100:02d}-{sequence:05d}"


def normalize_number(text: str) -> str | None:
    """The canonical form of a typed number (``dps-26-123`` -> ``DPS-26-00123``), or None."""
    match = NUMBER_PATTERN.match(text)
    if match is None:
        return None
    prefix, yy, seq = match.groups()
    return f"{prefix.upper()}-{yy}-{int(seq):05d}"


def wita_year(when: datetime) -> int:
    """The calendar year in Denpasar at *when* (31 Dec 17:00 UTC is already next year)."""
    return when.astimezone(WITA).year


def next_number(conn: Connection, *, prefix: str, filed_at: datetime) -> str:
    """Draw the next number of *prefix* for the WITA year of *filed_at*, in *conn*'s transaction."""
    return next_numbers(conn, prefix=prefix, filed_at=filed_at, count=1)[0]


def next_numbers(conn: Connection, *, prefix: str, filed_at: datetime, count: int) -> list[str]:
    """Draw the next *count* numbers of *prefix* at once, in *conn*'s transaction.

    One upsert moves the counter on by *count* and returns its new value: the block
    below it is this transaction's, in order. A routing batch files all its complaints
    with one round trip instead of one per complaint; the row lock (PostgreSQL) or the
    single writer (SQLite) keeps two blocks from overlapping, as for one number.
    """
    if count < 1:
        raise ValueError(f"count of public numbers to draw must be at least 1, not {count}")
    year = wita_year(filed_at)
    bump = _BUMP[conn.dialect.name == "postgresql"]
    last = int(conn.execute(bump, {"prefix": prefix, "year": year, "n": count}).scalar_one())
    return [format_number(prefix, year, value) for value in range(last - count + 1, last + 1)]


def _bump(make_insert: Any) -> Any:
    """The counter upsert, built once per dialect: built per filing it costs more than it runs."""
    insert = make_insert(_COUNTERS).values(
        prefix=bindparam("prefix"), year=bindparam("year"), last_value=bindparam("n")
    )
    return insert.on_conflict_do_update(
        index_elements=["prefix", "year"],
        set_={"last_value": _COUNTERS.c.last_value + bindparam("n")},
    ).returning(_COUNTERS.c.last_value)


#: is PostgreSQL -> the upsert
_BUMP = {False: _bump(sqlite_insert), True: _bump(pg_insert)}


@event.listens_for(Complaint, "before_insert")
def _number_orm_inserts(_mapper: Any, conn: Connection, target: Complaint) -> None:
    """A complaint added through the ORM (tests, tools) gets a number like a filed one."""
    if not target.public_number:
        target.public_number = next_number(conn, prefix=DEFAULT_PREFIX, filed_at=target.created_at)
