"""``aduan quarantine list|retry`` and the quarantine column of ``aduan sources``, on both
stores, in process."""

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from aduan.cli import app
from models.quarantine import list_quarantined
from models.tables import Mention
from tests.support.config import bundled_config, write_config

runner = CliRunner()


def _record(n: int, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "platform": "instagram",
        "id": f"1790{n}",
        "author_handle": f"warga{n}",
        "text": f"parkir liar di jalan diponegoro {n}",
        "created_at": f"2026-11-20T10:{n:02d}:00+08:00",
    }
    base.update(kw)
    return base


@pytest.fixture
def config(tmp_path: Path, store_url: str, engine: Engine) -> Path:
    replay = tmp_path / "m.jsonl"
    lines = [
        json.dumps(_record(1)),
        "[1, 2]",
        json.dumps(_record(3, created_at="0001-01-01T00:00:00+08:00")),
        json.dumps(_record(4, platform="[bold]myspace[/]")),
    ]
    replay.write_text("".join(line + "\n" for line in lines))
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = store_url
    data["sources"] = [
        dict(data["sources"][0], name="file", options={"path": str(replay), "batch_size": 10})
    ]
    data["replies"] = {"accounts": []}  # the demo's reply account answers demo-replay
    return write_config(tmp_path, data)


def cli(config: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(config), *args], env={"COLUMNS": "250"})


def test_harvest_reports_list_shows_and_sources_count_the_quarantine(
    config: Path, engine: Engine
) -> None:
    harvest = cli(config, "harvest", "file")
    assert harvest.exit_code == 0, harvest.output
    assert "stored 1 new" in harvest.output and "3 records quarantined" in harvest.output
    listed = cli(config, "quarantine", "list")
    assert listed.exit_code == 0, listed.output
    assert "line 2: expected a JSON object" in listed.output
    assert "created_at: 0001-01-01T00:00:00+08:00 is out of" in listed.output
    assert "unknown platform '[bold]myspace[/]'" in listed.output  # shown, not read as markup
    sources = cli(config, "sources")
    assert "3 (ever 3)" in sources.output
    assert "3 records in quarantine: aduan quarantine list" in sources.output


def test_retry_one_by_id_and_by_source(config: Path, engine: Engine) -> None:
    cli(config, "harvest", "file")
    with Session(engine) as s:
        first = list_quarantined(session=s)[0]
    again = cli(config, "quarantine", "retry", str(first.id))
    assert again.exit_code == 1
    assert "stored 0, already stored 0, still refused 1" in again.output
    everything = cli(config, "quarantine", "retry", "--source", "file")
    assert "still refused 3" in everything.output
    with Session(engine) as s:
        assert [r.retries for r in list_quarantined(session=s)] == [2, 1, 1]
    missing = cli(config, "quarantine", "retry", "999999")
    assert missing.exit_code == 1 and "no quarantined record 999999" in missing.output
    unknown = cli(config, "quarantine", "list", "--source", "nope")
    assert unknown.exit_code != 0


def test_retry_stores_a_record_that_now_passes(config: Path, engine: Engine) -> None:
    cli(config, "harvest", "file")
    # The operator corrects the record in the store (e.g. after checking the post).
    with Session(engine) as s:
        bad = next(r for r in list_quarantined(session=s) if r.platform_id == "17903")
        bad.fields = dict(bad.fields, created_at="2026-11-20T10:03:00+08:00")
        s.add(bad)
        s.commit()
        target = bad.id
    result = cli(config, "quarantine", "retry", str(target))
    assert result.exit_code == 0, result.output
    assert "stored 1, already stored 0, still refused 0" in result.output
    with Session(engine) as s:
        ids = sorted(m.platform_id for m in s.exec(select(Mention)))
        assert ids == ["17901", "17903"]
        assert len(list_quarantined(session=s)) == 2
    assert "empty" not in cli(config, "quarantine", "list").output


def test_empty_quarantine_says_so(config: Path, engine: Engine) -> None:
    assert "quarantine is empty" in cli(config, "quarantine", "list").output
