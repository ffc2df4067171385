"""The daemon's privacy work: the daily retention job, config changes in the access log."""

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from aduan import jobs
from aduan.daemon import RETENTION_GRACE_SECONDS, build_scheduler
from aduan.settings import load_settings
from models.tables import AccessLogEntry
from models.vocab import AccessAction
from models.wita import WITA
from tests.support.config import bundled_config, write_config
from tests.support.routing import KeywordClassifier


def test_retention_runs_daily_at_the_configured_hour_wita(tmp_path: Path) -> None:
    data = bundled_config()
    data["privacy"]["retention"]["hour"] = 3
    settings = load_settings(write_config(tmp_path, data))
    scheduler = build_scheduler(settings, engine=None, predictor=KeywordClassifier())  # type: ignore[arg-type]
    job = scheduler.get_job("retention")
    assert job is not None and job.misfire_grace_time == RETENTION_GRACE_SECONDS
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("3", "0")
    assert job.trigger.timezone == WITA


def test_a_changed_config_is_recorded_once(tmp_path: Path, store_url: str, engine: Engine) -> None:
    data = bundled_config()
    data["store"]["url"] = store_url
    path = write_config(tmp_path, data)
    settings = load_settings(path)
    assert jobs.record_config(settings=settings, engine=engine) is True
    assert jobs.record_config(settings=settings, engine=engine) is False  # a restart
    data["privacy"]["retention"]["not_complaint_days"] = 30
    write_config(tmp_path, data)
    assert jobs.record_config(settings=settings, engine=engine) is True
    with Session(engine) as s:
        entries = list(s.exec(select(AccessLogEntry)))
    assert [e.action for e in entries] == [AccessAction.CONFIG_CHANGED] * 2
    first, second = entries
    assert (
        first.details["previous"] is None and second.details["previous"] == first.details["sha256"]
    )
    assert (first.actor, first.target) == ("system", "config:config.yaml")
