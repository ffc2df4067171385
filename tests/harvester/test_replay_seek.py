"""The replay cursor keeps where the released records end: a run reads only its batch."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import harvester.replay as replay
from harvester.base import Collector, SourceSpec
from harvester.registry import make_collector
from harvester.runner import RunResult, run_source
from models.db import session_scope
from models.quarantine import list_quarantined
from models.sources import get_cursor, save_cursor
from models.tables import Mention


def _record(n: int) -> dict[str, object]:
    return {
        "platform": "twitter",
        "id": str(7000 + n),
        "author_handle": f"warga{n}",
        "text": f"got macet di jalan {n}",
        "created_at": "2026-11-20T08:00:00+08:00",
    }


def _jsonl(path: Path, n: int) -> Path:
    path.write_text("".join(json.dumps(_record(i)) + "\n" for i in range(n)))
    return path


def _collector(path: Path, batch_size: int) -> Collector:
    spec = SourceSpec(
        name="replay", platform="replay", options={"path": str(path), "batch_size": batch_size}
    )
    return make_collector(spec)


def _run(engine: Engine, collector: Collector) -> RunResult:
    return run_source(engine=engine, source="replay", platform="replay", collector=collector)


def _stored(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return sorted(m.platform_id for m in s.exec(select(Mention)))


def _cursor(engine: Engine) -> dict[str, Any] | None:
    with Session(engine) as s:
        return get_cursor(session=s, source="replay")


@pytest.fixture
def lines_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lines the replay collector decodes, counted per ``_lines`` call (one per run)."""
    counts: list[int] = []
    real = replay._lines

    def counting(*args: Any, **kwargs: Any) -> Iterator[Any]:
        counts.append(0)
        for line in real(*args, **kwargs):
            counts[-1] += 1
            yield line

    monkeypatch.setattr(replay, "_lines", counting)
    return counts


def test_each_run_reads_its_own_batch_not_the_file_so_far(
    engine: Engine, tmp_path: Path, lines_read: list[int]
) -> None:
    path = _jsonl(tmp_path / "m.jsonl", 60)
    collector = _collector(path, batch_size=10)
    assert [_run(engine, collector).stored for _ in range(7)] == [10] * 6 + [0]
    assert _stored(engine) == [str(7000 + i) for i in range(60)]
    # Before the cursor kept its byte offset, the sixth run read 60 lines.
    assert max(lines_read) <= 10


def test_csv_runs_seek_past_released_rows_and_still_know_the_header(
    engine: Engine, tmp_path: Path, lines_read: list[int]
) -> None:
    path = tmp_path / "m.csv"
    rows = "".join(
        f'facebook,1_{i},budi,"air keruh\ndi panjer {i}",2026-11-20T08:00:00+08:00\n'
        for i in range(12)
    )
    path.write_text("platform,id,author_handle,text,created_at\n" + rows)
    collector = _collector(path, batch_size=4)
    assert [_run(engine, collector).stored for _ in range(4)] == [4, 4, 4, 0]
    with Session(engine) as s:
        texts = [m.text for m in s.exec(select(Mention).order_by(col(Mention.id)))]
    assert texts == [f"air keruh\ndi panjer {i}" for i in range(12)]
    assert _cursor(engine) == {"offset": 12, "byte": path.stat().st_size, "line": 25}
    # each run: the header, then its own rows (two lines each)
    assert max(lines_read) <= 1 + 4 * 2


def test_a_cursor_from_before_the_byte_offset_is_still_followed(
    engine: Engine, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "m.jsonl", 6)
    with session_scope(engine) as s:
        save_cursor(session=s, source="replay", cursor={"offset": 4})
    assert _run(engine, _collector(path, batch_size=10)).stored == 2
    assert _stored(engine) == ["7004", "7005"]
    assert _cursor(engine) == {"offset": 6, "byte": path.stat().st_size, "line": 6}


def test_a_byte_offset_that_no_longer_fits_the_file_falls_back_to_counting(
    engine: Engine, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "m.jsonl", 6)
    with session_scope(engine) as s:
        # not just after a line break: the file was replaced since
        save_cursor(session=s, source="replay", cursor={"offset": 4, "byte": 7, "line": 1})
    assert _run(engine, _collector(path, batch_size=10)).stored == 2
    assert _stored(engine) == ["7004", "7005"]
    assert _cursor(engine) == {"offset": 6, "byte": path.stat().st_size, "line": 6}


def test_a_file_cut_shorter_than_the_cursor_releases_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "m.jsonl", 6)
    collector = _collector(path, batch_size=10)
    assert _run(engine, collector).stored == 6
    _jsonl(path, 3)
    again = _run(engine, collector)
    assert (again.fetched, again.stored) == (0, 0)
    assert _cursor(engine) == {"offset": 6}


def test_a_bad_line_after_a_seek_is_named_by_its_line_in_the_file(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "m.jsonl"
    good = [json.dumps(_record(i)) + "\n" for i in range(4)]
    bad = json.dumps(_record(9)).encode().replace(b"macet", b"ma\xffcet") + b"\n"
    head = "".join(good[:3]).encode() + b"\n"  # a blank line too
    path.write_bytes(head + good[3].encode() + bad)
    collector = _collector(path, batch_size=3)
    assert _run(engine, collector).stored == 3
    second = _run(engine, collector)
    assert (second.stored, second.quarantined) == (1, 1)
    offset = len(head) + len(good[3]) + bad.index(b"\xff")
    with Session(engine) as s:
        (row,) = list_quarantined(session=s)
    assert row.reason == (
        f"{path}, line 6, byte offset {offset}: invalid UTF-8 (invalid start byte)"
    )
