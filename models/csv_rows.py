"""Rows of a CSV file, and where one csv cannot read starts.

A quote left open makes the rest of the file one field: csv then raises (a field larger
than its limit, or the end of the file inside a quote) without saying where. The
importer and the replay collector both name the line.
"""

import csv
from collections.abc import Iterator
from typing import Any


class UnreadableRow(ValueError):
    """A row csv cannot read; ``line`` is where it starts."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f'line {line}: {reason}; is a quote (") left open there?')
        self.line = line


def csv_rows(reader: "csv.DictReader[str]", *, base: int = 0) -> Iterator[dict[str, Any]]:
    """*reader*'s rows (its lines counted after line *base* of the file); a row it cannot
    read ends them with ``UnreadableRow``."""
    start = base + 1
    try:
        _ = reader.fieldnames  # the header first, where the reader reads one
        while True:
            start = base + reader.line_num + 1
            row = next(reader, None)
            if row is None:
                return
            yield row
    except csv.Error as err:
        raise UnreadableRow(start, str(err)) from None
