"""Retrying quarantined records: check each again, store it, or keep it with the new reason."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from harvester.records import build_mention
from harvester.replay import fields_from_line
from harvester.runner import refused_by_store
from models.db import session_scope
from models.mentions import insert_mentions
from models.quarantine import list_quarantined, release, still_bad
from models.tables import MentionIn, QuarantinedRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryResult:
    """What a retry did: records stored, already stored before, and still refused."""

    stored: int = 0
    already_stored: int = 0
    still_bad: int = 0


def retry_quarantined(
    *, engine: Engine, ids: Sequence[int] | None = None, source: str | None = None
) -> RetryResult:
    """Check the chosen quarantined records again (all when neither is given).

    Each record is retried in its own transaction: one that now passes is stored as a
    mention and leaves the quarantine; one still refused stays, with the new reason,
    the time and one more retry counted.
    """
    with session_scope(engine) as session:
        chosen = [
            r.id
            for r in list_quarantined(session=session, source=source, ids=ids)
            if r.id is not None
        ]
    stored = already = bad = 0
    for record_id in chosen:
        outcome = _retry_one(engine, record_id)
        if outcome == "stored":
            stored += 1
        elif outcome == "already":
            already += 1
        elif outcome == "bad":
            bad += 1
    return RetryResult(stored=stored, already_stored=already, still_bad=bad)


def _rebuild(record: QuarantinedRecord) -> MentionIn | str:
    """The mention *record* now makes, or why it still cannot be stored."""
    fields = dict(record.fields)
    if not fields and isinstance(record.raw.get("line"), str):
        # A replay line that could not be read as a record: read it again.
        try:
            fields = fields_from_line(record.raw["line"], source=record.source)
        except ValueError as err:
            return str(err)
    fields["source"] = record.source
    built = build_mention(fields, record.raw)
    if isinstance(built, MentionIn):
        return built
    return built.reason


class _Refused(Exception):
    """The store refused the rebuilt mention; the transaction is rolled back."""


def _retry_one(engine: Engine, record_id: int) -> str:
    try:
        with session_scope(engine) as session:
            record = session.get(QuarantinedRecord, record_id)
            if record is None:
                return "gone"  # retried by someone else meanwhile
            built = _rebuild(record)
            if isinstance(built, str):
                still_bad(session=session, record=record, reason=built)
                return "bad"
            try:
                new = insert_mentions(session=session, mentions=[built])
            except Exception as err:
                if not refused_by_store(err):
                    raise
                raise _Refused(f"refused by the store: {type(err).__name__}") from err
            release(session=session, record=record)
            log.info("quarantined record %d of %s stored", record_id, record.source)
            return "stored" if new else "already"
    except _Refused as refused:
        # The refused insert spoilt that transaction: record the outcome in a new one.
        with session_scope(engine) as session:
            record = session.get(QuarantinedRecord, record_id)
            if record is not None:
                still_bad(session=session, record=record, reason=str(refused))
        return "bad"
