"""The daemon end to end: a subprocess fills the inbox from the replay source, stops on SIGTERM."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml
from sqlmodel import Session, select

from models.db import make_engine
from models.tables import Complaint, Mention
from tests.support.net import free_port


def test_daemon_fills_inbox_and_stops_cleanly(config_file: Path, tmp_path: Path) -> None:
    port = free_port()
    data = yaml.safe_load(config_file.read_text())
    data["web"]["port"] = port
    data["sources"][0]["schedule"] = {"seconds": 1}
    data["routing"]["schedule"] = {"seconds": 1}
    config_file.write_text(yaml.safe_dump(data))
    log = (tmp_path / "daemon.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "aduan", "--config", str(config_file), "run"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        filed = 0
        while time.monotonic() < deadline and filed < 3:
            time.sleep(0.5)
            assert proc.poll() is None, (tmp_path / "daemon.log").read_text()
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            except httpx.TransportError:
                continue
            engine = make_engine(data["store"]["url"])
            with Session(engine) as s:
                filed = len(s.exec(select(Complaint)).all())
            engine.dispose()
        assert filed >= 3, (tmp_path / "daemon.log").read_text()
        assert page.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, (tmp_path / "daemon.log").read_text()
    engine = make_engine(data["store"]["url"])
    with Session(engine) as s:
        mentions = s.exec(select(Mention)).all()
    assert len({(m.platform, m.platform_id) for m in mentions}) == len(mentions)
    output = (tmp_path / "daemon.log").read_text()
    assert "aduan is running" in output
    assert "First administrator created. Sign in as admin with password" in output


def test_sigterm_during_start_up_still_stops_cleanly(tmp_path: Path) -> None:
    from models.locks import hold_lock
    from tests.support.daemon import daemon_config, replay_file, start, wait_for

    (tmp_path / "data").mkdir()
    url = f"sqlite:///{tmp_path / 'data' / 'aduan.db'}"
    config = daemon_config(
        tmp_path,
        store_url=url,
        model_dir=tmp_path / "models",
        replay=replay_file(tmp_path / "stream.jsonl", 5),
    )
    log = tmp_path / "daemon.log"
    engine = make_engine(url)
    # Another instance migrating the store holds the daemon in start-up while it is stopped.
    with hold_lock(engine, "migrate"):
        proc = start(config, log)
        try:
            wait_for(lambda: _waits_for_a_lock(proc.pid), 30, "the daemon to wait for the lock")
            proc.send_signal(signal.SIGTERM)
            time.sleep(1)
            assert proc.poll() is None, f"killed by the signal: {log.read_text()}"
        except BaseException:
            proc.kill()
            raise
    assert proc.wait(timeout=30) == 0, log.read_text()
    assert "stopped during start-up" in log.read_text()
    engine.dispose()


def _waits_for_a_lock(pid: int) -> bool:
    """Whether process *pid* has a lock file open (Linux: its /proc fd table)."""
    import os

    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd).endswith(".lock") for fd in folder.iterdir())
    except OSError:  # the process or one of its descriptors went away meanwhile
        return False
