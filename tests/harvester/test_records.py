"""Each field of the mention shape at and past its limit, through a harvest, on both stores.

A record is a replay file line run through ``run_source``: what is safe to cut is cut
with a marker and stored, what is not (ids) is quarantined, and in every case the rest
of the batch is stored and the cursor moves past the record.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from harvester.base import SourceSpec
from harvester.records import (
    LIMITS,
    MAX_DEPTH,
    TOO_DEEP,
    TRUNCATED,
    build_mention,
    clean_payload,
)
from harvester.registry import make_collector
from harvester.runner import RunResult, run_source
from models.quarantine import Rejected, list_quarantined
from models.sources import get_cursor
from models.tables import Mention, MentionIn

SOURCE = "replay"


def _record(n: int, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "platform": "twitter",
        "id": str(7000 + n),
        "author_handle": f"warga{n}",
        "author_name": f"Warga {n}",
        "text": f"got mampet di jalan nangka {n}",
        "url": f"https://x.com/warga{n}/status/{7000 + n}",
        "created_at": f"2026-11-20T08:{n:02d}:00+08:00",
        "conversation_id": str(7000 + n),
    }
    base.update(kw)
    return base


def _harvest(engine: Engine, tmp_path: Path, records: list[dict[str, Any]]) -> RunResult:
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    collector = make_collector(
        SourceSpec(name=SOURCE, platform="replay", options={"path": str(path), "batch_size": 50})
    )
    return run_source(engine=engine, source=SOURCE, platform="replay", collector=collector)


def _mentions(engine: Engine) -> dict[str, Mention]:
    with Session(engine) as s:
        return {m.platform_id: m for m in s.exec(select(Mention))}


#: replay keys of the mention fields with a column limit (``source`` comes from config)
_KEYS = {
    "platform_id": "id",
    "author_handle": "author_handle",
    "author_name": "author_name",
    "url": "url",
    "conversation_id": "conversation_id",
    "reply_to_id": "reply_to_id",
}


def test_every_limited_field_of_the_shape_is_covered() -> None:
    assert set(LIMITS) == set(_KEYS) | {"platform", "source"}


@pytest.mark.parametrize("field", sorted(_KEYS))
def test_a_field_at_its_limit_is_stored_whole(engine: Engine, tmp_path: Path, field: str) -> None:
    value = "9" * LIMITS[field]
    result = _harvest(engine, tmp_path, [_record(1, **{_KEYS[field]: value}), _record(2)])
    assert (result.stored, result.quarantined) == (2, 0)
    rows = _mentions(engine)
    row = rows[value] if field == "platform_id" else rows["7001"]
    assert getattr(row, field) == value


@pytest.mark.parametrize("field", ["author_handle", "author_name", "url"])
def test_a_field_past_its_limit_is_cut_with_a_marker_and_kept_whole_in_raw(
    engine: Engine, tmp_path: Path, field: str
) -> None:
    limit = LIMITS[field]
    value = "x" * (limit + 1) if field != "author_name" else "Ni Luh " * 1000  # 7,000 chars
    result = _harvest(engine, tmp_path, [_record(1, **{_KEYS[field]: value}), _record(2)])
    assert (result.stored, result.quarantined) == (2, 0)
    row = _mentions(engine)["7001"]
    stored = getattr(row, field)
    assert len(stored) == limit and stored.endswith(TRUNCATED)
    assert stored[: -len(TRUNCATED)] == value[: limit - len(TRUNCATED)]
    assert row.raw[_KEYS[field]] == value


@pytest.mark.parametrize("field", ["platform_id", "conversation_id", "reply_to_id"])
def test_an_id_past_its_limit_is_quarantined_not_cut(
    engine: Engine, tmp_path: Path, field: str
) -> None:
    # A cut id could name another post (and be merged into its complaint).
    value = "9" * (LIMITS[field] + 1)
    result = _harvest(
        engine, tmp_path, [_record(1), _record(2, **{_KEYS[field]: value}), _record(3)]
    )
    assert (result.stored, result.quarantined) == (2, 1)
    assert sorted(_mentions(engine)) == ["7001", "7003"]
    with Session(engine) as s:
        (row,) = list_quarantined(session=s)
        assert (get_cursor(session=s, source=SOURCE) or {}).get("offset") == 3
    assert row.reason.endswith(f"line 2: {field}: String should have at most 100 characters")
    assert row.raw[_KEYS[field]] == value and row.source == SOURCE


@pytest.mark.parametrize(
    "platform", ["twitter", "x" * LIMITS["platform"], "x" * (LIMITS["platform"] + 1)]
)
def test_platform_must_be_a_known_one(engine: Engine, tmp_path: Path, platform: str) -> None:
    result = _harvest(engine, tmp_path, [_record(1, platform=platform), _record(2)])
    known = platform == "twitter"
    assert (result.stored, result.quarantined) == ((2, 0) if known else (1, 1))


def test_source_name_at_its_limit(engine: Engine, tmp_path: Path) -> None:
    name = "s" * LIMITS["source"]
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(_record(1)) + "\n")
    collector = make_collector(
        SourceSpec(name=name, platform="replay", options={"path": str(path)})
    )
    result = run_source(engine=engine, source=name, platform="replay", collector=collector)
    assert result.stored == 1
    assert _mentions(engine)["7001"].source == name


def test_a_five_megabyte_text_is_stored_whole(engine: Engine, tmp_path: Path) -> None:
    text = ("jalan berlubang di sesetan, mohon diperbaiki. " * 120_000)[:5_000_000]
    result = _harvest(engine, tmp_path, [_record(1, text=text)])
    assert result.stored == 1
    assert _mentions(engine)["7001"].text == text


@pytest.mark.parametrize(
    ("created_at", "stored"),
    [
        ("2000-01-01T00:00:00+00:00", True),
        ("2099-12-31T23:59:59+00:00", True),
        ("1999-12-31T23:59:59+00:00", False),
        ("0001-01-01T00:00:00+00:00", False),
        ("0001-01-01T00:00:00+08:00", False),  # before the first UTC datetime Python has
        ("9999-12-31T23:59:59+00:00", False),
        ("2026-11-20T08:00:00", False),  # no offset
    ],
)
def test_created_at_out_of_range_is_quarantined_with_the_reason(
    engine: Engine, tmp_path: Path, created_at: str, stored: bool
) -> None:
    result = _harvest(engine, tmp_path, [_record(1, created_at=created_at), _record(2)])
    assert (result.stored, result.quarantined) == ((2, 0) if stored else (1, 1))
    if not stored:
        with Session(engine) as s:
            (row,) = list_quarantined(session=s)
        assert "line 1: created_at: " in row.reason
        assert row.fields["created_at"] == created_at


def test_nul_and_control_characters_are_stripped_from_fields_and_raw(
    engine: Engine, tmp_path: Path
) -> None:
    dirty = _record(
        1,
        author_handle="budi\x00_dps\x1b",
        author_name="Budi\x00 Santika\x07\u0085",
        text="air\x00 mati\x0c di\tpanjer\r\nsejak pagi \u200f\U0001f64f",
        url="https://x.com/budi\x00/status/7001",
        extra={"nested\x00key": ["a\x00b", {"c": "\x01d"}], "n": 3},
    )
    result = _harvest(engine, tmp_path, [dirty])
    assert result.stored == 1
    row = _mentions(engine)["7001"]
    assert (row.author_handle, row.author_name) == ("budi_dps", "Budi Santika")
    # Tab and line breaks are part of a text; the right-to-left mark and emoji too.
    assert row.text == "air mati di\tpanjer\r\nsejak pagi \u200f\U0001f64f"
    assert row.url == "https://x.com/budi/status/7001"
    assert row.raw["extra"] == {"nestedkey": ["ab", {"c": "d"}], "n": 3}
    assert "\x00" not in json.dumps(row.raw)


def test_a_lone_surrogate_becomes_a_replacement_character(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    # JSON may escape half a surrogate pair; UTF-8 (and so the store) cannot hold it.
    line = json.dumps(_record(1)).replace('"got mampet', '"got \\ud83d mampet')
    path.write_text(line + "\n")
    collector = make_collector(
        SourceSpec(name=SOURCE, platform="replay", options={"path": str(path)})
    )
    result = run_source(engine=engine, source=SOURCE, platform="replay", collector=collector)
    assert result.stored == 1
    assert _mentions(engine)["7001"].text.startswith("got \ufffd mampet")


def _harvest_lines(engine: Engine, tmp_path: Path, lines: list[str]) -> RunResult:
    path = tmp_path / "m.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    collector = make_collector(
        SourceSpec(name=SOURCE, platform="replay", options={"path": str(path)})
    )
    return run_source(engine=engine, source=SOURCE, platform="replay", collector=collector)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_a_number_json_cannot_hold_is_kept_as_its_name_and_the_mention_stored(
    engine: Engine, tmp_path: Path, number: str
) -> None:
    """Python's JSON reader takes NaN and Infinity; PostgreSQL's JSONB refuses them."""
    odd = json.dumps(_record(1, score=0.5)).replace("0.5", number)
    result = _harvest_lines(engine, tmp_path, [odd, json.dumps(_record(2))])
    assert (result.stored, result.quarantined, result.error) == (2, 0, None)
    assert _mentions(engine)["7001"].raw["score"] == number


def test_a_refused_record_holding_nan_reaches_the_quarantine(
    engine: Engine, tmp_path: Path
) -> None:
    """Its fields and payload are stored with it: on PostgreSQL a NaN there failed the
    whole harvest, and every later run again, so the source stopped at that record."""
    odd = json.dumps(_record(1, created_at=0.5, score=0.5)).replace("0.5", "NaN")
    result = _harvest_lines(engine, tmp_path, [odd, json.dumps(_record(2))])
    assert (result.stored, result.quarantined, result.error) == (1, 1, None)
    with Session(engine) as s:
        (row,) = list_quarantined(session=s)
    assert "line 1: created_at: " in row.reason
    assert row.fields["created_at"] == row.raw["created_at"] == row.raw["score"] == "NaN"


def test_a_payload_nested_absurdly_deep_is_cut_and_a_line_too_deep_to_read_quarantined(
    engine: Engine, tmp_path: Path
) -> None:
    """Either one failed the whole run before (RecursionError), and every later run again."""
    deep: list[Any] = []
    for _ in range(500):
        deep = [deep]
    unreadable = '{"platform": "twitter", "id": "7002", "x": ' + "[" * 100_000 + "]" * 100_000
    lines = [json.dumps(_record(1, deep=deep)), unreadable + "}", json.dumps(_record(3))]
    result = _harvest_lines(engine, tmp_path, lines)
    assert (result.stored, result.quarantined, result.error) == (2, 1, None)
    kept, levels = _mentions(engine)["7001"].raw["deep"], 0
    while isinstance(kept, list):
        kept, levels = kept[0], levels + 1
    assert (kept, levels) == (TOO_DEEP, MAX_DEPTH - 1)
    with Session(engine) as s:
        (row,) = list_quarantined(session=s)
    assert row.reason.endswith("line 2: not readable JSON (nested too deeply)")


def test_build_mention_returns_the_record_and_its_fields_when_refused() -> None:
    fields = {
        "platform": "twitter",
        "platform_id": "1",
        "source": "s",
        "text": "x",
        "created_at": "0001-01-01T00:00:00+00:00",
    }
    built = build_mention(fields, {"id": "1", "bad": "\x00"})
    assert isinstance(built, Rejected)
    assert built.raw == {"id": "1", "bad": ""}
    assert built.fields == fields and (built.platform, built.platform_id) == ("twitter", "1")
    assert isinstance(
        build_mention({**fields, "created_at": "2026-01-01T00:00:00Z"}, {}), MentionIn
    )


def test_clean_payload_makes_any_value_storable() -> None:
    assert clean_payload({"a": (1, 2.5, None, True), 3: object}) == {
        "a": [1, 2.5, None, True],
        "3": "<class 'object'>",
    }
    assert clean_payload([float("nan"), float("inf"), -float("inf")]) == [
        "NaN",
        "Infinity",
        "-Infinity",
    ]
