"""Health that tells the truth: a full disk, failing and stuck jobs, skipped ticks."""

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from aduan import jobs
from aduan.daemon import SKIP_LOG_SECONDS, TrackedJob, build_scheduler, scheduler_state
from aduan.settings import Settings, load_settings
from aduan.wiring import prepare_store
from inbox.app import create_app
from models.tables import SourceHealth
from models.vocab import SourceState
from tests.support.config import bundled_config, write_config
from tests.support.routing import KeywordClassifier
from tests.support.store_faults import disk_full
from tests.support.web import AUTH


def _settings(tmp_path: Path, engine: Engine) -> Settings:
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = engine.url.render_as_string(hide_password=False)
    data["routing"]["on_arrival"] = False  # the harvest leaves the route job work
    settings = load_settings(write_config(tmp_path, data))
    prepare_store(settings, engine)
    return settings


def _health(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    return response.status_code, response.json()


def test_a_full_disk_makes_health_fail_and_is_logged_as_such(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, engine)
    scheduler = build_scheduler(settings, engine, KeywordClassifier())
    client = TestClient(
        create_app(engine, scheduler_state=lambda: scheduler_state(scheduler), auth_config=AUTH)
    )
    harvest = scheduler.get_job("harvest:demo-replay").func
    harvest()  # stores the sample stream: the route job has work
    assert _health(client)[1]["problems"] == ["scheduler not running"]
    scheduler.start(paused=True)
    try:
        status, body = _health(client)
        assert (status, body["status"], body["store"]) == (200, "ok", "ok")
        route = scheduler.get_job("route").func
        with disk_full(engine) as refused, caplog.at_level(logging.ERROR):
            status, body = _health(client)  # the write probe alone sees it
            assert (status, body["status"], body["store"]) == (503, "degraded", "disk_full")
            route()
            assert refused, "the route job tried to write"
        assert "job route: store refuses writes, disk full" in caplog.text
        assert "store unavailable" not in caplog.text
        # the disk has room again, but the job has not run since: its last outcome counts
        status, body = _health(client)
        assert body["store"] == "disk_full" and status == 503
        assert body["scheduler"]["jobs"]["route"]["outcome"] == "failed"
        assert "job route failing: disk_full" in body["problems"]
        route()
        status, body = _health(client)
        assert (status, body["status"], body["store"]) == (200, "ok", "ok")
        assert body["scheduler"]["jobs"]["route"]["outcome"] == "ok"
    finally:
        scheduler.shutdown(wait=False)


class _Exploding:
    def collect(self, cursor: object, *, read_budget: int | None = None) -> object:
        raise RuntimeError("collector bug: list index out of range")


def test_an_uncaught_error_marks_the_source_failing_then_stuck(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, engine)
    monkeypatch.setattr(jobs, "collector_for", lambda source: _Exploding())
    scheduler = build_scheduler(settings, engine, KeywordClassifier())
    scheduler.start(paused=True)
    client = TestClient(
        create_app(engine, scheduler_state=lambda: scheduler_state(scheduler), auth_config=AUTH)
    )
    try:
        harvest = scheduler.get_job("harvest:demo-replay").func
        harvest()
        with Session(engine) as s:
            health = s.get(SourceHealth, "demo-replay")
            assert health is not None
            assert (health.state, health.last_error_class) == (SourceState.FAILING, "RuntimeError")
            assert "collector bug" in (health.last_error or "")
        status, body = _health(client)
        source = body["sources"]["demo-replay"]
        assert (source["state"], source["stuck"], source["last_run"]) == (
            "failing",
            False,
            "failed",
        )
        assert status == 503 and "job harvest:demo-replay failing: RuntimeError" in body["problems"]
        harvest()
        harvest()
        status, body = _health(client)
        assert body["sources"]["demo-replay"]["stuck"] is True
        assert "source demo-replay stuck: 3 failed runs" in body["problems"]
    finally:
        scheduler.shutdown(wait=False)


def test_skipped_ticks_are_counted_and_logged_once_a_minute(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, engine)
    scheduler = build_scheduler(settings, engine, KeywordClassifier())
    for job in scheduler.get_jobs():
        job.remove()
    release, started = threading.Event(), threading.Event()
    now = [1000.0]

    def long_run() -> None:
        started.set()
        release.wait(30)

    slow = TrackedJob("slow", long_run, clock=lambda: now[0])
    scheduler.add_job(slow, "interval", seconds=0.05, id="slow")
    client = TestClient(
        create_app(engine, scheduler_state=lambda: scheduler_state(scheduler), auth_config=AUTH)
    )
    with caplog.at_level(logging.INFO):
        scheduler.start()
        try:
            assert started.wait(10)
            deadline = time.monotonic() + 10
            while slow.skipped < 10 and time.monotonic() < deadline:
                time.sleep(0.05)
            now[0] += SKIP_LOG_SECONDS + 1
            skipped_before = slow.skipped
            while slow.skipped == skipped_before and time.monotonic() < deadline:
                time.sleep(0.05)
            metrics = client.get("/metrics").text
        finally:
            release.set()
            scheduler.shutdown(wait=True)
    lines = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert slow.skipped >= 11
    assert len(lines) == 2, lines  # the first skip, and one a minute later
    assert lines[0].startswith("job slow: still running, 1 tick(s) skipped")
    counted = [
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith('aduan_job_skipped_total{job="slow"}')
    ]
    assert counted and counted[0] >= 11
