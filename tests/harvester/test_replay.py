"""The replay collector and the harvest runner: idempotence and crash safety."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import harvester.runner as runner
from harvester.base import Batch, Collector, CollectorOptions, SourceSpec
from harvester.exceptions import RateLimited
from harvester.registry import make_collector
from harvester.runner import RunResult, run_source
from models.db import session_scope
from models.quarantine import list_quarantined
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


def _collector(path: Path, batch_size: int = 500) -> Collector:
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
        # records released, and where they end: the next run seeks there
        assert get_cursor(session=s, source="replay") == {
            "offset": 7,
            "byte": path.stat().st_size,
            "line": 7,
        }
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
        assert (get_cursor(session=s, source="replay") or {}).get("offset") == 4

    monkeypatch.setattr(runner, "save_cursor", real_save)
    result = _run(engine, collector)
    assert result.stored == 2
    assert _stored(engine) == [str(5000 + i) for i in range(6)]


def test_bad_line_is_quarantined_naming_file_and_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(_record(1)) + "\n{not json\n" + json.dumps(_record(3)) + "\n")
    result = _run(engine, _collector(path))
    assert (result.error, result.stored, result.quarantined) == (None, 2, 1)
    assert _stored(engine) == ["5001", "5003"]
    with Session(engine) as s:
        (row,) = list_quarantined(session=s)
        assert row.reason.startswith(f"{path}, line 2: not valid JSON")
        assert row.raw == {"line": "{not json\n"}
        assert (get_cursor(session=s, source="replay") or {}).get("offset") == 3
        health = get_health(session=s, source="replay", platform="replay")
        assert (health.state, health.last_run_quarantined, health.total_quarantined) == (
            "ok",
            1,
            1,
        )


def test_record_missing_a_field_is_named(tmp_path: Path) -> None:
    bad = _record(1)
    del bad["created_at"]
    path = _write(tmp_path / "m.jsonl", [bad])
    batch = _collector(path).collect(None)
    assert batch.mentions == []
    assert [r.reason for r in batch.rejected] == [f"{path}, line 1: created_at: Field required"]


def test_naive_timestamp_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.jsonl", [_record(1, created_at="2026-11-20T08:00:00")])
    (rejected,) = _collector(path).collect(None).rejected
    assert "UTC offset" in rejected.reason


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
    _run(engine, _collector(tmp_path / "missing.jsonl"))
    with session_scope(engine) as s:
        assert get_health(session=s, source="replay", platform="replay").state == "failing"
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
        assert (get_cursor(session=s, source="replay") or {}).get("offset") == 4
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


def test_a_record_from_an_unknown_platform_is_quarantined_by_line(
    engine: Engine, tmp_path: Path
) -> None:
    hostile = _record(2, platform="<b>myspace</b>")
    path = _write(tmp_path / "m.jsonl", [_record(1), hostile, _record(3)])
    result = _run(engine, _collector(path))
    assert (result.error, result.stored, result.quarantined) == (None, 2, 1)
    with Session(engine) as s:
        (row,) = list_quarantined(session=s)
    assert row.reason.startswith(f"{path}, line 2: platform: ")
    assert "unknown platform" in row.reason and "twitter, facebook, instagram" in row.reason
    assert _stored(engine) == ["5001", "5003"]


def test_a_batch_stops_at_its_limit_before_reading_a_bad_record(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "m.jsonl"
    good = "".join(json.dumps(_record(i)) + "\n" for i in range(3))
    path.write_text(good + "{broken\n" + json.dumps(_record(5)) + "\n")
    collector = _collector(path, batch_size=3)
    first = _run(engine, collector)
    # The bad line after the batch is not even read: this batch is stored whole.
    assert (first.stored, first.quarantined, first.error) == (3, 0, None)
    second = _run(engine, collector)
    assert (second.stored, second.quarantined) == (1, 1)
    assert _stored(engine) == ["5000", "5001", "5002", "5005"]
    with Session(engine) as s:
        assert (get_cursor(session=s, source="replay") or {}).get("offset") == 5


def test_invalid_utf8_is_quarantined_naming_file_line_and_byte_offset(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "m.jsonl"
    first = (json.dumps(_record(1)) + "\n").encode()
    bad = json.dumps(_record(2)).encode().replace(b"lampu", b"lam\xffpu") + b"\n"
    path.write_bytes(first + bad + (json.dumps(_record(3)) + "\n").encode())
    result = _run(engine, _collector(path))
    assert (result.stored, result.quarantined) == (2, 1)
    offset = len(first) + bad.index(b"\xff")
    with Session(engine) as s:
        (row,) = list_quarantined(session=s)
    assert row.reason == (
        f"{path}, line 2, byte offset {offset}: invalid UTF-8 (invalid start byte)"
    )
    assert "lam\ufffdpu" in row.raw["line"]
    assert _stored(engine) == ["5001", "5003"]


def test_invalid_utf8_in_a_csv_row_is_quarantined_by_offset(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    header = b"platform,id,text,created_at\n"
    row1 = b"facebook,1_2,air keruh,2026-11-20T08:00:00+08:00\n"
    row2 = b"facebook,1_3,sampah \xc3\x28 numpuk,2026-11-20T08:05:00+08:00\n"
    path.write_bytes(header + row1 + row2)
    result = _run(engine, _collector(path))
    assert (result.stored, result.quarantined) == (1, 1)
    offset = len(header + row1) + row2.index(b"\xc3")
    with Session(engine) as s:
        (row,) = list_quarantined(session=s)
    assert row.reason.startswith(f"{path}, line 3, byte offset {offset}: invalid UTF-8")


def test_a_quote_left_open_in_a_csv_stops_the_source_there_with_the_line(
    engine: Engine, tmp_path: Path
) -> None:
    """The rest of the file read as one field: csv's error failed every run (nothing
    before the quote stored either); now the rows before it are stored and the source
    names the line, run after run, until the file is mended."""
    path = tmp_path / "m.csv"
    rows = "".join(
        f"twitter,{i},lampu mati di gang {i},2026-11-20T08:00:00+08:00\n" for i in range(3, 6000)
    )
    path.write_text(
        "platform,id,text,created_at\n"
        "twitter,1,air mati,2026-11-20T08:00:00+08:00\n"
        'twitter,2,"air mati lagi,2026-11-20T08:00:00+08:00\n' + rows
    )
    collector = _collector(path)
    first, again = _run(engine, collector), _run(engine, collector)
    assert (first.stored, again.stored) == (1, 0)
    for result in (first, again):
        assert result.error is not None and "SourceDataError" in result.error
        assert f"{path}, line 3: field larger than field limit" in result.error
    with Session(engine) as s:
        health = get_health(session=s, source="replay", platform="replay")
        assert health.last_error is not None and "line 3" in health.last_error
    assert _stored(engine) == ["1"]
    first_row = tmp_path / "first.csv"
    first_row.write_text('platform,id,text,created_at\ntwitter,7,"open\n' + rows)
    result = _run(engine, _collector(first_row))
    assert result.error is not None and f"{first_row}, line 2: field larger" in result.error


def test_an_unfinished_last_line_waits_for_the_next_run(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    whole = json.dumps(_record(2))
    path.write_text(json.dumps(_record(1)) + "\n" + whole[:20])  # still being written
    collector = _collector(path)
    assert (_run(engine, collector).stored, _run(engine, collector).quarantined) == (1, 0)
    path.write_text(json.dumps(_record(1)) + "\n" + whole + "\n")
    assert _run(engine, collector).stored == 1
    assert _stored(engine) == ["5001", "5002"]


def test_batch_size_zero_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="batch_size 0 is no longer allowed") as info:
        _collector(tmp_path / "m.jsonl", batch_size=0)
    assert info.value.errors()[0]["loc"] == ("batch_size",)


def test_a_last_line_cut_inside_a_character_waits_for_the_next_run(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "m.jsonl"
    whole = json.dumps(_record(2, text="jalan rusak 🙏"), ensure_ascii=False).encode()
    cut = whole.index("🙏".encode()) + 2  # half of the emoji's four bytes
    path.write_bytes((json.dumps(_record(1)) + "\n").encode() + whole[:cut])
    collector = _collector(path)
    first = _run(engine, collector)
    assert (first.stored, first.quarantined) == (1, 0)
    path.write_bytes((json.dumps(_record(1)) + "\n").encode() + whole + b"\n")
    assert (_run(engine, collector).stored, _stored(engine)) == (1, ["5001", "5002"])
