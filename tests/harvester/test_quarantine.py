"""The quarantine: records the store refuses are set aside in the batch's transaction,
and ``retry_quarantined`` stores those that now pass and keeps the rest."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlmodel import Session, select

import harvester.quarantine as quarantine
import harvester.runner as runner
from harvester.base import SourceSpec
from harvester.quarantine import retry_quarantined
from harvester.registry import make_collector
from harvester.runner import RunResult, run_source
from models.quarantine import list_quarantined
from models.sources import get_cursor, get_health
from models.tables import Mention, MentionIn, QuarantinedRecord

SOURCE = "replay"


def _record(n: int, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "platform": "facebook",
        "id": f"1_{n}",
        "author_name": f"Warga {n}",
        "text": f"sampah menumpuk di pasar badung {n}",
        "created_at": f"2026-11-20T09:{n:02d}:00+08:00",
    }
    base.update(kw)
    return base


def _file(tmp_path: Path, records: Sequence[dict[str, Any] | str]) -> Path:
    path = tmp_path / "m.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _run(engine: Engine, path: Path, batch_size: int = 50) -> RunResult:
    collector = make_collector(
        SourceSpec(
            name=SOURCE,
            platform="replay",
            options={"path": str(path), "batch_size": batch_size},
        )
    )
    return run_source(engine=engine, source=SOURCE, platform="replay", collector=collector)


def _stored(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return sorted(m.platform_id for m in s.exec(select(Mention)))


def _quarantined(engine: Engine) -> list[QuarantinedRecord]:
    with Session(engine) as s:
        return list_quarantined(session=s)


def _refuse(monkeypatch: pytest.MonkeyPatch, poison: str, error: type[Exception]) -> None:
    """The store refuses any insert holding the mention *poison* (a check only it makes)."""
    real = runner.insert_mentions

    def insert(*, session: Session, mentions: Sequence[MentionIn]) -> int:
        if any(m.platform_id == poison for m in mentions):
            raise error("INSERT INTO mention ...", {}, Exception(f"the store refuses {poison}"))
        return real(session=session, mentions=mentions)

    monkeypatch.setattr(runner, "insert_mentions", insert)
    monkeypatch.setattr(quarantine, "insert_mentions", insert)


def test_a_record_the_store_refuses_is_quarantined_and_the_rest_stored(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse(monkeypatch, "1_2", DataError)
    path = _file(tmp_path, [_record(1), _record(2), _record(3)])
    result = _run(engine, path)
    assert (result.stored, result.quarantined, result.error) == (2, 1, None)
    assert _stored(engine) == ["1_1", "1_3"]
    (row,) = _quarantined(engine)
    assert row.reason.startswith("refused by the store: Exception: the store refuses 1_2")
    assert (row.source, row.platform, row.platform_id) == (SOURCE, "facebook", "1_2")
    assert row.raw == _record(2) and row.fields["author_name"] == "Warga 2"
    with Session(engine) as s:
        assert (get_cursor(session=s, source=SOURCE) or {}).get("offset") == 3
        health = get_health(session=s, source=SOURCE, platform="replay")
        assert (health.state, health.total_ingested, health.total_quarantined) == ("ok", 2, 1)


def test_a_store_that_is_down_fails_the_run_and_quarantines_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Unavailable (or a full disk) is the store's fault, not the record's.
    _refuse(monkeypatch, "1_2", OperationalError)
    path = _file(tmp_path, [_record(1), _record(2)])
    with pytest.raises(OperationalError):
        _run(engine, path)
    assert (_stored(engine), _quarantined(engine)) == ([], [])
    with Session(engine) as s:
        assert get_cursor(session=s, source=SOURCE) is None


def test_retry_stores_what_now_passes_and_removes_it(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        _refuse(patch, "1_2", DataError)
        _run(engine, _file(tmp_path, [_record(1), _record(2)]))
    (row,) = _quarantined(engine)
    result = retry_quarantined(engine=engine, ids=[row.id or 0])
    assert (result.stored, result.already_stored, result.still_bad) == (1, 0, 0)
    assert _stored(engine) == ["1_1", "1_2"]
    assert _quarantined(engine) == []
    with Session(engine) as s:
        m = s.exec(select(Mention).where(Mention.platform_id == "1_2")).one()
    assert (m.source, m.author_name, m.raw) == (SOURCE, "Warga 2", _record(2))


def test_retry_keeps_what_is_still_bad_with_the_new_reason_and_count(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, [_record(1, created_at="0001-01-01T00:00:00+08:00"), _record(2)])
    _run(engine, path)
    (before,) = _quarantined(engine)
    assert before.retries == 0 and before.retried_at is None
    assert retry_quarantined(engine=engine, source=SOURCE).still_bad == 1
    assert retry_quarantined(engine=engine).still_bad == 1
    (after,) = _quarantined(engine)
    assert after.id == before.id and after.retries == 2 and after.retried_at is not None
    # Re-checked from the fields, so the reason no longer names the file's line.
    assert after.reason == "created_at: 0001-01-01T00:00:00+08:00 is out of range"
    assert _stored(engine) == ["1_2"]


def test_retry_of_a_store_refusal_that_persists_keeps_it(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse(monkeypatch, "1_1", IntegrityError)
    _run(engine, _file(tmp_path, [_record(1)]))
    assert retry_quarantined(engine=engine).still_bad == 1
    (row,) = _quarantined(engine)
    assert row.reason == "refused by the store: IntegrityError" and row.retries == 1


def test_retry_of_an_unreadable_line_reads_it_again(engine: Engine, tmp_path: Path) -> None:
    _run(engine, _file(tmp_path, ["{not json", json.dumps(_record(2))]))
    (row,) = _quarantined(engine)
    assert row.raw == {"line": "{not json\n"} and row.fields == {}
    assert retry_quarantined(engine=engine).still_bad == 1
    assert _quarantined(engine)[0].reason.startswith("not valid JSON (Expecting property name")


def test_retry_of_a_record_stored_meanwhile_just_removes_it(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        _refuse(patch, "1_1", DataError)
        _run(engine, _file(tmp_path, [_record(1)]))
    # The platform sent it again and it was stored by another source's run.
    other = make_collector(
        SourceSpec(name="other", platform="replay", options={"path": str(tmp_path / "m.jsonl")})
    )
    run_source(engine=engine, source="other", platform="replay", collector=other)
    result = retry_quarantined(engine=engine, source=SOURCE)
    assert (result.stored, result.already_stored) == (0, 1)
    assert _quarantined(engine) == [] and _stored(engine) == ["1_1"]


def test_retry_by_source_leaves_other_sources_alone(engine: Engine, tmp_path: Path) -> None:
    bad = _record(1, created_at="1970-01-01T00:00:00+00:00")
    _run(engine, _file(tmp_path, [bad]))
    other = make_collector(
        SourceSpec(name="other", platform="replay", options={"path": str(tmp_path / "m.jsonl")})
    )
    run_source(engine=engine, source="other", platform="replay", collector=other)
    retry_quarantined(engine=engine, source="other")
    by_source = {r.source: r.retries for r in _quarantined(engine)}
    assert by_source == {SOURCE: 0, "other": 1}
