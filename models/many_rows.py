"""Writing many rows with one statement: arrays on PostgreSQL, executemany on SQLite.

On PostgreSQL an executemany is one round trip per row (pipelined, but each row is still
a statement the server plans and runs), and a multi-row ``VALUES`` list is parsed
placeholder by placeholder on the client. Here each column travels as one array
parameter and the server unnests them: ``INSERT INTO t (a, b) SELECT u.a, u.b FROM
unnest($1::int[], $2::text[]) AS u(a, b)`` or ``UPDATE t SET ... FROM unnest(...) AS u(...)
WHERE t.id = u.id``; a column with the same value in every row (a batch's time, a status,
an empty column) is bound once instead (``$3::timestamptz``). The statement's text
depends only on the table, the columns and which are shared, so the driver converts it
once, and the arrays travel in binary (no quoting of every element). Values pass
through each column's SQLAlchemy type first (time zones, JSON, status names), as any
insert of the table would. SQLite runs in process, so an
executemany costs no round trips there: rows without RETURNING go straight to the driver's
executemany (after the column types), skipping SQLAlchemy's per-row parameter building.

Table and column names come from the application's own metadata, never from input;
values are always bound parameters.
"""

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Enum,
    String,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, Row

from models.exceptions import StoreError


def any_of(dialect: Dialect, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """*column* is one of *values*: ``= ANY(array)`` on PostgreSQL, ``IN (...)`` elsewhere.

    An ``IN`` list is a parameter per value, which SQLAlchemy expands into the
    statement's text at every execution and the server parses and plans value by value;
    a batch's look-ups (hundreds of ids) cost several times more that way than with the
    one array parameter.
    """
    values = list(values)
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type), unique=True))
    return column.in_(values)


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_conflicts_on: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """Insert *rows* (every row with the same keys); the *returning* columns of those written.

    *skip_conflicts_on*: the columns of a unique constraint; a row that would repeat a
    stored one is skipped (``ON CONFLICT (...) DO NOTHING``) and returns nothing.
    """
    if not rows:
        return []
    keys = _same_keys(table, rows)
    if conn.dialect.name != "postgresql":
        stmt: Any = sqlite_insert(table) if skip_conflicts_on else insert(table)
        if skip_conflicts_on:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
        if returning and _plain_results(table, tuple(returning), conn.dialect):
            return _sqlite_returning(conn, table, keys, rows, tuple(skip_conflicts_on), returning)
        if returning:
            return list(conn.execute(stmt.returning(*(table.c[c] for c in returning)), rows))
        if skip_conflicts_on:
            conn.execute(stmt, rows)
        else:
            conn.exec_driver_sql(
                _plain_insert(table, keys, conn.dialect), _tuples(table, keys, rows, conn.dialect)
            )
        return []
    shared, params = _pg_params(table, keys, rows, conn.dialect)
    sql = _pg_insert(table, keys, shared, tuple(skip_conflicts_on), tuple(returning), conn.dialect)
    result = conn.exec_driver_sql(sql, params)
    return list(result) if returning else []


#: bound values per SQLite statement: the smallest limit any SQLite build has (999)
SQLITE_VARIABLES = 999


def _sqlite_returning(
    conn: Connection,
    table: Table,
    keys: tuple[str, ...],
    rows: Sequence[dict[str, Any]],
    conflict: tuple[str, ...],
    returning: Sequence[str],
) -> list[Row[Any]]:
    """Insert on SQLite with multi-row ``VALUES`` statements of as many rows as
    ``SQLITE_VARIABLES`` allows, straight to the driver: the values pass through the
    column types once per column (``_tuples``) rather than through SQLAlchemy's
    parameters row by row."""
    values = _tuples(table, keys, rows, conn.dialect)
    per = max(1, SQLITE_VARIABLES // len(keys))
    out: list[Row[Any]] = []
    for start in range(0, len(values), per):
        chunk = values[start : start + per]
        sql = _sqlite_insert_returning(
            table, keys, len(chunk), conflict, tuple(returning), conn.dialect
        )
        out.extend(conn.exec_driver_sql(sql, tuple(v for row in chunk for v in row)))
    return out


@lru_cache(maxsize=64)
def _plain_results(table: Table, columns: tuple[str, ...], dialect: Dialect) -> bool:
    """Whether the driver's values of *columns* are what their types return (no result
    processing, e.g. integers and text), so rows from the driver can be returned as they are."""
    return all(
        table.c[c].type.dialect_impl(dialect).result_processor(dialect, None) is None
        for c in columns
    )


@lru_cache(maxsize=64)
def _sqlite_insert_returning(
    table: Table,
    keys: tuple[str, ...],
    count: int,
    conflict: tuple[str, ...],
    returning: tuple[str, ...],
    dialect: Dialect,
) -> str:
    """``INSERT INTO t (a, b) VALUES (?, ?), ... [ON CONFLICT ...] RETURNING ...``."""
    q = dialect.identifier_preparer.quote
    row = "(" + ", ".join("?" for _ in keys) + ")"
    # Names from the metadata (quoted), values bound: nothing of the input is in the text.
    sql = (
        f"INSERT INTO {q(table.name)} ({', '.join(q(k) for k in keys)}) "  # noqa: S608
        f"VALUES {', '.join(row for _ in range(count))}"
    )
    if conflict:
        sql += _on_conflict(table, conflict, dialect)
    return sql + f" RETURNING {', '.join(q(c) for c in returning)}"


def insert_new_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, unique_on: Sequence[str]
) -> int:
    """Insert those of *rows* (every row with the same keys) that repeat no stored row on
    the unique constraint of the *unique_on* columns; how many were written.

    For callers that need only the count: no ``RETURNING``, so on SQLite the rows go
    straight to the driver's executemany (``INSERT ... ON CONFLICT (...) DO NOTHING``)
    instead of through SQLAlchemy's row-by-row parameters and result rows.
    """
    if not rows:
        return 0
    if not unique_on:
        raise ValueError("insert_new_rows needs the columns of a unique constraint")
    keys = _same_keys(table, rows)
    if conn.dialect.name != "postgresql":
        sql = _plain_insert(table, keys, conn.dialect) + _on_conflict(
            table, tuple(unique_on), conn.dialect
        )
        result = conn.exec_driver_sql(sql, _tuples(table, keys, rows, conn.dialect))
    else:
        shared, params = _pg_params(table, keys, rows, conn.dialect)
        sql = _pg_insert(table, keys, shared, tuple(unique_on), (), conn.dialect)
        result = conn.exec_driver_sql(sql, params)
    return int(result.rowcount)


def insert_new_rows_ids(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, unique_on: Sequence[str]
) -> list[Row[Any]]:
    """``insert_new_rows``, returning ``id`` and the *unique_on* columns of each row written.

    On PostgreSQL with ``RETURNING``. On SQLite the rows go to the driver's executemany
    (several times faster than multi-row ``VALUES ... RETURNING`` statements), then are
    read back: SQLite gives a new row the rowid after the largest, so the rows one
    statement wrote in its write transaction are the range of ids ending at
    ``last_insert_rowid()``. The range is checked against the rows given; should it hold
    any other row, StoreError is raised (the store's doing, not a row's) and the caller's
    transaction must roll back.
    """
    returning = ("id", *unique_on)
    if conn.dialect.name == "postgresql":
        return insert_rows(conn, table, rows, skip_conflicts_on=unique_on, returning=returning)
    written = insert_new_rows(conn, table, rows, unique_on=unique_on)
    if not written:
        return []
    last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
    id_column = table.c.id
    found = list(
        conn.execute(
            select(*(table.c[c] for c in returning))
            .where(id_column.between(last - written + 1, last))
            .order_by(id_column)
        )
    )
    given = {tuple(row[c] for c in unique_on) for row in rows}
    if len(found) != written or any(tuple(r)[1:] not in given for r in found):
        raise StoreError(
            f"insert into {table.name}: the {written} rows written are not ids "
            f"{last - written + 1} to {last}"
        )
    return found


def update_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, key: str = "id"
) -> None:
    """Set each row's other columns where *key* equals its *key* (every row the same keys)."""
    if not rows:
        return
    keys = _same_keys(table, rows)
    if key not in keys:
        raise ValueError(f"update of {table.name}: each row needs its {key!r}")
    if conn.dialect.name != "postgresql":
        ordered = (*(k for k in keys if k != key), key)
        conn.exec_driver_sql(
            _plain_update(table, ordered, conn.dialect), _tuples(table, ordered, rows, conn.dialect)
        )
        return
    shared, params = _pg_params(table, keys, rows, conn.dialect, array=key)
    conn.exec_driver_sql(_pg_update(table, keys, shared, key, conn.dialect), params)


def _same_keys(table: Table, rows: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    keys = tuple(rows[0])
    unknown = [k for k in keys if k not in table.c]
    if unknown:
        raise ValueError(f"not columns of {table.name}: {', '.join(unknown)}")
    for row in rows:
        if tuple(row) != keys:
            raise ValueError(f"rows differ in their columns: {sorted(keys)} vs {sorted(row)}")
    return keys


def _pg_params(
    table: Table,
    keys: tuple[str, ...],
    rows: Sequence[dict[str, Any]],
    dialect: Dialect,
    *,
    array: str | None = None,
) -> tuple[tuple[bool, ...], dict[str, Any]]:
    """The statement's parameters: per column, whether it is shared (the same value in
    every row, bound once) and its value or array of values, through the column's type.

    A batch's time, a status or an empty column is the same in every row: as one value
    it is dumped and sent once instead of once per row. The *array* column (an update's
    key) and, when every column is shared, the first, stay arrays (unnest needs one).
    """
    shared: list[bool] = []
    params: dict[str, Any] = {}
    for i, (k, process) in enumerate(zip(keys, _processors(table, keys, dialect), strict=True)):
        values = [r[k] for r in rows]
        first = values[0]
        if k != array and all(v is first for v in values):
            shared.append(True)
            params[f"p{i}"] = first if process is None else process(first)
        else:
            shared.append(False)
            params[f"p{i}"] = _processed(process, values)
    if all(shared):
        shared[0] = False
        params["p0"] = [params["p0"]] * len(rows)
    return tuple(shared), params


def _processed(process: Any, values: list[Any]) -> list[Any]:
    """*values* through the column type's *process* (None: as they are).

    A column holding one value in every row (None, a batch's time, a status) is
    processed once: a processor's result depends only on its value.
    """
    if process is None or not values:
        return values
    first = values[0]
    if all(v is first for v in values):
        return [process(first)] * len(values)
    return [process(v) for v in values]


def _processors(table: Table, keys: tuple[str, ...], dialect: Dialect) -> list[Any]:
    return [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]


def _tuples(
    table: Table, keys: tuple[str, ...], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Each row's values in *keys*' order, through the column types (for a driver executemany)."""
    columns = []
    for k, process in zip(keys, _processors(table, keys, dialect), strict=True):
        columns.append(_processed(process, [r[k] for r in rows]))
    return list(zip(*columns, strict=True))


@lru_cache(maxsize=64)
def _plain_insert(table: Table, keys: tuple[str, ...], dialect: Dialect) -> str:
    """``INSERT INTO t (a, b) VALUES (?, ?)`` for the driver's own executemany (SQLite)."""
    q = dialect.identifier_preparer.quote
    marks = ", ".join("?" for _ in keys)
    # Names from the metadata (quoted), values bound: nothing of the input is in the text.
    return f"INSERT INTO {q(table.name)} ({', '.join(q(k) for k in keys)}) VALUES ({marks})"  # noqa: S608


@lru_cache(maxsize=64)
def _on_conflict(table: Table, conflict: tuple[str, ...], dialect: Dialect) -> str:
    """`` ON CONFLICT (a, b) DO NOTHING`` on the columns *conflict* of *table*."""
    unknown = [name for name in conflict if name not in table.c]
    if unknown:
        raise ValueError(f"not columns of {table.name}: {', '.join(unknown)}")
    q = dialect.identifier_preparer.quote
    return f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO NOTHING"


@lru_cache(maxsize=64)
def _plain_update(table: Table, ordered: tuple[str, ...], dialect: Dialect) -> str:
    """``UPDATE t SET a = ?, b = ? WHERE key = ?`` (the key last in *ordered*)."""
    q = dialect.identifier_preparer.quote
    sets = ", ".join(f"{q(k)} = ?" for k in ordered[:-1])
    # Names from the metadata (quoted), values bound: nothing of the input is in the text.
    return f"UPDATE {q(table.name)} SET {sets} WHERE {q(ordered[-1])} = ?"  # noqa: S608


def _unnest(
    table: Table, keys: tuple[str, ...], shared: tuple[bool, ...], dialect: Dialect
) -> tuple[list[str], str]:
    """The expressions giving *keys* in order (``u.col`` from the arrays, a cast
    parameter for each shared column) and the ``unnest(...) AS u(...)`` of the arrays."""
    q = dialect.identifier_preparer.quote
    columns, arrays, names = [], [], []
    for i, k in enumerate(keys):
        element = _array_element(table.c[k].type, dialect)
        if shared[i]:
            columns.append(f"CAST(%(p{i})b AS {element})")
        else:
            columns.append(f"u.{q(k)}")
            arrays.append(f"CAST(%(p{i})b AS {element}[])")
            names.append(q(k))
    return columns, f"unnest({', '.join(arrays)}) AS u({', '.join(names)})"


def _array_element(column_type: Any, dialect: Dialect) -> str:
    """The SQL type of an array parameter's elements for a column of *column_type*.

    A bounded string column's array is ``VARCHAR[]``, not ``VARCHAR(n)[]``: an explicit
    cast to ``VARCHAR(n)`` cuts a longer value silently, while the insert's or update's
    own assignment to the column refuses it ("value too long"), as any other write of
    the column would.
    """
    impl = column_type.dialect_impl(dialect)
    stored = impl
    while isinstance(stored, TypeDecorator):  # e.g. SQLModel's AutoString
        stored = stored.impl_instance
    # (not a native enum: PostgreSQL has no assignment from VARCHAR to an enum type)
    native_enum = isinstance(stored, Enum) and stored.native_enum
    if isinstance(stored, String) and stored.length is not None and not native_enum:
        return str(String().compile(dialect=dialect))
    return str(impl.compile(dialect=dialect))


@lru_cache(maxsize=256)
def _pg_insert(
    table: Table,
    keys: tuple[str, ...],
    shared: tuple[bool, ...],
    conflict: tuple[str, ...],
    returning: tuple[str, ...],
    dialect: Dialect,
) -> str:
    q = dialect.identifier_preparer.quote
    columns, source = _unnest(table, keys, shared, dialect)
    # Names from the metadata (quoted), values bound: nothing of the input is in the text.
    sql = (
        f"INSERT INTO {q(table.name)} ({', '.join(q(k) for k in keys)}) "  # noqa: S608
        f"SELECT {', '.join(columns)} FROM {source}"
    )
    if conflict:
        sql += f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(q(c) for c in returning)}"
    return sql


@lru_cache(maxsize=256)
def _pg_update(
    table: Table, keys: tuple[str, ...], shared: tuple[bool, ...], key: str, dialect: Dialect
) -> str:
    q = dialect.identifier_preparer.quote
    columns, source = _unnest(table, keys, shared, dialect)
    sets = ", ".join(f"{q(k)} = {c}" for k, c in zip(keys, columns, strict=True) if k != key)
    # Names from the metadata (quoted), values bound: nothing of the input is in the text.
    return (
        f"UPDATE {q(table.name)} AS t SET {sets} "  # noqa: S608
        f"FROM {source} WHERE t.{q(key)} = u.{q(key)}"
    )
