"""No personal data, token or password in any log line of a demo run with hostile inputs.

On both stores (the store's own errors, were there any, would be logged too).

A real daemon (``aduan --log-json --verbose run``, web inbox on) harvests posts full of
NIK, KK, phone numbers, e-mail addresses, plates and house addresses, routes them, and
notifies agencies by e-mail (SMTP on loopback) and webhook (HTTP on loopback, whose
URL carries a key and which first answers 500 quoting a NIK back). Then people do
hostile things over HTTP: sign in with an e-mail as the name and a password that is
wrong, call Open311 with a made-up token in the query string and with a real one,
search for a NIK. Accounts, tokens, an access request and an erasure go through the
CLI (``--verbose``). Every log line of every process (stderr) is then searched for
every planted value; stdout is the commands' output, not a log.
"""

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pytest_httpserver import HTTPServer
from sqlmodel import Session, select
from werkzeug import Request, Response

from aduan.log_privacy import PrivacyLogFilter, scrub
from models.db import make_engine
from models.tables import AccessLogEntry, Complaint, Outbox
from models.vocab import AccessAction
from tests.support.daemon import wait_for
from tests.support.mail import Mailbox
from tests.support.net import free_port
from tests.support.paths import ROOT
from tests.support.personal import (
    ADDRESS,
    EMAIL,
    HOSTILE_PASSWORD,
    HOSTILE_TEXT,
    HOSTILE_TOKEN,
    KK,
    NIK,
    PHONE,
    leaks,
)

HOOK_KEY = "hook-key-QWERTY-4242"
HOOK_SECRET = "hook-secret-ASDF-5151"
POSTS = [
    ("h1", "kadek_sari", f"Kadek {PHONE}", HOSTILE_TEXT),
    (
        "h2",
        "putu_air",
        "Putu",
        f"air PDAM mati 2 hari di {ADDRESS}, hubungi {EMAIL} atau {PHONE}, NIK {NIK}",
    ),
    ("h3", "made_ok", "Made", f"makasih min, KK saya {KK} sudah jadi, pelayanannya cepat"),
]


@pytest.fixture
def hook() -> Iterator[tuple[HTTPServer, list[bytes]]]:
    """A webhook receiver that first refuses with an error quoting personal data back."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    bodies: list[bytes] = []

    def handle(request: Request) -> Response:
        bodies.append(request.get_data())
        if len(bodies) == 1:
            return Response(f"ditolak: NIK {NIK} email {EMAIL}", status=500)
        return Response("ok", status=200)

    server.expect_request("/hook", method="POST").respond_with_handler(handle)
    yield server, bodies
    server.clear()
    server.stop()


def _config(
    tmp_path: Path, store_url: str, model_dir: Path, port: int, smtp_port: int, hook_url: str
) -> Path:
    data: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    replay = tmp_path / "hostile.jsonl"
    with replay.open("w", encoding="utf-8") as out:
        for n, (pid, handle, name, text) in enumerate(POSTS):
            record = {
                "platform": "twitter",
                "id": pid,
                "author_handle": handle,
                "author_name": name,
                "text": text,
                "url": f"https://x.com/{handle}/status/{pid}",
                "created_at": f"2026-11-20T0{n + 6}:00:00+08:00",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = store_url
    data["classifier"]["model_dir"] = str(model_dir)
    data["web"].update(port=port, login_attempts=1)
    data["routing"]["schedule"] = {"seconds": 1}
    # Both complaints must be filed whatever the classifier makes of a text this full of
    # personal data (a model may rightly send it to triage): a rule files the PDAM one.
    data["rules"].append(
        {"name": "pdam-mati", "match": {"keywords": ["pdam mati"]}, "action": {"category": "PDAM"}}
    )
    data["sources"] = [
        {
            "name": "hostile",
            "platform": "replay",
            "schedule": {"seconds": 1},
            "options": {"path": str(replay)},
        }
    ]
    # Hostile posts are answered too (into the demo sink): replies must not leak either.
    data["replies"]["accounts"] = [
        {
            "source": "hostile",
            "mode": "auto",
            "channel": "log",
            "max_per_hour": 1000,
            "options": {"log_path": "replies.jsonl"},
        }
    ]
    data["delivery"] = {
        "schedule": {"seconds": 1},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "timeout_seconds": 2},
        "allow_private_webhooks": True,
        "webhook_timeout_seconds": 2,
        "backoff_base_seconds": 1,
        "backoff_max_seconds": 1,
    }
    for agency in data["agencies"]:
        if agency["code"] in ("PDAM", "LPJU", "KOMINFO"):
            agency.update(
                email=f"{agency['code'].lower()}@denpasarkota.go.id",
                webhook_url=f"{hook_url}?key={HOOK_KEY}",
                webhook_secret_env="ADUAN_TEST_HYGIENE_HOOK",
            )
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _cli(config: Path, logs: list[str], *args: str) -> str:
    """Run an ``aduan --verbose`` command; keep its stderr (the log), return its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "aduan", "--verbose", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "ADUAN_TEST_HYGIENE_HOOK": HOOK_SECRET},
        check=False,
    )
    logs.append(done.stderr)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _hostile_requests(base: str, token: str, password: str) -> None:
    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as web:
        web.get("/login")
        form = {
            "username": "petugas",
            "password": password,
            "csrf_token": web.cookies.get("aduan_login") or "",
        }
        assert web.post("/login", data=form).status_code == 303
        assert web.get("/inbox/LPJU", params={"q": PHONE}).status_code == 200
    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as web:
        # One failure is allowed (login_attempts: 1): the second is refused and logged.
        for expected in (401, 429):
            web.get("/login")
            form = {
                "username": EMAIL,
                "password": HOSTILE_PASSWORD,
                "csrf_token": web.cookies.get("aduan_login") or "",
            }
            assert web.post("/login", data=form).status_code == expected
        unknown = web.get("/open311/v2/requests.json", params={"api_key": HOSTILE_TOKEN})
        assert unknown.status_code == 401
        bearer = {"Authorization": f"Bearer {token}"}
        listed = web.get("/open311/v2/requests.json", params={"api_key": token})
        assert listed.status_code == 200 and leaks(listed.text) == []
        found = web.get("/api/v1/complaints", params={"q": NIK}, headers=bearer)
        assert found.status_code == 200
        assert web.get(f"/api/v1/nik/{NIK}", headers=bearer).status_code == 404


def test_a_hostile_demo_run_logs_no_personal_data_or_secret(
    tmp_path: Path,
    store_url: str,
    model_dir: Path,
    smtp: Mailbox,
    hook: tuple[HTTPServer, list[bytes]],
) -> None:
    server, bodies = hook
    port = free_port()
    config = _config(tmp_path, store_url, model_dir, port, smtp.port, server.url_for("/hook"))
    logs: list[str] = []
    password = _cli(config, logs, "users", "create", "petugas", "--role", "operator")
    password = password.split("password: ")[1].split()[0]
    token = _cli(config, logs, "tokens", "create", "petugas", "--name", "uji")
    token = token.split("token: ")[1].split()[0]
    stderr = tmp_path / "daemon.err"
    env = {"PATH": "/usr/bin:/bin", "ADUAN_TEST_HYGIENE_HOOK": HOOK_SECRET}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aduan", "--log-json", "--verbose", "--config", str(config), "run"],
        stdout=(tmp_path / "daemon.out").open("w"),
        stderr=stderr.open("w"),
        env=env,
    )
    engine = make_engine(store_url)
    try:

        def delivered() -> bool:
            assert proc.poll() is None, stderr.read_text()
            with Session(engine) as s:
                sent = [o for o in s.exec(select(Outbox)) if o.status == "sent"]
                filed = s.exec(select(Complaint)).all()
            return len(filed) >= 2 and len(sent) >= 2 * len(filed) and len(bodies) >= 2

        wait_for(delivered, 90, "complaints filed and their e-mails and webhooks delivered")
        _hostile_requests(f"http://127.0.0.1:{port}", token, password)
        # The daemon's own audited actions: the first administrator, the config file.
        with Session(engine) as s:
            audited = {(e.actor, e.action, e.target) for e in s.exec(select(AccessLogEntry))}
        assert ("system", AccessAction.USER_CREATE, "user:admin") in audited
        assert ("system", AccessAction.CONFIG_CHANGED, "config:config.yaml") in audited
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, stderr.read_text()
        engine.dispose()
    _cli(config, logs, "privacy", "export", "--author", "twitter:putu_air")
    _cli(config, logs, "privacy", "erase", "--author", "twitter:putu_air", "--yes")
    daemon_log = stderr.read_text(encoding="utf-8")
    # The run did what it had to, and said so in its logs (a silent run proves nothing).
    lines = [json.loads(line) for line in daemon_log.splitlines() if line.startswith("{")]
    messages = " ".join(x["message"] for x in lines)
    assert "routed" in messages and "delivery:" in messages and "failed (attempt 1" in messages
    assert "sign-in refused" in messages and "[email]" in messages  # the refused name, masked
    assert len(smtp.messages) >= 2
    everything = "\n".join([daemon_log, *logs])
    secrets = (HOSTILE_PASSWORD, HOSTILE_TOKEN, token, password, HOOK_KEY, HOOK_SECRET)
    assert leaks(everything) == []
    assert [s for s in secrets if s in everything] == []
    assert "api_key=***" in everything or HOSTILE_TOKEN not in everything


def test_the_filter_scrubs_tracebacks_for_every_formatter() -> None:
    import logging

    from pythonjsonlogger.json import JsonFormatter

    record: logging.LogRecord
    try:
        raise ValueError(f"tidak bisa memproses NIK {NIK} dari {EMAIL}")
    except ValueError:
        record = logging.LogRecord(
            "aduan",
            logging.ERROR,
            __file__,
            1,
            "gagal untuk %s: %s",
            (PHONE, "token=abc"),
            sys.exc_info(),
        )
    assert PrivacyLogFilter().filter(record)
    for formatter in (logging.Formatter(), JsonFormatter("%(message)s")):
        text = formatter.format(record)
        assert leaks(text) == [] and "token=abc" not in text and "[NIK]" in text
    assert scrub(f"Authorization: Bearer {HOSTILE_TOKEN}") == "Authorization: Bearer ***"


def test_a_security_record_keeps_the_clients_address_and_nothing_personal() -> None:
    # The sign-in throttle logs who tried from where; an operator blocks that address.
    line = f"sign-in refused for user 'ops' from 10.0.0.1 (NIK {NIK}, {EMAIL})"
    scrubbed = scrub(line)
    assert "from 10.0.0.1" in scrubbed
    assert leaks(scrubbed) == [] and "[NIK]" in scrubbed
