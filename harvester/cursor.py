"""Where a collector resumes, in the pieces the platforms share: marks, read budgets, times.

A *mark* says how far a stream has been read: the time of the newest item returned and
the ids returned at exactly that time. Platforms give times in whole seconds, so
several items can share one; the ids tell which of them were returned already. An item
is *covered* by a mark when it is older than the mark, or at its time and among its
ids. Facebook keeps a mark per stream (times as datetimes) and Instagram too (times as
Unix seconds, as its API gives them); X resumes from post ids instead, which are
ordered by themselves (see ``harvester.twitter``). What each platform adds around its
marks (Facebook's unread backlog window, Instagram's already-returned hole, X's
sweeps) stays in its module.

A *read budget* counts the items a run reads against the source's monthly cap.
``parse_time`` is the one parser of the ISO 8601 times platforms and cursors carry.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from harvester.exceptions import BudgetExhausted

#: a mark's time: an aware datetime, or Unix seconds
T = TypeVar("T", datetime, int)


@dataclass(frozen=True)
class Mark(Generic[T]):
    """The newest time a stream has returned, and the ids returned at that time."""

    at: T
    ids: frozenset[str] = frozenset()

    def covers(self, at: T, item_id: str) -> bool:
        """Whether the item was returned before (or is older than the mark)."""
        return at < self.at or (at == self.at and item_id in self.ids)

    def after(self, at: T, item_id: str) -> "Mark[T]":
        """The mark once the item is returned too."""
        if at > self.at:
            return Mark(at, frozenset({item_id}))
        if at == self.at:
            return Mark(at, self.ids | {item_id})
        return self

    def plus(self, ids: Iterable[str]) -> "Mark[T]":
        """The same time, with *ids* also counted as returned (items read out of order)."""
        return Mark(self.at, self.ids | frozenset(ids))


class ReadBudget:
    """The items a run may still read under the source's monthly cap (None: no cap)."""

    def __init__(self, limit: int | None, platform: str) -> None:
        self.limit = limit
        self.platform = platform
        #: items read so far in this run
        self.reads = 0

    @property
    def left(self) -> int | None:
        """Items that may still be read, or None without a cap."""
        return None if self.limit is None else self.limit - self.reads

    def check(self) -> None:
        """Raise BudgetExhausted when no further item may be read."""
        if self.limit is not None and self.reads >= self.limit:
            raise BudgetExhausted(
                f"monthly read cap reached after {self.reads} {self.platform} reads in this "
                "run; reading resumes next month"
            )

    def count(self, n: int = 1) -> None:
        """Record that *n* items were read."""
        self.reads += n

    def spend(self) -> None:
        """Take one item from the budget: BudgetExhausted when none is left."""
        self.check()
        self.count()


def parse_time(value: Any, *, naive_is_utc: bool = False) -> datetime | None:
    """An ISO 8601 time (``2026-11-20T01:02:03+0000``, ``...Z``) as an aware UTC datetime.

    None when *value* is not such a text. A time without an offset is taken as UTC
    when *naive_is_utc* (X sends some that way), else refused (None): a cursor or a
    Graph time without an offset is not one of ours.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC) if naive_is_utc else None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None  # e.g. 0001-01-01T00:00:00+08:00, before the first UTC datetime
