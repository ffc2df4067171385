"""One collected record to one mention, or to the quarantine: the per-record contract.

Every collector builds its mentions with ``build_mention``. A record that cannot be
stored (a missing or malformed field, an id too long to keep, a date out of range) is
returned as a ``Rejected`` with its reason, so the runner quarantines it and stores the
rest of the batch; nothing about one record can fail its batch.

What is cleaned rather than refused, because nothing is lost (the raw payload keeps the
original): NUL and other control characters in every string and in the raw payload
(PostgreSQL refuses ``\\u0000``), lone surrogates (not encodable in UTF-8), NaN and
the infinities in the payload (spelled as strings: JSON has no such numbers), a part
of the payload nested absurdly deep (cut, marked ``TOO_DEEP``), and an over-long
author handle, author name or link, cut to its column with ``TRUNCATED``.
Ids are never cut: a cut id could name another post and be merged with it.
"""

import json
import math
import unicodedata
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from models.clean_text import clean_string
from models.exceptions import InvalidMention
from models.mentions import check_mention
from models.quarantine import Rejected
from models.tables import MentionBase, MentionIn

#: ends a value cut to fit its column
TRUNCATED = "…"

#: fields cut to their column's length when longer (their whole value stays in ``raw``)
TRUNCATABLE = ("author_handle", "author_name", "url")

#: ids and names whose every character matters: a record with one too long is refused
_IDS = ("platform", "platform_id", "source", "conversation_id", "reply_to_id")

#: how deep a payload's objects and arrays may nest: a platform's nest a few levels, a
#: hostile one could nest until cleaning it (recursively) failed the whole batch
MAX_DEPTH = 64
#: what stands for a part of a payload nested deeper than ``MAX_DEPTH``
TOO_DEEP = f"{TRUNCATED} (nested deeper than {MAX_DEPTH} levels)"

#: the dates a post can have: before 2000 or from 2100 on, the record is broken
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _limits() -> dict[str, int]:
    out: dict[str, int] = {}
    for name, info in MentionBase.model_fields.items():
        for meta in info.metadata:
            limit = getattr(meta, "max_length", None)
            if isinstance(limit, int):
                out[name] = limit
    return out


#: the longest value each mention field may have, from the table's columns
LIMITS: dict[str, int] = _limits()


def clean_payload(value: Any, _depth: int = 0) -> Any:
    """A JSON-like *value* with every string (keys too) cleaned; other leaves stringified
    unless JSON has them, so the payload can always be stored.

    NaN and the infinities, which Python's JSON reader accepts but JSON (and PostgreSQL's
    JSONB) does not, become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; an
    object or array nested deeper than ``MAX_DEPTH`` becomes ``TOO_DEEP``.
    """
    if isinstance(value, str):
        return clean_string(value)
    if _depth >= MAX_DEPTH and isinstance(value, dict | list | tuple):
        return TOO_DEEP
    if isinstance(value, dict):
        return {clean_string(str(k)): clean_payload(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_payload(v, _depth + 1) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else json.dumps(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return clean_string(str(value))


def truncate(value: str, limit: int) -> str:
    """*value* cut to *limit* characters, ending with ``TRUNCATED`` when it was cut."""
    if len(value) <= limit:
        return value
    return value[: limit - len(TRUNCATED)] + TRUNCATED


def build_mention(fields: dict[str, Any], raw: Any) -> MentionIn | Rejected:
    """The mention *fields* describe, cleaned and checked, or why it cannot be stored.

    *fields* are the keyword arguments of ``MentionIn`` (``created_at`` a datetime or an
    ISO string with a UTC offset); *raw* is the platform's payload, kept with it.
    """
    payload = clean_payload(raw)
    if not isinstance(payload, dict):
        payload = {"value": payload}
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, int) and not isinstance(value, bool) and name in _IDS:
            value = str(value)
        if isinstance(value, str):
            one_line = name != "text"
            value = clean_string(value, multiline=not one_line)
            if name == "text":
                value = unicodedata.normalize("NFC", value)
            if name in TRUNCATABLE:
                value = truncate(value, LIMITS[name])
        values[name] = value
    platform = values.get("platform")
    platform_id = values.get("platform_id")

    def rejected(reason: str) -> Rejected:
        return Rejected(
            reason=reason,
            fields=clean_payload(values),
            raw=payload,
            platform=platform if isinstance(platform, str) else "",
            platform_id=platform_id if isinstance(platform_id, str) else "",
        )

    try:
        mention = MentionIn.model_validate({**values, "raw": payload})
    except ValidationError as err:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in err.errors()
        ]
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        return rejected("; ".join(problems[:3]) + more)
    problem = _date_problem(mention.created_at)
    if problem:
        return rejected(f"created_at: {problem}")
    try:
        check_mention(mention)
    except InvalidMention as err:
        return rejected(f"platform: {err}")
    return mention


def _date_problem(at: datetime) -> str | None:
    if at.tzinfo is None or at.utcoffset() is None:
        return "needs a UTC offset, e.g. 2026-11-20T08:15:00+08:00"
    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        return f"{at.isoformat()} is out of range"
    if not EARLIEST <= utc < LATEST:
        return f"{at.isoformat()} is out of range ({EARLIEST.year} to {LATEST.year - 1})"
    return None
