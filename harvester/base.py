"""The contract every collector meets."""

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from harvester.exceptions import SourceError
from models.quarantine import Rejected
from models.tables import MentionIn


class CollectorOptions(BaseModel):
    """Platform options from a source's ``options`` section; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class SourceSpec:
    """What a collector is told about the source it serves."""

    name: str
    platform: str
    options: Any
    #: secret values by option name (e.g. {"bearer_token": "AAAA..."})
    secrets: dict[str, str] = field(default_factory=dict)
    #: the environment variable carrying each secret, for messages ("renew X_TOKEN")
    secret_env: dict[str, str] = field(default_factory=dict)
    #: a first run (no cursor) fetches this many days back, not the whole history
    backfill_days: int = 3


@dataclass
class Batch:
    """One run's harvest: the new mentions and the cursor that follows them.

    The cursor covers the ``rejected`` records too: they are quarantined in the
    transaction that stores the mentions, so a bad record never holds its source back.
    """

    mentions: list[MentionIn]
    cursor: dict[str, Any]
    #: records that could not become mentions (``harvester.records.build_mention``)
    rejected: list[Rejected] = field(default_factory=list)
    #: items read from the platform (counted against a monthly read budget)
    reads: int = 0
    #: set when the run stopped half-way (rate limit, budget, outage): what was
    #: fetched before is stored with the cursor that covers it, then the error is recorded
    interrupted: SourceError | None = None
    #: platform usage figures to show in the source's health (e.g. Facebook's x-app-usage)
    usage: dict[str, Any] = field(default_factory=dict)


class Collector(Protocol):
    """Fetches what is new since *cursor*; stores nothing itself.

    The runner stores the mentions and the returned cursor in one transaction, so a
    crash between fetch and commit only repeats the fetch. Records are handled one by
    one: each is built with ``harvester.records.build_mention``, and one that cannot
    be stored goes to ``Batch.rejected`` (and so to the quarantine) while the rest of
    the batch is stored and the cursor moves past it. Only a failure of the source
    itself (an error before anything was fetched, an answer that is not a list of
    records at all) fails a run.
    """

    platform: ClassVar[str]
    options_model: ClassVar[type[CollectorOptions]]

    def __init__(self, spec: SourceSpec) -> None: ...

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        """Fetch mentions newer than *cursor* (None on the first run).

        Read at most *read_budget* items (None: no cap); a collector that reaches it
        returns what it has with ``interrupted=BudgetExhausted(...)``. Errors before
        anything was fetched are raised; errors after are returned as ``interrupted``
        with a cursor that resumes without a gap.
        """
        ...
