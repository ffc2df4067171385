"""Daemons starting together on a fresh store: migrations, agencies and the first admin."""

import threading
from pathlib import Path

from sqlmodel import Session, select

from aduan.settings import load_settings
from aduan.wiring import prepare_store
from models.accounts import ensure_first_admin
from models.db import make_engine
from models.migrate import current_revision, head_revision
from models.tables import Agency, User
from tests.support.config import bundled_config, write_config

STARTERS = 4


def test_daemons_racing_start_up_on_a_fresh_store_all_start(store_url: str, tmp_path: Path) -> None:
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = store_url
    settings = load_settings(write_config(tmp_path, data))
    barrier = threading.Barrier(STARTERS)
    passwords: list[str | None] = []
    errors: list[BaseException] = []

    def start_up() -> None:
        engine = make_engine(store_url)
        try:
            barrier.wait()
            prepare_store(settings, engine)
            barrier.wait()  # all migrated: the first-admin step races on its own
            passwords.append(ensure_first_admin(engine))
        except BaseException as err:  # reported below, naming the error
            errors.append(err)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start_up) for _ in range(STARTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, [f"{type(e).__name__}: {e}" for e in errors]
    assert len(passwords) == STARTERS
    assert len([p for p in passwords if p is not None]) == 1, "exactly one prints a password"
    engine = make_engine(store_url)
    try:
        assert current_revision(engine) == head_revision()
        with Session(engine) as s:
            assert [u.username for u in s.exec(select(User))] == ["admin"]
            assert {a.code for a in s.exec(select(Agency))} == {a.code for a in settings.agencies}
    finally:
        engine.dispose()
