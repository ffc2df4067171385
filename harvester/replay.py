"""Replays mentions from a JSON Lines or CSV file: the demo source and a test double.

Each record is one mention (platform: twitter, facebook or instagram; id,
author_handle, author_name, text, url, created_at, conversation_id, reply_to_id);
other keys are kept in the raw payload.
The cursor is the number of records already released (stored or quarantined), so each
run releases the next ``batch_size`` records and a file that grows is followed like a
log. The cursor also keeps where those records end (``byte``, ``line``), so a run seeks
there instead of reading the file from its start: a long replay costs each run its own
batch, not the whole file so far. A cursor without them (written before), or whose
byte offset is not just after a line break (a sign the file was replaced or cut), is
found by counting records from the start, as before. (A replacement file with a line
break at that very byte is read on from there: replay files are meant to grow, not to
be rewritten.) A record that cannot be read (not JSON,
invalid UTF-8, a field missing or out of range) is quarantined with the file, line and
byte offset, and the rest is released; an unfinished last line (no line break yet, not
valid JSON) waits for the next run.
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, ClassVar

from pydantic import Field, field_validator

from harvester.base import Batch, CollectorOptions, SourceSpec
from harvester.exceptions import BudgetExhausted, SourceDataError, SourceError, SourceUnavailable
from harvester.records import build_mention, clean_payload
from models.csv_rows import UnreadableRow, csv_rows
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
    except RecursionError as err:
        raise ValueError("not readable JSON (nested too deeply)") from err
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
    #: the byte offset just after the line
    end: int = 0


def _lines(handle: BinaryIO, *, offset: int = 0, after: int = 0) -> Iterator[_Line]:
    """The file's lines from where *handle* stands (byte *offset*, after line *after*),
    decoded one at a time; invalid UTF-8 is replaced and reported."""
    for number, data in enumerate(handle, start=after + 1):
        invalid = None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            text = data.decode("utf-8", errors="replace")
            invalid = f"byte offset {offset + err.start}: invalid UTF-8 ({err.reason})"
        if offset == 0 and text.startswith("\ufeff"):
            text = text[1:]  # a byte-order mark some editors write
        end = offset + len(data)
        yield _Line(number, offset, text, data.endswith(b"\n"), invalid, end)
        offset = end


@dataclass
class _Resume:
    """Where a run starts: the records released before, and where they end in the file.

    ``byte`` is None when that is unknown (a cursor written before it was kept, or one
    that no longer matches the file): the records are then counted from the start.
    ``byte`` and ``line`` move as the run releases records.
    """

    released: int
    byte: int | None
    line: int

    @classmethod
    def of(cls, cursor: dict[str, Any] | None) -> "_Resume":
        cursor = cursor or {}
        released = int(cursor.get("offset", 0))
        if released == 0:
            return cls(0, 0, 0)
        byte, line = cursor.get("byte"), cursor.get("line")
        if (
            isinstance(byte, int)
            and isinstance(line, int)
            and not isinstance(byte, bool)
            and not isinstance(line, bool)
            and byte > 0
            and line > 0
        ):
            return cls(released, byte, line)
        return cls(released, None, 0)

    def cursor(self, released: int) -> dict[str, Any]:
        """The cursor after *released* more records (byte and line when they are known)."""
        out: dict[str, Any] = {"offset": self.released + released}
        if self.byte is not None:
            out.update(byte=self.byte, line=self.line)
        return out

    def seek(self, handle: BinaryIO) -> bool:
        """Move *handle* to ``byte`` when it is just after a line break; False when not
        (then the records are counted from the start and ``byte`` is found again)."""
        if self.byte is None:
            return False
        if self.byte > 0:
            handle.seek(self.byte - 1)
            if handle.read(1) != b"\n":
                handle.seek(0)
                self.byte, self.line = None, 0
                return False
        return True


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
        resume = _Resume.of(cursor)
        limit = self.options.batch_size
        if read_budget is not None:
            limit = min(limit, read_budget)
        mentions: list[MentionIn] = []
        rejected: list[Rejected] = []
        released = 0
        stopped_early = False
        interrupted: SourceError | None = None
        if limit > 0:
            try:
                for item in self._records(resume):
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
            except SourceDataError as err:
                # What was read before it is stored; the source reports the error (and
                # stops there, run after run) until the file is mended.
                interrupted = err
        else:
            stopped_early = True
        if stopped_early and read_budget is not None and released >= read_budget:
            interrupted = BudgetExhausted(f"monthly read cap reached after {released} reads")
        return Batch(
            mentions=mentions,
            rejected=rejected,
            cursor=resume.cursor(released),
            reads=released,
            interrupted=interrupted,
        )

    def _records(self, resume: _Resume) -> Iterator["_Record | Rejected"]:
        """The file's records after those *resume* says were released (sought by byte
        offset, else counted, not parsed); *resume* follows the records yielded."""
        path = Path(self.options.path)
        try:
            handle = path.open("rb")
        except OSError as err:
            raise SourceUnavailable(f"cannot open replay file {path}: {err.strerror}") from err
        with handle:
            if path.suffix.lower() == ".csv":
                yield from self._csv_records(path, handle, resume)
            else:
                yield from self._jsonl_records(path, handle, resume)

    def _jsonl_records(
        self, path: Path, handle: BinaryIO, resume: _Resume
    ) -> Iterator["_Record | Rejected"]:
        if resume.seek(handle):
            assert resume.byte is not None
            lines, skip = _lines(handle, offset=resume.byte, after=resume.line), 0
        else:
            lines, skip = _lines(handle), resume.released
        position = 0
        for line in lines:
            if not line.text.strip():
                continue
            if position < skip:
                # Released by an earlier run: counted, not parsed again.
                position += 1
                resume.byte, resume.line = line.end, line.number
                continue
            where = f"{path}, line {line.number}"
            if not line.complete and (line.invalid is not None or not _is_json(line.text)):
                return  # still being written (perhaps mid-character): read again next run
            resume.byte, resume.line = line.end, line.number
            if line.invalid is not None:
                yield _unreadable(f"{where}, {line.invalid}", line.text)
                continue
            try:
                record = json.loads(line.text)
            except json.JSONDecodeError as err:
                yield _unreadable(f"{where}: not valid JSON ({err.msg})", line.text)
                continue
            except RecursionError:
                yield _unreadable(f"{where}: not readable JSON (nested too deeply)", line.text)
                continue
            if not isinstance(record, dict):
                yield _unreadable(f"{where}: expected a JSON object", line.text)
                continue
            yield _Record(where, record)
        if position < skip:
            resume.byte, resume.line = None, 0  # fewer records than released: not found

    def _csv_records(
        self, path: Path, handle: BinaryIO, resume: _Resume
    ) -> Iterator["_Record | Rejected"]:
        invalid: dict[int, str] = {}
        read_to = [0]  # the byte offset after the last line the reader took

        def texts(lines: Iterator[_Line]) -> Iterator[str]:
            for line in lines:
                if line.invalid is not None:
                    invalid[line.number] = line.invalid
                read_to[0] = line.end
                yield line.text

        fieldnames = None
        if resume.byte:
            # The header names the columns: read it, then seek past the released rows.
            fieldnames = next(csv.reader(texts(_lines(handle))), None)
        if fieldnames is not None and resume.seek(handle):
            assert resume.byte is not None
            lines, skip = _lines(handle, offset=resume.byte, after=resume.line), 0
            reader = csv.DictReader(texts(lines), fieldnames=fieldnames)
            base = last_line = resume.line
        else:
            handle.seek(0)
            reader = csv.DictReader(texts(_lines(handle)))
            skip, base, last_line = resume.released, 0, 1  # line 1: the header
        position = -1
        for position, row in enumerate(_rows(reader, path, base)):
            first, last_line = last_line + 1, base + reader.line_num
            resume.byte, resume.line = read_to[0], last_line
            if position < skip:
                continue
            where = f"{path}, line {first}"
            bad = [invalid[n] for n in range(first, last_line + 1) if n in invalid]
            record = {k: v for k, v in row.items() if v != "" and k is not None}
            if bad:
                yield _unreadable(f"{where}, {bad[0]}", json.dumps(record, ensure_ascii=False))
                continue
            yield _Record(where, record)
        if position + 1 < skip:
            resume.byte, resume.line = None, 0  # fewer rows than released: not found


def _rows(reader: "csv.DictReader[str]", path: Path, base: int) -> Iterator[dict[str, Any]]:
    """*reader*'s rows (its lines counted after line *base* of the file); a row it cannot
    read ends them with SourceDataError naming the line the row starts on."""
    try:
        yield from csv_rows(reader, base=base)
    except UnreadableRow as err:
        raise SourceDataError(f"{path}, {err}") from None


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (json.JSONDecodeError, RecursionError):
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
