"""Telling store problems apart: unavailable, disk full, read-only, a refused record."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.db import make_engine
from models.store_health import describe, store_problem, write_probe
from models.tables import Agency
from models.vocab import StoreProblem
from tests.support.store_faults import disk_full


def _error_of(engine: Engine, work: str) -> SQLAlchemyError:
    with pytest.raises(SQLAlchemyError) as caught, Session(engine) as s:
        s.connection().execute(text(work))
        s.commit()
    return caught.value


def test_a_refused_record_is_a_data_error_naming_table_and_key(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(Agency(code="PDAM", name="PDAM"))
        s.commit()
    with pytest.raises(SQLAlchemyError) as caught, Session(engine) as s:
        s.add(Agency(code="PDAM", name="lagi"))
        s.commit()
    assert store_problem(caught.value) is StoreProblem.DATA_ERROR
    assert "table agency code=PDAM" in describe(caught.value)


def test_a_full_disk_is_told_from_an_outage(engine: Engine) -> None:
    with disk_full(engine):
        err = _error_of(engine, "UPDATE agency SET name = 'x'")
        assert write_probe(engine) is StoreProblem.DISK_FULL
    assert store_problem(err) is StoreProblem.DISK_FULL
    assert write_probe(engine) is None


def test_an_unreachable_store_is_unavailable(tmp_path) -> None:
    for url in (
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'aduan.db'}",
    ):
        broken = make_engine(url)
        assert write_probe(broken) is StoreProblem.UNAVAILABLE
        broken.dispose()


def test_a_read_only_database_refuses_the_probe(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        database = engine.url.database
        with engine.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
            )
            conn.commit()
        engine.dispose()  # new connections take the setting
    else:
        engine = make_engine(f"sqlite:///file:{engine.url.database}?mode=ro&uri=true")
    assert write_probe(engine) is StoreProblem.READ_ONLY
