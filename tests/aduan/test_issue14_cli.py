"""Issue 14 on the command line: response-time figures, and what ``aduan sources`` shows."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from aduan.cli import app
from aduan.daemon import build_scheduler
from aduan.settings import load_settings
from models.db import session_scope
from models.tables import SourceHealth
from models.types import utcnow
from models.vocab import SourceState
from tests.support.config import bundled_config, write_config
from tests.support.lifecycle import RECEIVED, Filing, file_all, inboxes
from tests.support.routing import KeywordClassifier

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, store_url: str, engine: Engine) -> Path:
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = store_url
    return write_config(tmp_path, data)


def cli(config: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(config), *args], env={"COLUMNS": "250"})


def test_response_times_as_a_table_and_as_csv(engine: Engine, config: Path) -> None:
    answered = {"responded_at": RECEIVED + timedelta(hours=3)}
    file_all(engine, [Filing(1, extra=answered), Filing(2, extra=answered)], inboxes())
    shown = cli(config, "report", "response-times", "2026")
    assert shown.exit_code == 0, shown.output
    assert "Waktu respon 2026" in shown.output
    assert "PDAM" in shown.output and "2026-11" in shown.output
    sheet = cli(config, "report", "response-times", "2026", "--yearly", "--csv")
    assert sheet.exit_code == 0, sheet.output
    lines = sheet.output.splitlines()
    assert lines[0].startswith("inbox,bulan,diterima,median respon awal (jam kerja)")
    assert lines[1].startswith("PDAM,,2,3.0,3.0,100.0")


def test_sources_show_no_stale_error_and_each_endpoint_pause(engine: Engine, config: Path) -> None:
    now = utcnow()
    with session_scope(engine) as s:
        s.add(
            SourceHealth(
                source="x-prodenpasar",
                platform="twitter",
                state=SourceState.OK,
                last_error="HTTP 503 dari X kemarin",
                last_error_at=now - timedelta(days=1),
                last_success_at=now - timedelta(minutes=5),
                usage={"jeda": {"tweets/search/recent": "03-12-2026 10:15 WITA"}},
            )
        )
    table = cli(config, "sources")
    assert table.exit_code == 0, table.output
    assert "HTTP 503" not in table.output  # recovered: the old error is not its problem
    assert "paused: tweets/search/recent until 03-12-2026 10:15 WITA" in table.output


def test_the_daemon_schedules_escalation_alerts_and_incidents(tmp_path: Path) -> None:
    data = bundled_config()
    settings = load_settings(write_config(tmp_path, data))
    scheduler = build_scheduler(settings, engine=None, predictor=KeywordClassifier())  # type: ignore[arg-type]
    every = {
        job.id: job.trigger.interval.total_seconds()
        for job in scheduler.get_jobs()
        if job.id in ("escalate", "source-alerts", "incidents")
    }
    assert every == {"escalate": 300, "source-alerts": 300, "incidents": 900}
    data["escalation"]["enabled"] = data["alerts"]["enabled"] = False
    data["incidents"]["enabled"] = False
    quiet_settings = load_settings(write_config(tmp_path, data))
    quiet = build_scheduler(quiet_settings, engine=None, predictor=KeywordClassifier())  # type: ignore[arg-type]
    assert {"escalate", "source-alerts", "incidents"}.isdisjoint(j.id for j in quiet.get_jobs())
