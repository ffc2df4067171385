"""Replays mentions from a JSON Lines or CSV file: the demo source and a test double.

Each record is one mention (platform: twitter, facebook or instagram; id,
author_handle, author_name, text, url, created_at, conversation_id, reply_to_id);
other keys are kept in the raw payload.
The cursor is the number of records already released, so each run releases the next
``batch_size`` records and a file that grows is followed like a log.
"""

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harvester.base import Batch, CollectorOptions, SourceSpec
from harvester.exceptions import BudgetExhausted, SourceDataError, SourceUnavailable
from harvester.text import clean_text
from models.tables import MentionIn
from models.vocab import PLATFORMS


class ReplayOptions(CollectorOptions):
    """Options of a replay source."""

    path: str
    batch_size: Annotated[int, Field(ge=0)] = 0
    """Records released per run; 0 releases everything new."""


class ReplayRecord(BaseModel):
    """One record of a replay file."""

    model_config = ConfigDict(extra="allow")

    platform: str
    id: str = Field(min_length=1, max_length=100)
    author_handle: str = ""
    author_name: str = ""
    text: str
    url: str = ""
    created_at: datetime
    conversation_id: str | None = None
    reply_to_id: str | None = None

    @field_validator("id", "conversation_id", "reply_to_id", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if value not in PLATFORMS:
            raise ValueError(f"unknown platform {value[:40]!r}; known: {', '.join(PLATFORMS)}")
        return value

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-11-20T08:15:00+08:00")
        return value


class ReplayCollector:
    """Releases the records of a file a batch at a time."""

    platform: ClassVar[str] = "replay"
    options_model: ClassVar[type[CollectorOptions]] = ReplayOptions

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.options: ReplayOptions = spec.options

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        """Release the records after the cursor's offset."""
        offset = int((cursor or {}).get("offset", 0))
        limits = [n for n in (self.options.batch_size or None, read_budget) if n is not None]
        limit = min(limits) if limits else None
        mentions: list[MentionIn] = []
        stopped_early = False
        for position, line_no, record in self._records(skip=offset):
            if position < offset:
                continue
            if limit is not None and len(mentions) >= limit:
                stopped_early = True
                break
            mentions.append(self._to_mention(record, line_no))
        interrupted = None
        if stopped_early and read_budget is not None and len(mentions) >= read_budget:
            interrupted = BudgetExhausted(f"monthly read cap reached after {len(mentions)} reads")
        return Batch(
            mentions=mentions,
            cursor={"offset": offset + len(mentions)},
            reads=len(mentions),
            interrupted=interrupted,
        )

    def _records(self, skip: int = 0) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(position, line number, record) from the file; the first *skip* are not parsed."""
        path = Path(self.options.path)
        try:
            handle = path.open(encoding="utf-8", newline="")
        except OSError as err:
            raise SourceUnavailable(f"cannot open replay file {path}: {err.strerror}") from err
        with handle:
            if path.suffix.lower() == ".csv":
                reader = csv.DictReader(handle)
                for position, row in enumerate(reader):
                    yield position, reader.line_num, {k: v for k, v in row.items() if v != ""}
                return
            position = 0
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                if position < skip:
                    # Released by an earlier run: counted, not parsed again.
                    position += 1
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise SourceDataError(
                        f"{path}, line {line_no}: not valid JSON ({err.msg})"
                    ) from err
                if not isinstance(record, dict):
                    raise SourceDataError(f"{path}, line {line_no}: expected a JSON object")
                yield position, line_no, record
                position += 1

    def _to_mention(self, record: dict[str, Any], line_no: int) -> MentionIn:
        try:
            r = ReplayRecord.model_validate(record)
        except ValidationError as err:
            first = err.errors()[0]
            key = ".".join(str(p) for p in first["loc"]) or "record"
            raise SourceDataError(
                f"{self.options.path}, line {line_no}: {key}: {first['msg']}"
            ) from err
        return MentionIn(
            platform=r.platform,
            platform_id=r.id,
            source=self.spec.name,
            author_handle=r.author_handle,
            author_name=r.author_name,
            text=clean_text(r.text),
            url=r.url,
            created_at=r.created_at,
            conversation_id=r.conversation_id,
            reply_to_id=r.reply_to_id,
            raw=record,
        )
