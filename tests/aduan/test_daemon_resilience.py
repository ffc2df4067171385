"""The daemon under abuse: kill -9 mid-work, two instances on one store, a store outage.

Each test runs real ``aduan run`` processes against a real store.
"""

import random
import signal
import time
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from models.db import make_engine
from models.sources import get_cursor, get_health
from models.tables import Complaint, ComplaintMention, Mention, Outbox
from models.vocab import MentionState
from tests.support.daemon import daemon_config, replay_file, start, wait_for
from tests.support.mail import Mailbox
from tests.support.tcpproxy import TcpProxy


def _with_email(data_agencies: list[dict]) -> list[dict]:
    # Every inbox gets an address, so every filing also writes an outbox row.
    return [dict(a, email=f"{a['code'].lower()}@example.org") for a in data_agencies]


def _agencies() -> list[dict]:
    import yaml

    from tests.support.daemon import ROOT

    return _with_email(yaml.safe_load((ROOT / "config.yaml").read_text())["agencies"])


def _done(url: str, n: int, delivered: bool = False) -> bool:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            cursor = get_cursor(session=s, source="replay") or {}
            pending = s.exec(
                select(func.count()).select_from(Mention).where(Mention.state == "pending")
            ).one()
            unsent = s.exec(
                select(func.count()).select_from(Outbox).where(Outbox.status != "sent")
            ).one()
        return cursor.get("offset") == n and pending == 0 and (not delivered or unsent == 0)
    except Exception:
        return False
    finally:
        engine.dispose()


def _check_store(url: str, n: int) -> None:
    engine = make_engine(url)
    with Session(engine) as s:
        mentions = s.exec(select(Mention)).all()
        assert len(mentions) == n
        assert len({(m.platform, m.platform_id) for m in mentions}) == n
        assert {m.state for m in mentions} <= {
            MentionState.FILED,
            MentionState.TRIAGE,
            MentionState.NOT_COMPLAINT,
        }
        links = s.exec(select(ComplaintMention)).all()
        filed = {m.id for m in mentions if m.state == MentionState.FILED}
        assert {link.mention_id for link in links} == filed  # each filed mention linked once
        complaints = s.exec(select(Complaint)).all()
        assert len({c.origin_mention_id for c in complaints}) == len(complaints)
        outbox = s.exec(select(Outbox)).all()
        assert sorted(o.complaint_id or 0 for o in outbox) == sorted(c.id or 0 for c in complaints)
    engine.dispose()


def _delivery(box: Mailbox) -> dict:
    # Short timeouts allow a short lease: a killed worker's claims come free in 15 s.
    return {
        "schedule": {"seconds": 1},
        "smtp": {"host": "127.0.0.1", "port": box.port, "timeout_seconds": 1},
        "webhook_timeout_seconds": 2,
        "lease_seconds": 15,
    }


def _received(box: Mailbox) -> list[str]:
    return [str(m["X-Aduan-Event"]) for m in box.messages]


def _outbox_events(url: str) -> set[str]:
    engine = make_engine(url)
    with Session(engine) as s:
        ids = {f"aduan-{o.id}" for o in s.exec(select(Outbox))}
    engine.dispose()
    return ids


def test_kill_9_at_any_moment_loses_and_duplicates_nothing(
    store_url: str, model_dir: Path, tmp_path: Path, smtp: Mailbox
) -> None:
    n = 600
    replay = replay_file(tmp_path / "stream.jsonl", n)
    config = daemon_config(
        tmp_path,
        store_url=store_url,
        model_dir=model_dir,
        replay=replay,
        batch=40,
        agencies=_agencies(),
        delivery=_delivery(smtp),
    )
    log = tmp_path / "daemon.log"
    rng = random.Random(7)
    for _ in range(4):
        proc = start(config, log)
        time.sleep(rng.uniform(2.0, 5.0))  # start-up, then harvesting and routing
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    proc = start(config, log)
    try:
        wait_for(
            lambda: _done(store_url, n, delivered=True),
            180,
            "all mentions harvested, routed and delivered",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()[-3000:]
    _check_store(store_url, n)
    # At least once: every notification arrived; one killed mid-send may arrive twice.
    assert set(_received(smtp)) == _outbox_events(store_url)


def test_two_instances_share_one_postgresql_store(
    pg_url: str, model_dir: Path, tmp_path: Path, smtp: Mailbox
) -> None:
    n = 400
    replay = replay_file(tmp_path / "stream.jsonl", n)
    procs = []
    for name in ("a", "b"):
        base = tmp_path / name
        base.mkdir()
        config = daemon_config(
            base,
            store_url=pg_url,
            model_dir=model_dir,
            replay=replay,
            batch=20,
            agencies=_agencies(),
            delivery=_delivery(smtp),
        )
        procs.append((start(config, base / "daemon.log"), base / "daemon.log"))
    try:
        wait_for(
            lambda: _done(pg_url, n, delivered=True),
            180,
            "all mentions harvested, routed and delivered",
        )
    finally:
        # Stop every daemon before judging any, so a failure leaves no process behind.
        for proc, _ in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc, _ in procs]
    for code, (_, log) in zip(codes, procs, strict=True):
        assert code == 0, log.read_text()[-3000:]
    _check_store(pg_url, n)
    engine = make_engine(pg_url)
    with Session(engine) as s:
        # Every record was read exactly once across both instances: no double harvest.
        assert get_health(session=s, source="replay", platform="replay").reads_this_month == n
    engine.dispose()
    logs = [log.read_text() for _, log in procs]
    assert all("stored" in text for text in logs), "both instances should have harvested"
    # Without crashes, each notification is sent exactly once across both instances.
    received = _received(smtp)
    assert sorted(received) == sorted(_outbox_events(pg_url))


def test_store_outage_is_survived_and_caught_up(
    pg_url: str, model_dir: Path, tmp_path: Path
) -> None:
    url = make_url(pg_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    n = 300
    replay = replay_file(tmp_path / "stream.jsonl", n)
    config = daemon_config(
        tmp_path,
        store_url=proxied,
        model_dir=model_dir,
        replay=replay,
        batch=15,
        agencies=_agencies(),
    )
    log = tmp_path / "daemon.log"
    proc = start(config, log)
    try:
        wait_for(lambda: "stored" in log.read_text(), 60, "a first harvest")
        proxy.cut()
        time.sleep(5)
        assert proc.poll() is None, "the daemon must stay up while the store is down"
        proxy.restore()
        wait_for(lambda: _done(pg_url, n), 120, "catching up after the outage")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        proxy.close()
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert "store unavailable" in text
    # Logged once per failing job, not once per tick.
    assert text.count("store unavailable") <= 3, text[-3000:]
    assert "recovered" in text
    _check_store(pg_url, n)
