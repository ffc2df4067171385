"""Complaints with their mentions as JSON Lines or CSV (for archives and spreadsheets)."""

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from sqlmodel import Session, col, select

from models.bidi import strip_bidi_controls
from models.complaints import mentions_of
from models.masking import mask_personal
from models.tables import Complaint, Mention

COMPLAINT_FIELDS = (
    "id",
    "public_number",
    "category",
    "inbox",
    "status",
    "confidence",
    "routed_by",
    "kecamatan",
    "desa",
    "street",
    "created_at",
    "updated_at",
    "confidential",
)
MENTION_FIELDS = (
    "platform",
    "platform_id",
    "author_handle",
    "author_name",
    "text",
    "url",
    "created_at",
)
#: what a spreadsheet formula may start with, after any spaces; full-width forms
#: included, as some spreadsheets read them like their ASCII twins
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PAGE = 500


def complaint_records(session: Session, *, masked: bool = True) -> Iterator[dict[str, Any]]:
    """Every complaint as a plain dict with a ``mentions`` list, oldest first, paged.

    With *masked* (the default) personal data in the texts, names and place words is
    masked (``models.masking``); the original text is for ``aduan export --original``.
    """
    last_id = 0
    while True:
        stmt = (
            select(Complaint)
            .where(col(Complaint.id) > last_id)
            .order_by(col(Complaint.id))
            .limit(_PAGE)
        )
        page = list(session.exec(stmt))
        if not page:
            return
        mentions = mentions_of(session=session, complaint_ids=[c.id for c in page if c.id])
        for c in page:
            assert c.id is not None
            record = {f: _plain(getattr(c, f)) for f in COMPLAINT_FIELDS}
            record["mentions"] = [_mention(m, masked) for m in mentions[c.id]]
            yield record
            last_id = c.id


def _mention(m: Mention, masked: bool) -> dict[str, Any]:
    record = {f: _plain(getattr(m, f)) for f in MENTION_FIELDS}
    if masked:
        for field in _MASKED_FIELDS:
            record[field] = mask_personal(record[field])
    return record


#: mention fields that may carry personal data typed by people
_MASKED_FIELDS = ("text", "author_name")


def write_jsonl(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """Write one complaint per line; return how many."""
    n = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """Write one row per mention of each complaint; return how many complaints."""
    writer = csv.writer(out)
    writer.writerow(
        [f"complaint_{f}" for f in COMPLAINT_FIELDS] + [f"mention_{f}" for f in MENTION_FIELDS]
    )
    n = 0
    for record in records:
        head = [safe_cell(record[f]) for f in COMPLAINT_FIELDS]
        for mention in record["mentions"] or [dict.fromkeys(MENTION_FIELDS, "")]:
            writer.writerow(head + [safe_cell(mention[f]) for f in MENTION_FIELDS])
        n += 1
    return n


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection advice)."""
    # Bidi controls go too: one cell must not reverse the cells after it (models.bidi).
    return neutralise_formula(strip_bidi_controls("" if value is None else str(value)))


def neutralise_formula(text: str) -> str:
    """*text* with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.lstrip(" ").startswith(FORMULA_START) else text


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
