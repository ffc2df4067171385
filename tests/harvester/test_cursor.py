"""The resume pieces the collectors share: marks, read budgets and the time parser."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from harvester.cursor import Mark, ReadBudget, parse_time
from harvester.exceptions import BudgetExhausted

AT = datetime(2026, 11, 20, 1, 2, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "later"),
    [(AT, AT + timedelta(seconds=1)), (1795136523, 1795136524)],
    ids=["datetime", "unix seconds"],
)
def test_a_mark_covers_what_is_older_or_returned_at_its_time(at: Any, later: Any) -> None:
    mark = Mark(at, frozenset({"a"}))
    assert mark.covers(at, "a") and not mark.covers(at, "b")
    assert not mark.covers(later, "a")
    assert mark.after(at, "b") == Mark(at, frozenset({"a", "b"}))
    assert mark.after(later, "c") == Mark(later, frozenset({"c"}))
    assert mark.plus(["x", "y"]) == Mark(at, frozenset({"a", "x", "y"}))
    # Nothing older moves it.
    assert mark.after(later, "c").after(at, "d") == Mark(later, frozenset({"c"}))


def test_a_budget_counts_reads_and_refuses_the_one_past_the_cap() -> None:
    budget = ReadBudget(3, "Facebook")
    budget.count(2)
    assert budget.left == 1
    budget.spend()
    with pytest.raises(BudgetExhausted, match="after 3 Facebook reads in this run"):
        budget.spend()
    assert (budget.reads, budget.left) == (3, 0)
    free = ReadBudget(None, "X")
    free.count(10_000)
    free.check()
    assert free.left is None


def test_one_time_parser_for_platform_and_cursor_times() -> None:
    assert parse_time("2026-11-20T01:02:03+0000") == AT  # Graph
    assert parse_time("2026-11-20T01:02:03.000Z") == AT  # X
    assert parse_time("2026-11-20T09:02:03+08:00") == AT  # our cursors, any offset
    assert parse_time("2026-11-20T09:02:03+08:00").tzinfo is UTC  # type: ignore[union-attr]
    assert parse_time(AT.astimezone(timezone(timedelta(hours=8))).isoformat()) == AT
    # A time without an offset: UTC only where the caller says so.
    assert parse_time("2026-11-20T01:02:03") is None
    assert parse_time("2026-11-20T01:02:03", naive_is_utc=True) == AT
    for bad in ("yesterday", "", None, 1795136523, "2026-13-01T00:00:00Z"):
        assert parse_time(bad) is None
