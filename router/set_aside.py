"""A mention routing cannot handle: set aside in triage with the reason, so the rest flow.

Routing takes the oldest pending mentions first, so a mention whose routing raises (a
bug that some text sets off, a value the store refuses) would fail its batch at every
run and hold back every mention after it. ``router.route.route_pending`` routes such a
batch again one mention at a time; a mention that still fails alone is set aside here:
in triage, where a person decides it, with the reason shown, and the error logged. A
store that fails (unreachable, full, read-only, busy) still fails the pass: setting
every mention aside would hide an outage.
"""

import logging

from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError
from sqlmodel import Session

from models.mentions import update_routing
from models.store_health import StoreProblem, store_problem
from models.types import utcnow
from models.vocab import MentionState

log = logging.getLogger(__name__)


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
