"""Replays mentions from a JSON Lines or CSV file: the demo source and a test double.

Each record is one mention (platform: twitter, facebook or instagram; id,
author_handle, author_name, text, url, created_at, conversation_id, reply_to_id);
other keys are kept in the raw payload.
The cursor is the number of records already released (stored or quarantined), so each
run releases the next ``batch_size`` records and a file that grows is followed like a
log. A record that cannot be read (not JSON, invalid UTF-8, a field missing or out of
range) is quarantined with the file, line and byte offset, and the rest is released;
an unfinished last line (no line break yet, not valid JSON) waits for the next run.
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, ClassVar

from pydantic import Field, field_validator

from harvester.base import Batch, CollectorOptions, SourceSpec
from harvester.exceptions import BudgetExhausted, SourceUnavailable
from harvester.records import build_mention, clean_payload
from models.quarantine import Rejected
from models.tables import MentionIn


class ReplayOptions(CollectorOptions):
    """Options of a replay source."""

    path: str
    batch_size: Annotated[int, Field(ge=1, le=100_000)] = 500
    """Records released per run (1 to 100,000): a run stores them in one transaction."""

    @field_validator("batch_size", mode="before")
    @classmethod
    def _not_zero(cls, value: Any) -> Any:
        if value == 0:
            raise ValueError(
                "batch_size 0 is no longer allowed (it released the whole file in one "
                "transaction); give the records per run, e.g. batch_size: 500"
            )
        return value


#: the replay record's keys and the mention fields they fill
_FIELDS = {
    "platform": "platform",
    "id": "platform_id",
    "author_handle": "author_handle",
    "author_name": "author_name",
    "text": "text",
    "url": "url",
    "created_at": "created_at",
    "conversation_id": "conversation_id",
    "reply_to_id": "reply_to_id",
}


def fields_from_record(record: dict[str, Any], *, source: str) -> dict[str, Any]:
    """The mention fields of one replay record (checked later by ``build_mention``)."""
    fields: dict[str, Any] = {"source": source}
    for key, name in _FIELDS.items():
        if key in record and record[key] is not None:
            fields[name] = record[key]
    return fields


def fields_from_line(line: str, *, source: str) -> dict[str, Any]:
    """The mention fields of one JSON Lines line; ValueError says why there are none."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg})") from err
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    return fields_from_record(record, source=source)


@dataclass
class _Line:
    """One line of the file: its number, byte offset, text, and what is wrong with it."""

    number: int
    offset: int
    text: str
    complete: bool
    #: "byte offset N: invalid UTF-8 (...)" when the bytes were not UTF-8
    invalid: str | None = None


def _lines(handle: BinaryIO) -> Iterator[_Line]:
    """The file's lines, decoded one at a time; invalid UTF-8 is replaced and reported."""
    offset = 0
    for number, data in enumerate(handle, start=1):
        invalid = None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            text = data.decode("utf-8", errors="replace")
            invalid = f"byte offset {offset + err.start}: invalid UTF-8 ({err.reason})"
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]  # a byte-order mark some editors write
        yield _Line(number, offset, text, data.endswith(b"\n"), invalid)
        offset += len(data)


class ReplayCollector:
    """Releases the records of a file a batch at a time."""

    platform: ClassVar[str] = "replay"
    options_model: ClassVar[type[CollectorOptions]] = ReplayOptions

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        self.options: ReplayOptions = spec.options

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        """Release up to ``batch_size`` records after the cursor's offset.

        Reading stops at the limit, before the next record is even read, so a bad
        record after it cannot touch this batch.
        """
        offset = int((cursor or {}).get("offset", 0))
        limit = self.options.batch_size
        if read_budget is not None:
            limit = min(limit, read_budget)
        mentions: list[MentionIn] = []
        rejected: list[Rejected] = []
        released = 0
        stopped_early = False
        if limit > 0:
            for item in self._records(skip=offset):
                if isinstance(item, Rejected):
                    rejected.append(item)
                else:
                    built = build_mention(
                        fields_from_record(item.record, source=self.spec.name), item.record
                    )
                    if isinstance(built, MentionIn):
                        mentions.append(built)
                    else:
                        rejected.append(_located(built, item.where))
                released += 1
                if released >= limit:
                    stopped_early = True
                    break
        else:
            stopped_early = True
        interrupted = None
        if stopped_early and read_budget is not None and released >= read_budget:
            interrupted = BudgetExhausted(f"monthly read cap reached after {released} reads")
        return Batch(
            mentions=mentions,
            rejected=rejected,
            cursor={"offset": offset + released},
            reads=released,
            interrupted=interrupted,
        )

    def _records(self, skip: int = 0) -> Iterator["_Record | Rejected"]:
        """The file's records after the first *skip* (which are counted, not parsed)."""
        path = Path(self.options.path)
        try:
            handle = path.open("rb")
        except OSError as err:
            raise SourceUnavailable(f"cannot open replay file {path}: {err.strerror}") from err
        with handle:
            if path.suffix.lower() == ".csv":
                yield from self._csv_records(path, handle, skip)
            else:
                yield from self._jsonl_records(path, handle, skip)

    def _jsonl_records(
        self, path: Path, handle: BinaryIO, skip: int
    ) -> Iterator["_Record | Rejected"]:
        position = 0
        for line in _lines(handle):
            if not line.text.strip():
                continue
            if position < skip:
                # Released by an earlier run: counted, not parsed again.
                position += 1
                continue
            where = f"{path}, line {line.number}"
            if not line.complete and (line.invalid is not None or not _is_json(line.text)):
                return  # still being written (perhaps mid-character): read again next run
            if line.invalid is not None:
                position += 1
                yield _unreadable(f"{where}, {line.invalid}", line.text)
                continue
            try:
                record = json.loads(line.text)
            except json.JSONDecodeError as err:
                position += 1
                yield _unreadable(f"{where}: not valid JSON ({err.msg})", line.text)
                continue
            position += 1
            if not isinstance(record, dict):
                yield _unreadable(f"{where}: expected a JSON object", line.text)
                continue
            yield _Record(where, record)

    def _csv_records(
        self, path: Path, handle: BinaryIO, skip: int
    ) -> Iterator["_Record | Rejected"]:
        invalid: dict[int, str] = {}

        def texts() -> Iterator[str]:
            for line in _lines(handle):
                if line.invalid is not None:
                    invalid[line.number] = line.invalid
                yield line.text

        reader = csv.DictReader(texts())
        last_line = 1  # the header
        for position, row in enumerate(reader):
            first, last_line = last_line + 1, reader.line_num
            if position < skip:
                continue
            where = f"{path}, line {first}"
            bad = [invalid[n] for n in range(first, last_line + 1) if n in invalid]
            record = {k: v for k, v in row.items() if v != "" and k is not None}
            if bad:
                yield _unreadable(f"{where}, {bad[0]}", json.dumps(record, ensure_ascii=False))
                continue
            yield _Record(where, record)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


@dataclass(frozen=True)
class _Record:
    """A record read from the file, and where (file and line) for messages."""

    where: str
    record: dict[str, Any]


def _unreadable(reason: str, line: str) -> Rejected:
    return Rejected(reason=reason, raw={"line": clean_payload(line)})


def _located(rejected: Rejected, where: str) -> Rejected:
    return Rejected(
        reason=f"{where}: {rejected.reason}",
        fields=rejected.fields,
        raw=rejected.raw,
        platform=rejected.platform,
        platform_id=rejected.platform_id,
    )
