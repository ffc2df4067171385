"""Shared fixtures: one store fixture parametrised over SQLite and PostgreSQL.

Each test gets a fresh, migrated database. PostgreSQL comes from
ADUAN_TEST_PG_URL (default: the local server, user postgres); when it cannot be
reached the PostgreSQL cases are skipped locally but fail when CI=true.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
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


@pytest.fixture
def pg_url(pg_available: None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    with _fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL on each store implementation."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aduan.db'}"
    return str(request.getfixturevalue("pg_url"))


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
    """A migrated engine on each store implementation."""
    eng = make_engine(store_url)
    upgrade(eng)
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
