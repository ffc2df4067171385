"""An inbox's complaints as CSV for spreadsheets, safe against formula injection.

Personal data in the posts and names is masked (``models.masking``): a spreadsheet
leaves aduan and is mailed, printed and kept, so the file never carries a NIK, phone
number, e-mail address, plate or house number. Every export is recorded in the access
log with its filters and row count.

Text in the cells comes from social media. A spreadsheet runs a cell starting with
``=``, ``+``, ``-`` or ``@`` (and, in some programs, tab or carriage return) as a
formula, so such cells get a leading ``'`` (OWASP's advice on CSV injection). Bidi
controls are removed (``models.bidi``): one cell cannot reverse the cells after it.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from inbox.filters import safe_url
from models.bidi import strip_bidi_controls
from models.export import neutralise_formula
from models.masking import mask_personal
from models.tables import Complaint, Mention
from models.wita import WITA

#: the byte-order mark, so Excel opens the file as UTF-8
BOM = "\ufeff"

COLUMNS = (
    "id",
    "nomor",
    "dibuat_wita",
    "status",
    "kategori",
    "keyakinan",
    "inbox",
    "kecamatan",
    "desa",
    "jalan",
    "di_luar_kota",
    "pelapor",
    "tenggat_respon_wita",
    "tenggat_tindak_lanjut_wita",
    "terlambat",
    "platform",
    "penulis",
    "akun",
    "teks",
    "tautan",
)


def safe_cell(value: Any) -> str:
    """*value* as CSV cell text a spreadsheet will show, never run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "ya" if value else "tidak"
    elif isinstance(value, datetime):
        text = value.astimezone(WITA).strftime("%Y-%m-%d %H:%M")
    else:
        text = str(value)
    return neutralise_formula(strip_bidi_controls(text))


def complaint_row(complaint: Complaint, mention: Mention | None, overdue: str | None) -> list[str]:
    """One complaint's cells in COLUMNS order; *mention* is its first report."""
    confidence = None if complaint.confidence is None else f"{complaint.confidence:.2f}"
    outside = None if complaint.inside_city is None else not complaint.inside_city
    cells: list[Any] = [
        complaint.id,
        complaint.public_number,
        complaint.created_at,
        complaint.status,
        complaint.category,
        confidence,
        complaint.inbox,
        complaint.kecamatan,
        complaint.desa,
        complaint.street,
        outside,
        complaint.reporters,
        complaint.respond_by,
        complaint.follow_up_by,
        overdue,
    ]
    if mention is None:
        cells += [None] * 5
    else:
        cells += [
            mention.platform,
            mask_personal(mention.author_name),
            mention.author_handle,
            mask_personal(mention.text),
            safe_url(mention.url),
        ]
    return [safe_cell(c) for c in cells]


def csv_chunks(rows: Iterable[list[list[str]]]) -> Iterator[str]:
    """The CSV text: BOM and header first, then one chunk per batch of rows."""
    yield BOM + _encode([list(COLUMNS)])
    for batch in rows:
        yield _encode(batch)


def _encode(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()
