"""``aduan web --workers 2`` as a real process; the health port of a daemon without the inbox."""

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from aduan.daemon import run_daemon
from aduan.settings import load_settings
from aduan.wiring import prepare_store
from tests.support.config import bundled_config, write_config
from tests.support.daemon import wait_for
from tests.support.net import free_port
from tests.support.routing import KeywordClassifier


def _workers(pid: int) -> list[str]:
    """The command lines of *pid*'s worker processes (multiprocessing's spawned children)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    lines = []
    for child in children:
        try:
            lines.append(Path(f"/proc/{child}/cmdline").read_bytes().decode().replace("\0", " "))
        except OSError:  # gone meanwhile
            continue
    return [line for line in lines if "spawn_main" in line]


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_aduan_web_serves_health_and_signed_in_pages_from_two_workers(tmp_path: Path) -> None:
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = f"sqlite:///{tmp_path / 'data' / 'aduan.db'}"
    data["classifier"]["model_dir"] = str(tmp_path / "models")  # never loaded by the web tier
    config = write_config(tmp_path, data)
    port = free_port()
    log = tmp_path / "web.log"
    command = ["web", "--workers", "2", "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "aduan", "--config", str(config), *command],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is not None or _up(f"{base}/healthz"), 60, "aduan web")
        assert proc.poll() is None, log.read_text()
        assert len(_workers(proc.pid)) == 2, log.read_text()
        health = httpx.get(f"{base}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert health.json()["store"] == "ok" and health.json()["scheduler"] is None
        found = re.search(r"Sign in as admin with password (\S+)", log.read_text())
        assert found, log.read_text()
        # A fresh connection per request: the kernel hands them to either worker, and
        # the sign-in form's token, the session and its CSRF token hold on both.
        client = httpx.Client(
            base_url=base, timeout=5, limits=httpx.Limits(max_keepalive_connections=0)
        )
        with client:
            client.get("/login")
            signed = client.post(
                "/login",
                data={
                    "username": "admin",
                    "password": found.group(1),
                    "csrf_token": client.cookies.get("aduan_login") or "",
                },
            )
            assert signed.status_code == 303, signed.text
            for _ in range(6):
                page = client.get("/complaints")
                assert page.status_code == 200 and "Keluar" in page.text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            # a state-changing form checked by whichever worker gets it
            out = client.post("/logout", data={"csrf_token": token.group(1)})
            assert out.status_code == 303
            assert client.get("/complaints").status_code in (303, 307)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, log.read_text()


def test_a_daemon_without_the_inbox_serves_its_health_alone(engine: Engine, tmp_path: Path) -> None:
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = engine.url.render_as_string(hide_password=False)
    data["web"]["enabled"] = False
    data["replies"] = {"accounts": []}
    settings = load_settings(write_config(tmp_path, data))
    prepare_store(settings, engine)
    port = free_port()
    answers: dict[str, httpx.Response] = {}
    stop = threading.Event()

    def probe() -> None:
        try:
            wait_for(lambda: _up(f"http://127.0.0.1:{port}/healthz"), 30, "the health port")
            for path in ("/healthz", "/metrics", "/login", "/complaints"):
                answers[path] = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
        finally:
            stop.set()

    prober = threading.Thread(target=probe)
    prober.start()
    # The daemon's own thread is this one: it installs the signal handlers (put back after).
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        run_daemon(
            settings, engine, KeywordClassifier(), serve_web=True, stop=stop, health_port=port
        )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    prober.join(10)
    health = answers["/healthz"].json()
    assert health["scheduler"]["running"] is True
    assert {"route", "harvest:demo-replay", "deliver"} <= set(health["scheduler"]["jobs"])
    assert 'aduan_job_failed{job="route"}' in answers["/metrics"].text
    # the inbox is not served here
    assert answers["/login"].status_code == 404 and answers["/complaints"].status_code == 404
    assert answers["/healthz"].headers["x-frame-options"] == "DENY"
