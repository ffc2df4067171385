"""Routing right after a harvest that stored something, with its own schedule as fallback."""

import gc
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from aduan import jobs
from aduan.daemon import ROUTE_JOB, RouteSoon, TrackedJob, build_scheduler, harvest_jitter
from aduan.settings import Settings, load_settings
from aduan.wiring import prepare_store
from classifier.csr import SCIPY_FROM_ROWS
from models.tables import Mention
from models.vocab import JobOutcome, MentionState
from tests.support.config import bundled_config, write_config
from tests.support.daemon import replay_file
from tests.support.routing import KeywordClassifier

#: the fallback schedule in these tests: far enough that only a kick can route in time
FALLBACK = {"hours": 1}


def _settings(
    tmp_path: Path,
    engine: Engine,
    stream: Path,
    *,
    after_harvest: bool = True,
    on_arrival: bool = False,
) -> Settings:
    """The daemon's settings; by default a harvest leaves its mentions to the route job
    (as when routing on arrival fell back), which these tests are about."""
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = engine.url.render_as_string(hide_password=False)
    data["routing"]["schedule"] = FALLBACK
    data["routing"]["after_harvest"] = after_harvest
    data["routing"]["on_arrival"] = on_arrival
    data["sources"] = [
        {
            "name": "replay",
            "platform": "replay",
            "schedule": {"hours": 1},
            "options": {"path": str(stream), "batch_size": 50},
        }
    ]
    data["replies"] = {"accounts": []}
    settings = load_settings(write_config(tmp_path, data))
    prepare_store(settings, engine)
    return settings


def _pending(engine: Engine) -> int:
    with Session(engine) as s:
        return s.exec(
            select(func.count()).select_from(Mention).where(Mention.state == MentionState.PENDING)
        ).one()


def _started(settings: Settings, engine: Engine) -> BackgroundScheduler:
    """The daemon's scheduler with nothing due: the route job's next tick an hour away."""
    scheduler = build_scheduler(settings, engine, KeywordClassifier())
    later = datetime.now(UTC) + timedelta(hours=1)
    for job in scheduler.get_jobs():
        job.modify(next_run_time=later)
    scheduler.start()
    return scheduler


def _route_job_untouched(scheduler: BackgroundScheduler, before: datetime) -> None:
    """The route job has not run and still waits for its tick at *before* (no kick)."""
    time.sleep(0.5)
    route_job = scheduler.get_job(ROUTE_JOB)
    assert route_job.func.outcome is JobOutcome.NOT_RUN
    assert route_job.next_run_time == before


def test_a_harvest_that_stores_routes_at_once(engine: Engine, tmp_path: Path) -> None:
    stream = replay_file(tmp_path / "stream.jsonl", 12)
    settings = _settings(tmp_path, engine, stream)
    scheduler = _started(settings, engine)
    try:
        harvest = scheduler.get_job("harvest:replay").func
        route_job = scheduler.get_job(ROUTE_JOB).func
        assert isinstance(route_job, TrackedJob)
        stored_at = time.monotonic()
        harvest()
        deadline = stored_at + 10
        while (_pending(engine) or route_job.outcome is JobOutcome.NOT_RUN) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        took = time.monotonic() - stored_at
        with Session(engine) as s:
            stored = s.exec(select(func.count()).select_from(Mention)).one()
        assert stored == 12
        assert _pending(engine) == 0, "the stored mentions were not routed after the harvest"
        assert took < 5, f"routing came {took:.1f} s after the harvest"
        # reported like any run of the job (for /healthz), and the schedule stays the fallback
        assert route_job.outcome is JobOutcome.OK and route_job.skipped == 0
        next_run = scheduler.get_job(ROUTE_JOB).next_run_time
        assert next_run > datetime.now(UTC) + timedelta(minutes=50)
    finally:
        scheduler.shutdown(wait=True)


def test_a_harvest_routing_on_arrival_leaves_the_route_job_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    stream = replay_file(tmp_path / "stream.jsonl", 12)
    settings = _settings(tmp_path, engine, stream, on_arrival=True)
    scheduler = _started(settings, engine)
    try:
        before = scheduler.get_job(ROUTE_JOB).next_run_time
        scheduler.get_job("harvest:replay").func()
        # routed when the harvest job returns: nothing pending, no kick of the route job
        with Session(engine) as s:
            states = s.exec(select(Mention.state)).all()
        assert len(states) == 12 and MentionState.PENDING not in states
        _route_job_untouched(scheduler, before)
    finally:
        scheduler.shutdown(wait=True)


def test_a_harvest_that_stores_nothing_does_not_route(engine: Engine, tmp_path: Path) -> None:
    stream = tmp_path / "empty.jsonl"
    stream.write_text("")
    settings = _settings(tmp_path, engine, stream)
    scheduler = _started(settings, engine)
    try:
        before = scheduler.get_job(ROUTE_JOB).next_run_time
        scheduler.get_job("harvest:replay").func()
        _route_job_untouched(scheduler, before)
    finally:
        scheduler.shutdown(wait=True)


def test_routing_after_harvest_can_be_turned_off(engine: Engine, tmp_path: Path) -> None:
    stream = replay_file(tmp_path / "stream.jsonl", 5)
    settings = _settings(tmp_path, engine, stream, after_harvest=False)
    scheduler = _started(settings, engine)
    try:
        before = scheduler.get_job(ROUTE_JOB).next_run_time
        scheduler.get_job("harvest:replay").func()
        time.sleep(0.5)
        assert _pending(engine) == 5  # left for the route job's own schedule
        assert scheduler.get_job(ROUTE_JOB).next_run_time == before
    finally:
        scheduler.shutdown(wait=True)


def test_a_kick_while_routing_runs_goes_round_once_more() -> None:
    release, started = threading.Event(), threading.Event()
    runs: list[int] = []

    def work() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            started.set()
            assert release.wait(10)

    soon = RouteSoon(work)
    runner = threading.Thread(target=soon)
    runner.start()
    assert started.wait(10)
    soon.kick()  # stored while the first run was past its look-up
    soon.kick()  # several kicks in one run make one more round, not several
    release.set()
    runner.join(10)
    assert runs == [0, 1]
    soon()  # an idle kick-free run goes round once
    assert runs == [0, 1, 2]


def test_ready_to_route_loads_routing_and_freezes_start_up_for_the_gc(tmp_path: Path) -> None:
    """The daemon's start-up step (jobs.ready_to_route, called by `aduan run`) builds the
    routing policy, imports what batch classification needs and freezes the objects
    loaded so far, so full collections no longer walk the model and the gazetteer."""
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    settings = load_settings(write_config(tmp_path, data))
    assert settings.routing.batch_size >= SCIPY_FROM_ROWS
    gc.unfreeze()
    try:
        jobs.ready_to_route(settings)
        assert gc.get_freeze_count() > 10_000
        assert "scipy.sparse" in sys.modules
    finally:
        gc.unfreeze()  # the rest of the suite's objects are collected as usual


def test_harvest_ticks_are_jittered_so_instances_do_not_stay_in_step(
    engine: Engine, tmp_path: Path
) -> None:
    """Instances sharing a store take a source by a try-lock; started together on the same
    schedule their ticks stayed in step and the first took the source every time, the
    other never harvesting (tests/aduan/test_daemon_resilience.py's two instances)."""
    settings = _settings(tmp_path, engine, replay_file(tmp_path / "stream.jsonl", 1))
    scheduler = build_scheduler(settings, engine, KeywordClassifier())
    trigger = scheduler.get_job("harvest:replay").trigger
    assert trigger.interval.total_seconds() == 3600
    assert trigger.jitter == 30  # a quarter of the hour, at most 30 s
    assert harvest_jitter(1) == 0.25
