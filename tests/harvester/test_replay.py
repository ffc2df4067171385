"""The replay collector and the harvest runner: idempotence and crash safety."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import harvester.runner as runner
from harvester.base import Batch, Collector, CollectorOptions, SourceSpec
from harvester.exceptions import RateLimited, SourceDataError
from harvester.registry import make_collector
from harvester.runner import RunResult, run_source
from models.db import session_scope
from models.sources import get_cursor, get_health
from models.tables import Mention
from models.vocab import CATEGORIES
from tests.support.factories import mention
from tests.support.paths import SAMPLE


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def _record(n: int, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "platform": "twitter",
        "id": str(5000 + n),
        "author_handle": f"warga{n}",
        "text": f"lampu jalan mati di gatsu {n}",
        "created_at": f"2026-11-20T08:{n:02d}:00+08:00",
    }
    base.update(kw)
    return base


def _collector(path: Path, batch_size: int = 0) -> Collector:
    return make_collector(
        SourceSpec(
            name="replay", platform="replay", options={"path": str(path), "batch_size": batch_size}
        )
    )


def _run(engine: Engine, collector: Collector) -> RunResult:
    return run_source(engine=engine, source="replay", platform="replay", collector=collector)


def _stored(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return sorted(m.platform_id for m in s.exec(select(Mention)))


def test_bundled_sample_is_valid_and_covers_every_category() -> None:

    records = [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]
    assert len(records) >= 150
    assert {r["expected"] for r in records} >= set(CATEGORIES)
    batch = _collector(SAMPLE).collect(None)
    assert len(batch.mentions) == len(records)


def test_harvesting_the_same_file_twice_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "m.jsonl", [_record(i) for i in range(10)])
    first = _run(engine, _collector(path))
    # A new source name (no cursor) re-reads the whole file: still nothing new.
    again = run_source(engine=engine, source="other", platform="replay", collector=_collector(path))
    assert (first.stored, again.fetched, again.stored) == (10, 10, 0)
    assert len(_stored(engine)) == 10


def test_batches_follow_the_cursor(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "m.jsonl", [_record(i) for i in range(7)])
    collector = _collector(path, batch_size=3)
    assert [_run(engine, collector).stored for _ in range(4)] == [3, 3, 1, 0]
    with Session(engine) as s:
        assert get_cursor(session=s, source="replay") == {"offset": 7}
    # The file grows like a log: the next run picks up only the new records.
    _write(path, [_record(i) for i in range(9)])
    assert _run(engine, collector).stored == 2


def test_crash_between_fetch_and_commit_loses_and_duplicates_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "m.jsonl", [_record(i) for i in range(6)])
    collector = _collector(path, batch_size=4)
    _run(engine, collector)

    real_save = runner.save_cursor

    def crash(**kwargs: Any) -> None:
        real_save(**kwargs)  # the cursor is written in the transaction...
        raise KeyboardInterrupt("simulated crash before commit")  # ...which never commits

    monkeypatch.setattr(runner, "save_cursor", crash)
    with pytest.raises(KeyboardInterrupt):
        _run(engine, collector)
    assert len(_stored(engine)) == 4
    with Session(engine) as s:
        assert get_cursor(session=s, source="replay") == {"offset": 4}

    monkeypatch.setattr(runner, "save_cursor", real_save)
    result = _run(engine, collector)
    assert result.stored == 2
    assert _stored(engine) == [str(5000 + i) for i in range(6)]


def test_bad_line_names_file_and_line_and_stores_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(_record(1)) + "\n{not json\n")
    result = _run(engine, _collector(path))
    assert result.error is not None
    assert f"{path}, line 2: not valid JSON" in result.error
    assert _stored(engine) == []
    with Session(engine) as s:
        health = get_health(session=s, source="replay", platform="replay")
        assert health.state == "failing"
        assert health.consecutive_failures == 1
        assert "line 2" in (health.last_error or "")


def test_record_missing_a_field_is_named(tmp_path: Path) -> None:
    bad = _record(1)
    del bad["created_at"]
    path = _write(tmp_path / "m.jsonl", [bad])
    with pytest.raises(SourceDataError, match=r"line 1: created_at: Field required"):
        _collector(path).collect(None)


def test_naive_timestamp_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.jsonl", [_record(1, created_at="2026-11-20T08:00:00")])
    with pytest.raises(SourceDataError, match="UTC offset"):
        _collector(path).collect(None)


def test_csv_replay(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "platform,id,author_handle,text,created_at,reply_to_id\n"
        'facebook,1_2,budi,"air keruh, bau kaporit",2026-11-20T08:00:00+08:00,\n'
        "facebook,1_3,sari,sama di panjer,2026-11-20T08:05:00+08:00,1_2\n"
    )
    assert _run(engine, _collector(path)).stored == 2
    with Session(engine) as s:
        reply = s.exec(select(Mention).where(Mention.platform_id == "1_3")).one()
    assert (reply.platform, reply.reply_to_id, reply.source) == ("facebook", "1_2", "replay")


def test_recovery_resets_health(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text("{oops\n")
    _run(engine, _collector(path))
    _write(path, [_record(1)])
    result = _run(engine, _collector(path))
    assert result.stored == 1
    with session_scope(engine) as s:
        health = get_health(session=s, source="replay", platform="replay")
        assert (health.state, health.consecutive_failures, health.total_ingested) == ("ok", 0, 1)
        assert health.reads_this_month == 1


def test_monthly_read_cap_stops_reading_with_a_clear_state(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "m.jsonl", [_record(i) for i in range(10)])
    collector = _collector(path)
    first = run_source(
        engine=engine, source="replay", platform="replay", collector=collector, monthly_read_cap=4
    )
    assert first.stored == 4
    assert first.error is not None and "monthly read cap" in first.error
    with Session(engine) as s:
        health = get_health(session=s, source="replay", platform="replay")
        assert health.state == "budget_exhausted"
        assert health.rate_limited_until is not None
        assert health.rate_limited_until.day == 1  # resumes on the first of next month
        assert get_cursor(session=s, source="replay") == {"offset": 4}
    again = run_source(
        engine=engine, source="replay", platform="replay", collector=collector, monthly_read_cap=4
    )
    assert again.skipped_reason is not None and again.stored == 0


def test_interrupted_batch_stores_what_it_got_then_records_the_error(
    engine: Engine, tmp_path: Path
) -> None:

    reset = datetime(2030, 1, 1, tzinfo=UTC)

    class HalfWay:
        platform: ClassVar[str] = "twitter"
        options_model: ClassVar[type[CollectorOptions]] = CollectorOptions

        def collect(
            self, cursor: dict[str, Any] | None, *, read_budget: int | None = None
        ) -> Batch:
            return Batch(
                mentions=[mention(1), mention(2)],
                cursor={"next": "page-2"},
                reads=2,
                interrupted=RateLimited("429 Too Many Requests", reset_at=reset),
            )

    result = run_source(engine=engine, source="x", platform="twitter", collector=HalfWay())
    assert result.stored == 2
    with Session(engine) as s:
        health = get_health(session=s, source="x", platform="twitter")
        assert (health.state, health.rate_limited_until) == ("rate_limited", reset)
        assert health.last_success_at is not None and health.consecutive_failures == 1
        assert get_cursor(session=s, source="x") == {"next": "page-2"}
    skipped = run_source(engine=engine, source="x", platform="twitter", collector=HalfWay())
    # times a person reads are in WITA (issue 14)
    assert skipped.skipped_reason == "rate_limited until 01-01-2030 08:00 WITA"


def test_a_record_from_an_unknown_platform_is_refused_by_line(
    engine: Engine, tmp_path: Path
) -> None:
    hostile = _record(2, platform="<b>myspace</b>")
    path = _write(tmp_path / "m.jsonl", [_record(1), hostile, _record(3)])
    result = _run(engine, _collector(path))
    assert result.error is not None
    assert f"{path}, line 2: platform: " in result.error and "unknown platform" in result.error
    assert "twitter, facebook, instagram" in result.error
    assert _stored(engine) == []  # the cursor did not move past it either
