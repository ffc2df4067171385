"""Reading a city's own labelled history (CSV, XLSX, JSONL) into training examples.

A label is either a category code or the city's own name for an agency or topic,
mapped to a code by a YAML file. A label the map does not name is never guessed: its
rows are skipped and the label is listed with its count. Empty texts and duplicates
(the same text after normalisation, within the file) are skipped and counted; control
characters and lone surrogates are removed from texts (``models.clean_text``). Personal
data (NIK, KK, phone numbers, e-mail addresses, plates, house and RT/RW numbers) is
masked with ``models.masking.mask_personal``, the function every exit of aduan uses,
before anything leaves this module, so it is never stored.
"""

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from classifier.exceptions import CorpusError
from classifier.normalize import normalize
from models.clean_text import clean_string
from models.csv_rows import UnreadableRow, csv_rows
from models.masking import mask_personal
from models.vocab import CATEGORIES

FORMATS = ("csv", "xlsx", "jsonl")


def text_key(text: str) -> str:
    """The duplicate key of a (masked) text: sha256 of its normalised form."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LabelledRow:
    """One usable row of an imported file."""

    row: int
    text: str
    category: str
    source_label: str
    key: str


@dataclass
class ReadResult:
    """What a file held: usable rows and what was skipped, by reason."""

    rows: list[LabelledRow] = field(default_factory=list)
    read: int = 0
    empty: int = 0
    duplicate: int = 0
    #: label as written -> number of rows skipped because the map does not name it
    unmapped: Counter[str] = field(default_factory=Counter)

    def counts(self) -> dict[str, Any]:
        """The counts, for the import record and the command's summary."""
        return {
            "read": self.read,
            "usable": len(self.rows),
            "empty": self.empty,
            "duplicate_in_file": self.duplicate,
            "unmapped": sum(self.unmapped.values()),
            "unmapped_labels": dict(self.unmapped.most_common()),
        }


def load_label_map(path: Path) -> dict[str, str | None]:
    """A YAML map from the city's label names to category codes.

    Either ``{name: CODE}`` (a null value means "not training data, skip") or
    ``{CODE: [name, ...]}``, optionally under a top-level ``labels:``/``map:`` key.
    Names are matched ignoring case and surrounding spaces. A code that is not a
    category is an error naming the file and the entry.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"{path}: cannot read the label map ({exc})") from None
    if isinstance(data, dict) and len(data) == 1:
        ((only_key, inner),) = data.items()
        if str(only_key).lower() in ("labels", "map", "mapping") and isinstance(inner, dict):
            data = inner
    if not isinstance(data, dict) or not data:
        raise CorpusError(f"{path}: the label map must be a YAML mapping of labels to categories")
    out: dict[str, str | None] = {}
    inverse = all(str(k) in CATEGORIES for k in data) and all(
        isinstance(v, list) for v in data.values()
    )
    if inverse:
        for code, names in data.items():
            for name in names:
                out[_label_key(str(name))] = str(code)
        return out
    for name, code in data.items():
        if code is not None and str(code) not in CATEGORIES:
            raise CorpusError(
                f"{path}: {name!r}: {code!r} is not a category "
                f"(one of {', '.join(CATEGORIES)}, or null to skip)"
            )
        out[_label_key(str(name))] = None if code is None else str(code)
    return out


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def detect_format(path: Path) -> str:
    """The file's format from its suffix: csv, xlsx or jsonl."""
    suffix = path.suffix.lower().lstrip(".")
    fmt = {"json": "jsonl", "ndjson": "jsonl", "tsv": "csv", "xlsm": "xlsx"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise CorpusError(f"{path}: unknown file type {path.suffix!r}; use .csv, .xlsx or .jsonl")
    return fmt


def read_labelled(
    path: Path,
    *,
    text_column: str = "text",
    label_column: str = "label",
    label_map: dict[str, str | None] | None = None,
    sheet: str | None = None,
) -> ReadResult:
    """Read *path* into masked, mapped, de-duplicated rows (see the module docstring)."""
    result = ReadResult()
    seen: set[str] = set()
    for row_no, record in _records(path, sheet):
        if text_column not in record or label_column not in record:
            missing = [c for c in (text_column, label_column) if c not in record]
            raise CorpusError(
                f"{path}, row {row_no}: no column {', '.join(map(repr, missing))}; "
                f"columns are {', '.join(map(repr, record))}"
            )
        result.read += 1
        raw_text, raw_label = record[text_column], record[label_column]
        # what the stores can hold: no NUL (PostgreSQL), no half surrogate pair (UTF-8)
        text = "" if raw_text is None else clean_string(str(raw_text)).strip()
        label = "" if raw_label is None else clean_string(str(raw_label)).strip()
        if not text:
            result.empty += 1
            continue
        category = _category(label, label_map)
        if category is None:
            result.unmapped[label or "(kosong)"] += 1
            continue
        masked = mask_personal(text)
        key = text_key(masked)
        if key in seen:
            result.duplicate += 1
            continue
        seen.add(key)
        result.rows.append(LabelledRow(row_no, masked, category, label, key))
    return result


def _category(label: str, label_map: dict[str, str | None] | None) -> str | None:
    if label_map is not None:
        return label_map.get(_label_key(label))
    return label if label in CATEGORIES else None


def _records(path: Path, sheet: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    fmt = detect_format(path)
    if not path.is_file():
        raise CorpusError(f"{path}: no such file")
    if fmt == "csv":
        yield from _csv_records(path)
    elif fmt == "xlsx":
        yield from _xlsx_records(path, sheet)
    else:
        yield from _jsonl_records(path)


def _text(path: Path) -> str:
    """The file as text: UTF-8 (a byte order mark allowed); anything else is named."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CorpusError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the "
            f"file as UTF-8 (in Excel: CSV UTF-8) and import it again"
        ) from None


def _csv_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    handle = io.StringIO(_text(path), newline="")
    sample = handle.read(16384)
    handle.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(handle, dialect=dialect)
    if not reader.fieldnames:
        raise CorpusError(f"{path}: the file is empty (no header row)")
    try:
        for record in csv_rows(reader):
            # the header is line 1; a quoted text may span lines, so count records
            yield reader.line_num, {k.strip(): v for k, v in record.items() if k is not None}
    except UnreadableRow as exc:
        raise CorpusError(f"{path}, {exc}") from None


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    # lines as a file read as text splits them (not str.splitlines: U+2028 may be in a string)
    for line_no, line in enumerate(io.StringIO(_text(path), newline=None), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}, line {line_no}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise CorpusError(f"{path}, line {line_no}: JSON nested too deeply") from None
        if not isinstance(record, dict):
            raise CorpusError(f"{path}, line {line_no}: expected a JSON object")
        yield line_no, record


def _xlsx_records(path: Path, sheet: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise CorpusError(f"{path}: cannot read as an XLSX workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise CorpusError(
                f"{path}: no sheet {sheet!r}; sheets are {', '.join(book.sheetnames)}"
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise CorpusError(f"{path}: the sheet {ws.title!r} is empty (no header row)")
        names = ["" if h is None else str(h).strip() for h in header]
        for row_no, values in enumerate(rows, start=2):
            if values is None or all(v is None for v in values):
                continue
            yield row_no, dict(zip(names, values, strict=False))
    finally:
        book.close()
