"""A mention routing cannot handle: set aside in triage with the reason, so the rest flow.

Routing takes the oldest pending mentions first, so a mention whose routing raises (a
bug that some text sets off, a value the store refuses) would fail its batch at every
run and hold back every mention after it. ``router.route.route_pending`` routes such a
batch again one mention at a time; a mention that still fails alone is set aside here:
in triage, where a person decides it, with the reason shown, and the error logged. A
store that fails (unreachable, full, read-only, busy) still fails the pass: setting
every mention aside would hide an outage.

Nor is a failure that every mention meets set aside (a bug or a broken model file on
the path every mention takes): when the mentions of a failed batch fail alone alike,
none routed, and a probe from further on fails alike too (``OneAtATime``), the pass fails
with ``RoutingBroken`` and they stay pending, to be routed once routing is mended,
instead of all of them flooding triage; so it does, for now, when no other mention is
pending to tell by. A failure only some mentions meet (those filed to one inbox, say)
cannot be told from theirs and is set aside, as is a failing batch of one mention.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError
from sqlmodel import Session

from models.exceptions import AduanError, StoreError
from models.mentions import triage_if_pending
from models.store_health import StoreProblem, store_problem

log = logging.getLogger(__name__)

#: mentions of a failed batch failing alone alike, none routed, after which routing
#: itself is suspected (see ``OneAtATime``)
BROKEN_AFTER = 10


class RoutingBroken(AduanError):
    """The mentions of a failed batch each failed alone, alike: routing itself is broken."""


#: probes a suspected failure may take when each probe is a copy of a failed text
MAX_PROBES = 3


def _alike(a: Exception, b: Exception) -> bool:
    return type(a) is type(b) and str(a) == str(b)


@dataclass
class OneAtATime:
    """A failed batch's mentions, routed again one at a time, oldest first.

    A mention that fails alone is its own fault once another mention has been routed
    alone; until then its failure is held here (the mention stays pending), as it may be
    routing's. When two or more have failed alike (the same kind of error, the same
    message), none routed, and the batch is done or ``BROKEN_AFTER`` of it failed,
    routing is suspected: a probe routes a mention from the batch's end on (so that
    copies of one bad post at its head do not decide). Routed, or failing otherwise, it
    clears the failures: they are the mentions' own, set aside as they come. Failing
    alike, it shows routing broken (``RoutingBroken``), unless its text is one that
    failed already (another copy): then the next mention probes, ``MAX_PROBES`` in all.
    Should no mention be left to tell (nothing to probe, or only copies), the held
    failures are not set aside either: ``RoutingBroken`` says so, and the next pass,
    with newer mentions, tells.
    """

    #: mentions of the batch still to try
    left: int
    #: the id of the last mention tried in order: the next one is claimed after it
    last_id: int
    #: the id of the batch's newest mention: the in-order claims stop there
    last_of_batch: int
    #: a probe is claimed after this id: at first, the batch's newest mention is one
    probe_from: int = field(init=False)
    #: the failures are known to be the mentions' own
    cleared: bool = False
    probes: int = 0
    failed: list[tuple[int, Exception]] = field(default_factory=list)
    texts: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.probe_from = self.last_of_batch - 1

    def _suspect(self) -> bool:
        if self.cleared or len(self.failed) < 2:
            return False
        first = self.failed[0][1]
        return all(_alike(err, first) for _, err in self.failed)

    def wants_probe(self) -> bool:
        """Whether the next mention to route is a probe."""
        due = self.left <= 0 or len(self.failed) >= BROKEN_AFTER
        return due and self.probes < MAX_PROBES and self._suspect()

    def probe_after(self) -> int:
        """The id after which the probe is claimed."""
        return max(self.last_id, self.probe_from)

    def tried(
        self, mention_id: int, text: str, err: Exception | None, *, routed: bool = True
    ) -> None:
        """*mention_id*, the next in order, was routed alone (*err* None; *routed* False
        if it needed no routing, as our own reply) or failed with *err*."""
        self.left -= 1
        self.last_id = mention_id
        if err is None:
            self.cleared = self.cleared or routed
        else:
            self.failed.append((mention_id, err))
            self.texts.add(text)

    def probe_tried(
        self, mention_id: int, text: str, err: Exception | None, *, routed: bool = True
    ) -> None:
        """The probe *mention_id* was routed (*err* None) or failed with *err*; raises
        ``RoutingBroken`` if it failed as the others did with a text of its own."""
        self.probe_from = mention_id
        if err is None:
            self.cleared = routed  # our own reply tells nothing: the next one probes
            return
        first = self.failed[0][1]
        if not _alike(err, first):
            self.failed.append((mention_id, err))
            self.cleared = True
            return
        if text not in self.texts:
            raise self._broken(f"and a probe from further on, {len(self.failed) + 1} in all")
        self.failed.append((mention_id, err))  # a copy of a failed text: tells nothing
        self.probes += 1

    def rest_routed_elsewhere(self) -> None:
        """No mention of the batch is left pending in order: another router took them."""
        self.left = 0

    def no_probe(self) -> None:
        """No mention is pending to probe with."""
        self.probes = MAX_PROBES

    def settle(self) -> None:
        """Raise ``RoutingBroken`` when the batch is done, its failures alike and held,
        and no probe is left to tell whether they are routing's or the mentions'."""
        if self.left <= 0 and self._suspect() and self.probes >= MAX_PROBES:
            raise self._broken(
                f"{len(self.failed)} in all, and no other mention is pending to tell whether "
                "routing itself is broken"
            )

    def _broken(self, which: str) -> RoutingBroken:
        first = self.failed[0][1]
        return RoutingBroken(
            f"routing failed for each mention of a batch routed one at a time ({which}), "
            f"all with {type(first).__name__} ({first}); none was set aside: they wait, "
            "pending, until routing is mended or newer mentions show it works"
        )

    def done(self) -> bool:
        """Whether every mention of the batch was tried and nothing is held."""
        return self.left <= 0 and not self.failed

    def their_own(self) -> list[tuple[int, Exception]]:
        """The failures known to be the mentions' own, taken from here: all of them once
        a mention has been routed alone, or once the batch is done with failures that
        are not alike."""
        if not (self.cleared or (self.left <= 0 and not self._suspect())):
            return []
        out, self.failed = self.failed, []
        return out


def mention_fault(err: Exception) -> bool:
    """Whether *err* is one mention's doing rather than the store's or the machine's."""
    if isinstance(err, MemoryError | StoreError):
        return False
    if isinstance(err, DBAPIError):
        return store_problem(err) == StoreProblem.DATA_ERROR
    if isinstance(err, SQLAlchemyError):
        # building a statement's values failed (a value its column type refuses)
        return isinstance(err, StatementError)
    return True


def set_aside_reason(err: Exception) -> str:
    """What triage shows: the kind of error (its message, which may quote the text,
    goes to the log only)."""
    return f"gagal dirutekan otomatis ({type(err).__name__}): putuskan manual"[:200]


def set_aside(session: Session, mention_id: int, err: Exception) -> bool:
    """Put *mention_id* in triage with the reason *err* gives, in *session*'s transaction,
    if it is still pending (another router may have routed it meanwhile); whether it was."""
    if not triage_if_pending(session=session, mention_id=mention_id, reason=set_aside_reason(err)):
        log.info("mention %s, which failed routing here, was routed meanwhile", mention_id)
        return False
    log.error(
        "mention %s could not be routed; it waits in triage: %s: %s",
        mention_id,
        type(err).__name__,
        err,
        exc_info=err,
    )
    return True
