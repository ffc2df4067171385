"""Shared fixtures: one store fixture parametrised over SQLite and PostgreSQL.

Each test gets a fresh, migrated database. PostgreSQL comes from
ADUAN_TEST_PG_URL (default: the local server, user postgres); when it cannot be
reached the PostgreSQL cases are skipped locally but fail when CI=true.

Migrating a database takes longer than most tests (Alembic runs every revision), so
the store is migrated once per session: a SQLite test copies a migrated file, a
PostgreSQL test borrows a migrated database from a pool and empties it afterwards
(every table truncated, every sequence restarted, nobody left connected). A test
that asks for `store_url` without `engine` still gets an empty, unmigrated database.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from models.db import make_engine
from models.migrate import upgrade
from tests.support.config import bundled_config, write_config
from tests.support.mail import Mailbox
from tests.support.net import free_port

PG_URL = os.environ.get(
    "ADUAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"

# The CLI's rich consoles fix their width when aduan.cli is first imported, from
# COLUMNS (a test's CliRunner env or monkeypatch after that changes nothing), else the
# terminal, else 80. Set it before any test imports the CLI, and wide enough for a
# table cell holding a temporary path (longer under a pytest-xdist worker), so tables
# read the same wherever the suite runs and whichever test imports the CLI first.
os.environ["COLUMNS"] = "400"


def _pg_admin_dsn() -> str:
    url = make_url(PG_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(_pg_admin_dsn(), connect_timeout=3):
            return None
    except psycopg.Error as err:
        return str(err)


@pytest.fixture(scope="session")
def pg_available() -> None:
    problem = _pg_reachable()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable and CI=true: {problem}")
    pytest.skip(f"PostgreSQL unreachable (set CI=true to make this fail): {problem}")


@contextmanager
def _fresh_pg_database() -> Iterator[str]:
    name = f"aduan_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated once per session; tests copy the file."""
    path = tmp_path_factory.mktemp("template") / "aduan.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


class PostgresPool:
    """Migrated PostgreSQL databases, each lent to one test at a time and emptied after."""

    def __init__(self) -> None:
        self.free: list[str] = []
        self.all: list[str] = []

    def borrow(self) -> str:
        """The URL of a migrated, empty database nobody else is using."""
        if self.free:
            return self.free.pop()
        name = f"aduan_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.all.append(name)
        url = _pg_url_of(name)
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
        return url

    def give_back(self, url: str) -> None:
        """Empty the database (rows, sequences, connections) and lend it again."""
        name = str(make_url(url).database)
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            # A test may have changed the database's settings (read-only, say).
            conn.execute(f'ALTER DATABASE "{name}" RESET ALL')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        eng = make_engine(url)
        with eng.begin() as conn:
            tables = conn.execute(
                text(
                    "SELECT quote_ident(tablename) FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalars()
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            for seq in conn.execute(
                text(
                    "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'"
                )
            ).scalars():
                conn.execute(text(f"ALTER SEQUENCE {seq} RESTART"))
        eng.dispose()
        self.free.append(url)

    def close(self) -> None:
        """Drop every database of the pool."""
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            for name in self.all:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_url_of(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_pool(pg_available: None) -> Iterator[PostgresPool]:
    """The session's pool of migrated PostgreSQL databases."""
    pool = PostgresPool()
    yield pool
    pool.close()


@pytest.fixture
def pg_migrated_url(pg_pool: PostgresPool) -> Iterator[str]:
    """A migrated, empty PostgreSQL database for this test alone."""
    url = pg_pool.borrow()
    yield url
    pg_pool.give_back(url)


@pytest.fixture
def pg_url(pg_available: None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    with _fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL on each store implementation.

    Migrated when the test also uses `engine` (which then runs on it); empty otherwise.
    """
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "aduan.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return str(request.getfixturevalue("pg_migrated_url" if migrated else "pg_url"))


@pytest.fixture
def other_store_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """A second fresh, empty database on the same store implementation as *store_url*."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.db'}"
        return
    with _fresh_pg_database() as url:
        yield url


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """A migrated engine on each store implementation (see `store_url`)."""
    eng = make_engine(store_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained once per test session on the bundled corpus."""
    from classifier.train import train

    folder = tmp_path_factory.mktemp("models")
    train(folder)
    return folder


@pytest.fixture
def config_file(tmp_path: Path, model_dir: Path) -> Path:
    """A copy of the bundled config using a temporary SQLite store and the trained model."""
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = f"sqlite:///{tmp_path / 'data' / 'aduan.db'}"
    data["classifier"]["model_dir"] = str(model_dir)
    return write_config(tmp_path, data)


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on loopback for the test module."""
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def smtp(smtp_server: Mailbox) -> Mailbox:
    """The module's SMTP server with an empty mailbox."""
    smtp_server.reset()
    return smtp_server
