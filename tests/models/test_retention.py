"""Retention on both stores: what goes, what stays for the statistics, and resuming.

Counts before and after, statistics unchanged, a second run changing nothing, a dry
run counting exactly what a run removes, and a run interrupted after its first batch
completed by the next one.
"""

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.access_log import record_access
from models.db import session_scope
from models.retention import (
    ERASED_TEXT,
    RetentionCounts,
    RetentionPolicy,
    apply_retention,
    retention_due,
)
from models.tables import AccessLogEntry, Complaint, ComplaintMention, Correction, Mention
from models.vocab import AccessAction, MentionState
from tests.support.factories import BASE_TIME
from tests.support.personal import NIK
from tests.support.privacy import LATER, fill, personal, statistics

POLICY = RetentionPolicy(
    raw_payload=timedelta(days=30),
    not_complaint=timedelta(days=90),
    closed_author=timedelta(days=365),
    access_log=timedelta(days=730),
    batch_size=2,
)


def _due(engine: Engine, policy: RetentionPolicy = POLICY) -> RetentionCounts:
    with Session(engine) as s:
        return retention_due(session=s, policy=policy, now=LATER)


def _mentions(engine: Engine) -> list[Mention]:
    with Session(engine) as s:
        return list(s.exec(select(Mention).order_by(col(Mention.id))))


def test_each_kind_goes_and_the_statistics_stay(engine: Engine) -> None:
    w = fill(engine)
    before = statistics(engine)
    n_mentions = len(_mentions(engine))
    with Session(engine) as s:
        closed_reports = list(
            s.exec(
                select(ComplaintMention.mention_id).where(
                    ComplaintMention.complaint_id == w.closed_complaint
                )
            )
        )
    due = _due(engine)
    # Every mention's raw payload; three not-complaints; the closed complaint's report;
    # the one access-log entry.
    assert due.as_dict() == {
        "raw_payload": n_mentions,
        "not_complaint": 3,
        "closed_author": len(closed_reports),
        "access_log": 1,
    }
    done = apply_retention(engine=engine, policy=POLICY, now=LATER)
    assert done == due
    assert statistics(engine) == before  # counts, categories, places, dates
    after = {m.id: m for m in _mentions(engine)}
    assert len(after) == n_mentions  # no mention row is deleted
    for m in after.values():
        assert m.raw == {} and m.raw_purged_at == LATER
    for mid in w.not_complaints:
        m = after[mid]
        assert (m.text, m.author_handle, m.author_name, m.url) == (ERASED_TEXT, "", "", "")
        assert m.text_purged_at == LATER and m.author_purged_at == LATER
        assert m.state == MentionState.NOT_COMPLAINT and m.category == "NOT_COMPLAINT"
    for mid in closed_reports:
        m = after[mid]
        assert (m.author_handle, m.author_name, m.url) == ("", "", "")
        assert m.text != ERASED_TEXT  # the complaint's text is kept; only who wrote it goes
    # An open complaint's reporter keeps their identity.
    with Session(engine) as s:
        opened = s.get(Complaint, w.open_complaint)
        assert opened is not None
        assert after[opened.origin_mention_id].author_handle == "warga1"


def test_a_second_run_changes_nothing(engine: Engine) -> None:
    fill(engine)
    apply_retention(engine=engine, policy=POLICY, now=LATER)
    once = personal(engine)
    assert _due(engine).total == 0
    assert apply_retention(engine=engine, policy=POLICY, now=LATER).total == 0
    assert personal(engine) == once


class Stop(Exception):
    """Raised by the test's progress callback to cut a run short."""


def test_an_interrupted_run_is_completed_by_the_next(engine: Engine) -> None:
    fill(engine)
    due = _due(engine)
    seen: list[tuple[str, int]] = []

    def crash_after_first_batch(kind: str, n: int) -> None:
        seen.append((kind, n))
        raise Stop

    with pytest.raises(Stop):
        apply_retention(engine=engine, policy=POLICY, now=LATER, progress=crash_after_first_batch)
    assert seen == [("raw_payload", 2)]  # one batch of two was committed
    left = _due(engine)
    assert left.raw_payload == due.raw_payload - 2
    resumed = apply_retention(engine=engine, policy=POLICY, now=LATER)
    assert resumed.raw_payload == due.raw_payload - 2
    assert (resumed.not_complaint, resumed.closed_author) == (due.not_complaint, due.closed_author)
    assert _due(engine).total == 0


def test_nothing_goes_before_its_period(engine: Engine) -> None:
    fill(engine)
    before = personal(engine)
    soon = BASE_TIME + timedelta(days=20)
    with Session(engine) as s:
        assert retention_due(session=s, policy=POLICY, now=soon).total == 0
    assert apply_retention(engine=engine, policy=POLICY, now=soon).total == 0
    assert personal(engine) == before
    kept = RetentionPolicy(batch_size=2)  # every period null: keep everything
    assert apply_retention(engine=engine, policy=kept, now=LATER).total == 0
    assert personal(engine) == before


def test_corrections_of_purged_posts_keep_their_label_not_the_identifiers(engine: Engine) -> None:
    w = fill(engine)
    nik_post = w.not_complaints[1]
    with session_scope(engine) as s:
        m = s.get(Mention, nik_post)
        assert m is not None and NIK in m.text
        s.add(
            Correction(
                mention_id=nik_post,
                text=m.text,
                category="NOT_COMPLAINT",
                kind="triage",
                actor="op",
            )
        )
    apply_retention(engine=engine, policy=POLICY, now=LATER)
    with Session(engine) as s:
        [c] = s.exec(select(Correction).where(Correction.mention_id == nik_post)).all()
    assert c.category == "NOT_COMPLAINT" and NIK not in c.text and "[NIK]" in c.text


def test_old_access_log_entries_go_in_batches(engine: Engine) -> None:
    with session_scope(engine) as s:
        for days in (800, 760, 731, 10):
            s.add(
                AccessLogEntry(
                    at=LATER - timedelta(days=days),
                    actor="operator1",
                    action=AccessAction.VIEW_ORIGINAL,
                    target="complaint:1",
                )
            )
        fresh = record_access(
            session=s, actor="x", action=AccessAction.EXPORT_CSV, target="inbox:PDAM"
        )
        fresh.at = LATER - timedelta(days=1)
    policy = RetentionPolicy(access_log=timedelta(days=730), batch_size=2)
    assert _due(engine, policy).access_log == 3
    assert apply_retention(engine=engine, policy=policy, now=LATER).access_log == 3
    with Session(engine) as s:
        left = sorted(LATER - e.at for e in s.exec(select(AccessLogEntry)))
    assert left == [timedelta(days=1), timedelta(days=10)]
    assert apply_retention(engine=engine, policy=policy, now=LATER).access_log == 0
