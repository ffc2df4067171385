"""Many rows in one statement: the same rows and values on SQLite and PostgreSQL."""

from pathlib import Path

import pytest
from sqlalchemy import Table, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError

from models.db import make_engine, session_scope
from models.exceptions import StoreError
from models.many_rows import (
    SQLITE_VARIABLES,
    any_of,
    insert_new_rows,
    insert_new_rows_ids,
    insert_rows,
    update_rows,
)
from models.mentions import insert_mentions
from models.migrate import upgrade
from models.tables import Mention
from tests.support.factories import BASE_TIME, mention

MENTIONS: Table = Mention.__table__  # type: ignore[attr-defined]


def _row(n: int) -> dict[str, object]:
    row = mention(n, text=f"air mati {n}").model_dump()
    row.update(fetched_at=BASE_TIME, state="pending")
    return row


def test_insert_rows_returns_what_it_wrote_and_skips_repeats(engine: Engine) -> None:
    with session_scope(engine) as s:
        conn = s.connection()
        first = insert_rows(
            conn,
            MENTIONS,
            [_row(1), _row(2)],
            skip_conflicts_on=["platform", "platform_id"],
            returning=["platform_id"],
        )
        again = insert_rows(
            conn,
            MENTIONS,
            [_row(2), _row(3)],
            skip_conflicts_on=["platform", "platform_id"],
            returning=["platform_id"],
        )
    assert sorted(r.platform_id for r in first) == ["1001", "1002"]
    assert [r.platform_id for r in again] == ["1003"]  # 1002 was stored already
    with session_scope(engine) as s:
        stored = (
            s.connection()
            .execute(select(MENTIONS.c.platform_id, MENTIONS.c.raw, MENTIONS.c.created_at))
            .all()
        )
    assert len(stored) == 3
    # values went through the columns' types: JSON stays JSON, times stay UTC-aware
    assert all(isinstance(raw, dict) for _, raw, _ in stored)
    assert sorted(at for _, _, at in stored) == [mention(n).created_at for n in (1, 2, 3)]


def test_insert_rows_returns_every_written_row_of_a_large_batch(engine: Engine) -> None:
    # More rows than one SQLite statement binds (SQLITE_VARIABLES values), repeats among them.
    unique = ["platform", "platform_id"]
    assert 400 * len(_row(1)) > SQLITE_VARIABLES * 3
    with session_scope(engine) as s:
        conn = s.connection()
        insert_rows(conn, MENTIONS, [_row(n) for n in range(0, 400, 7)], skip_conflicts_on=unique)
        written = insert_rows(
            conn,
            MENTIONS,
            [_row(n) for n in range(400)],
            skip_conflicts_on=unique,
            returning=["id", "platform_id"],
        )
        stored = dict(conn.execute(select(MENTIONS.c.platform_id, MENTIONS.c.id)).all())
    assert sorted(r.platform_id for r in written) == sorted(
        str(1000 + n) for n in range(400) if n % 7
    )
    assert {r.platform_id: r.id for r in written}.items() <= stored.items()
    assert len(stored) == 400


def test_any_of_selects_the_rows_with_one_of_the_values(engine: Engine) -> None:
    with session_scope(engine) as s:
        insert_mentions(session=s, mentions=[mention(n) for n in range(1, 8)])
    with session_scope(engine) as s:
        conn = s.connection()
        ids = list(conn.execute(select(MENTIONS.c.id).order_by(MENTIONS.c.id)).scalars())

        def chosen(column: object, values: list[object]) -> list[str]:
            stmt = select(MENTIONS.c.platform_id).where(any_of(conn.dialect, column, values))
            return sorted(conn.execute(stmt.order_by(MENTIONS.c.platform_id)).scalars())

        assert chosen(MENTIONS.c.id, [ids[0], ids[3], 10**6]) == ["1001", "1004"]
        assert chosen(Mention.platform_id, ["1002", "1007", "x"]) == ["1002", "1007"]
        assert chosen(MENTIONS.c.id, []) == []
        # two in one statement keep their own values
        stmt = select(MENTIONS.c.platform_id).where(
            any_of(conn.dialect, MENTIONS.c.id, ids[:3]),
            any_of(conn.dialect, MENTIONS.c.platform_id, ["1002", "1003", "1005"]),
        )
        assert sorted(conn.execute(stmt).scalars()) == ["1002", "1003"]


def test_a_value_shared_by_every_row_is_stored_in_each(engine: Engine) -> None:
    # One datetime, one dict and None in every row: processed once, stored in all.
    shared_raw = {"via": "batch"}
    rows = [{**_row(n), "raw": shared_raw, "reply_to_id": None} for n in range(5)]
    with session_scope(engine) as s:
        conn = s.connection()
        insert_new_rows(conn, MENTIONS, rows, unique_on=["platform", "platform_id"])
        insert_rows(conn, MENTIONS, [{**_row(9), "raw": shared_raw}], returning=["id"])
        ids = list(conn.execute(select(MENTIONS.c.id)).scalars())
        update_rows(conn, MENTIONS, [{"id": i, "routed_at": BASE_TIME} for i in ids])
    with session_scope(engine) as s:
        stored = (
            s.connection()
            .execute(
                select(
                    MENTIONS.c.fetched_at,
                    MENTIONS.c.raw,
                    MENTIONS.c.reply_to_id,
                    MENTIONS.c.routed_at,
                    MENTIONS.c.created_at,
                ).order_by(MENTIONS.c.platform_id)
            )
            .all()
        )
    assert [tuple(r) for r in stored] == [
        (BASE_TIME, shared_raw, None, BASE_TIME, mention(n).created_at) for n in (0, 1, 2, 3, 4, 9)
    ]


def test_insert_new_rows_counts_what_it_wrote_and_skips_repeats(engine: Engine) -> None:
    unique = ["platform", "platform_id"]
    with session_scope(engine) as s:
        conn = s.connection()
        assert insert_new_rows(conn, MENTIONS, [_row(1), _row(2)], unique_on=unique) == 2
        # 2 is stored already and 3 comes twice: one new row
        assert insert_new_rows(conn, MENTIONS, [_row(2), _row(3)], unique_on=unique) == 1
        assert insert_new_rows(conn, MENTIONS, [_row(3)], unique_on=unique) == 0
        assert insert_new_rows(conn, MENTIONS, [], unique_on=unique) == 0
    with session_scope(engine) as s:
        stored = (
            s.connection()
            .execute(
                select(MENTIONS.c.platform_id, MENTIONS.c.raw, MENTIONS.c.created_at).order_by(
                    MENTIONS.c.platform_id
                )
            )
            .all()
        )
    assert [p for p, _, _ in stored] == ["1001", "1002", "1003"]
    # values went through the columns' types: JSON stays JSON, times stay UTC-aware
    assert [raw for _, raw, _ in stored] == [_row(n)["raw"] for n in (1, 2, 3)]
    assert [at for _, _, at in stored] == [mention(n).created_at for n in (1, 2, 3)]


def test_insert_new_rows_ids_gives_the_id_of_each_row_written(engine: Engine) -> None:
    unique = ["platform", "platform_id"]
    with session_scope(engine) as s:
        conn = s.connection()
        insert_new_rows(conn, MENTIONS, [_row(2)], unique_on=unique)
        # 2 is stored already: the rows written are 1 and 3, each with its id
        written = insert_new_rows_ids(conn, MENTIONS, [_row(1), _row(2), _row(3)], unique_on=unique)
        assert insert_new_rows_ids(conn, MENTIONS, [_row(3)], unique_on=unique) == []
    with session_scope(engine) as s:
        query = select(MENTIONS.c.platform_id, MENTIONS.c.id)
        stored = {platform_id: id_ for platform_id, id_ in s.connection().execute(query)}
    assert sorted((r.platform_id, r.id) for r in written) == [
        ("1001", stored["1001"]),
        ("1003", stored["1003"]),
    ]
    assert all(r.platform == "twitter" for r in written)


def test_insert_new_rows_ids_refuses_ids_it_cannot_be_sure_of(tmp_path: Path) -> None:
    """SQLite gives a new row the id after the largest, unless the largest is the largest
    possible: then ids are drawn at random and the rows written are not a range."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ids.db'}")
    upgrade(engine)
    unique = ["platform", "platform_id"]
    last = {**_row(9), "id": 2**63 - 1}
    refused = pytest.raises(StoreError, match="the 2 rows written are not ids")
    with refused, session_scope(engine) as s:
        insert_rows(s.connection(), MENTIONS, [last])
        insert_new_rows_ids(s.connection(), MENTIONS, [_row(1), _row(2)], unique_on=unique)
    with session_scope(engine) as s:
        assert s.connection().execute(select(MENTIONS.c.id)).all() == [], "all rolled back"
    engine.dispose()


def test_update_rows_sets_each_rows_own_values(engine: Engine) -> None:
    with session_scope(engine) as s:
        insert_mentions(session=s, mentions=[mention(n) for n in (1, 2, 3)])
    with session_scope(engine) as s:
        ids = list(s.connection().execute(select(MENTIONS.c.id).order_by(MENTIONS.c.id)).scalars())
        update_rows(
            s.connection(),
            MENTIONS,
            [
                {"id": ids[0], "state": "filed", "terms": ["air"], "routed_at": BASE_TIME},
                {"id": ids[2], "state": "triage", "terms": None, "routed_at": None},
            ],
        )
    with session_scope(engine) as s:
        got = {
            m.id: (m.state, m.terms, m.routed_at)
            for m in s.connection().execute(
                select(MENTIONS.c.id, MENTIONS.c.state, MENTIONS.c.terms, MENTIONS.c.routed_at)
            )
        }
    assert got == {
        ids[0]: ("filed", ["air"], BASE_TIME),
        ids[1]: ("pending", None, None),
        ids[2]: ("triage", None, None),
    }


def test_bad_rows_are_refused_naming_the_problem(engine: Engine) -> None:
    with session_scope(engine) as s:
        conn = s.connection()
        with pytest.raises(ValueError, match="not columns of mention: colour"):
            insert_rows(conn, MENTIONS, [{**_row(1), "colour": "red"}])
        with pytest.raises(ValueError, match="rows differ in their columns"):
            update_rows(conn, MENTIONS, [{"id": 1, "state": "filed"}, {"id": 2}])
        with pytest.raises(ValueError, match="needs its 'id'"):
            update_rows(conn, MENTIONS, [{"state": "filed"}])


def test_postgresql_refuses_a_value_too_long_for_its_column_instead_of_cutting_it(
    pg_migrated_url: str,
) -> None:
    # An explicit cast of the array to VARCHAR(n)[] would cut the value silently; the
    # column's own assignment refuses it, as the ORM's insert or update would.
    engine = make_engine(pg_migrated_url)
    long_handle = "h" * 201  # author_handle holds 200
    try:
        with pytest.raises(DataError, match="value too long"), session_scope(engine) as s:
            insert_rows(
                s.connection(), MENTIONS, [_row(1), {**_row(2), "author_handle": long_handle}]
            )
        with pytest.raises(DataError, match="value too long"), session_scope(engine) as s:
            insert_new_rows(
                s.connection(),
                MENTIONS,
                [{**_row(3), "author_handle": long_handle}],
                unique_on=["platform", "platform_id"],
            )
        with session_scope(engine) as s:
            insert_rows(s.connection(), MENTIONS, [_row(4)])
        with pytest.raises(DataError, match="value too long"), session_scope(engine) as s:
            (mention_id,) = s.connection().execute(select(MENTIONS.c.id)).one()
            update_rows(
                s.connection(), MENTIONS, [{"id": mention_id, "author_handle": long_handle}]
            )
        with session_scope(engine) as s:
            stored = (
                s.connection()
                .execute(select(MENTIONS.c.platform_id, MENTIONS.c.author_handle))
                .all()
            )
        assert stored == [("1004", _row(4)["author_handle"])]  # nothing cut, nothing half-written
    finally:
        engine.dispose()


def test_array_parameters_leave_length_checks_to_the_column() -> None:
    from sqlalchemy import Enum, Integer, String
    from sqlalchemy.dialects import postgresql

    from models.many_rows import _array_element

    pg = postgresql.psycopg.dialect()
    assert _array_element(String(40), pg) == "VARCHAR"
    assert _array_element(MENTIONS.c.author_handle.type, pg) == "VARCHAR"  # SQLModel's
    assert _array_element(Integer(), pg) == "INTEGER"
    # a native enum keeps its type: PostgreSQL assigns no VARCHAR to an enum column
    assert _array_element(Enum("baru", "selesai", name="status"), pg) == "status"
