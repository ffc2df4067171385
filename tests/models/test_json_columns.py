"""The store's JSON columns: written by orjson, with the standard library for what it refuses."""

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from models.db import dump_json, session_scope
from models.mentions import insert_mentions
from models.tables import Mention
from tests.support.factories import mention


@dataclass
class Place:
    desa: str


PAYLOAD = {
    "id": "1001",
    "text": "air mati lagi 😩 di Jl. Tukad Balian",
    "nested": {"likes": 3, "ratio": 0.25, "flags": [True, False, None]},
}


def test_dump_json_writes_the_same_value_with_non_ascii_kept() -> None:
    written = dump_json(PAYLOAD)
    assert json.loads(written) == PAYLOAD
    assert "😩" in written  # orjson keeps it; json.dumps would have written \ud83d\ude29
    assert written != json.dumps(PAYLOAD)


def test_dump_json_falls_back_for_what_orjson_refuses() -> None:
    big = {"id": 2**70}  # beyond 64 bits
    assert dump_json(big) == json.dumps(big)
    keyed = {1: "satu"}  # a key that is not a string
    assert json.loads(dump_json(keyed)) == {"1": "satu"}
    lone = {"text": "rusak \ud800"}  # a lone surrogate
    assert dump_json(lone) == json.dumps(lone)


def test_raw_payloads_round_trip_through_the_store(engine: Engine) -> None:
    payloads = [PAYLOAD, {"id": "1002", "big": 2**70}]
    with session_scope(engine) as s:
        stored = [mention(n, raw=raw) for n, raw in enumerate(payloads, start=1)]
        assert insert_mentions(session=s, mentions=stored) == 2
    with session_scope(engine) as s:
        got = {m.platform_id: m.raw for m in s.exec(select(Mention))}
        assert got == {"1001": PAYLOAD, "1002": {"id": "1002", "big": 2**70}}
        kept = (
            s.connection()
            .execute(text("SELECT raw FROM mention WHERE platform_id = '1001'"))
            .scalar_one()
        )
    if engine.dialect.name == "sqlite":
        # the column holds orjson's text: the emoji as it is, no \u escapes, no spaces
        assert kept == dump_json(PAYLOAD)
        assert "😩" in kept


def test_dump_json_refuses_what_json_refused() -> None:
    # a datetime or a dataclass would come back from the store as something else
    with pytest.raises(TypeError):
        dump_json({"at": datetime(2026, 12, 4, tzinfo=UTC)})
    with pytest.raises(TypeError):
        dump_json({"where": Place("Sesetan")})


def test_dump_json_writes_nan_as_null() -> None:
    # json.dumps wrote NaN, which is not JSON: PostgreSQL refused it
    assert json.loads(dump_json({"usage": math.nan, "cap": math.inf})) == {
        "usage": None,
        "cap": None,
    }
