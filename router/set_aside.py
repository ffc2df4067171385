"""A mention routing cannot handle: set aside in triage with the reason, so the rest flow.

Routing takes the oldest pending mentions first, so a mention whose routing raises (a
bug that some text sets off, a value the store refuses) would fail its batch at every
run and hold back every mention after it. ``router.route.route_pending`` routes such a
batch again one mention at a time; a mention that still fails alone is set aside here:
in triage, where a person decides it, with the reason shown, and the error logged. A
store that fails (unreachable, full, read-only, busy) still fails the pass: setting
every mention aside would hide an outage.

Nor is a failure that every mention sets off set aside (a bug or a configuration that
breaks routing itself, say a reply template): when the mentions of a failed batch all
fail alone with the same kind of error, none of them routed (``OneAtATime``), the pass
fails with ``RoutingBroken`` and they stay pending, to be routed once routing is mended,
instead of all of them flooding triage.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError
from sqlmodel import Session

from models.exceptions import AduanError
from models.mentions import update_routing
from models.store_health import StoreProblem, store_problem
from models.types import utcnow
from models.vocab import MentionState

log = logging.getLogger(__name__)

#: mentions of a failed batch failing alone in a row, the same way, none routed, after
#: which routing is taken to be broken rather than each of them
BROKEN_AFTER = 10


class RoutingBroken(AduanError):
    """The mentions of a failed batch each failed alone, the same way: routing is broken."""


@dataclass
class OneAtATime:
    """A failed batch's mentions, routed again one at a time.

    A mention that fails alone is its own fault once another mention of the batch has
    been routed alone; until then its failure waits here (the mention stays pending),
    as it may be routing's fault. Should every mention tried fail the same way (the
    whole batch, or ``BROKEN_AFTER`` of it in a row), ``check`` raises ``RoutingBroken``.
    """

    #: mentions of the batch still to try
    left: int
    #: the id of the last mention tried: the next one is claimed after it
    last_id: int
    routed: bool = False
    failed: list[tuple[int, Exception]] = field(default_factory=list)

    def tried(self, mention_id: int, err: Exception | None) -> None:
        """*mention_id* was routed alone (*err* None) or failed with *err*."""
        self.left -= 1
        self.last_id = mention_id
        if err is None:
            self.routed = True
        else:
            self.failed.append((mention_id, err))

    def check(self) -> None:
        """Raise ``RoutingBroken`` if the failures so far are routing's, not the mentions'."""
        if self.routed or len(self.failed) < 2:
            return
        if self.left and len(self.failed) < BROKEN_AFTER:
            return
        kinds = {type(err) for _, err in self.failed}
        if len(kinds) > 1:
            return
        first = self.failed[0][1]
        raise RoutingBroken(
            f"routing failed for each of {len(self.failed)} mentions routed one at a "
            f"time, all with {type(first).__name__} ({first}); none was set aside: "
            "they wait, pending, until routing is mended"
        ) from first

    def their_own(self) -> list[tuple[int, Exception]]:
        """The failures now known to be the mentions' own (taken from here): all of them
        once a mention has been routed alone or the batch is done."""
        if not (self.routed or self.left <= 0):
            return []
        out, self.failed = self.failed, []
        return out


def mention_fault(err: Exception) -> bool:
    """Whether *err* is one mention's doing rather than the store's or the machine's."""
    if isinstance(err, MemoryError):
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


def set_aside(session: Session, mention_id: int, err: Exception) -> None:
    """Put *mention_id* in triage with the reason *err* gives, in *session*'s transaction."""
    update_routing(
        session=session,
        rows=[
            {
                "id": mention_id,
                "state": MentionState.TRIAGE,
                "abstain_reason": set_aside_reason(err),
                "routed_at": utcnow(),
            }
        ],
    )
    log.error(
        "mention %s could not be routed; it waits in triage: %s: %s",
        mention_id,
        type(err).__name__,
        err,
        exc_info=err,
    )
