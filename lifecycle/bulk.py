"""Bulk actions on a selection of complaints: one status change, petugas or note for all.

All or nothing: every complaint is locked (in id order, so two bulk requests cannot
deadlock) and checked first; if any one cannot take the change, nothing is written and
the result names each refused complaint with the reason in Indonesian ("tidak bisa
dari Selesai ke Respon awal"). Otherwise each complaint gets its own history row (its
status change, assignment or note), exactly as if it had been changed alone; a status
change also drafts each complaint's replies to its reporters as ``change_status`` does
(review or automatic per source), in the same transaction, so a refused request leaves
no reply either.

Complaints the actor may not see (another agency's inbox) are refused like ids that
do not exist, so a bulk request cannot probe other inboxes.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlmodel import Session

from lifecycle.assignment import assign_in_session
from lifecycle.status import TRANSITIONS, apply_status, lock_complaint
from models.db import session_scope
from models.exceptions import AssignmentRefused, InvalidTransition, NotFound
from models.notes import MAX_NOTE_LENGTH, add_note
from models.tables import Complaint
from models.types import utcnow
from models.vocab import STATUS_LABELS, ComplaintStatus
from notify.replies import ReplyPolicy, draft_replies
from router.policy import RoutingPolicy

#: the most complaints one bulk request may change (a page of the inbox list is 50)
MAX_BULK = 100


class BulkAction(StrEnum):
    """What a bulk request does to every selected complaint."""

    STATUS = "status"
    ASSIGN = "petugas"
    NOTE = "catatan"


class BulkInputError(ValueError):
    """A bulk request that cannot be tried at all (no selection, too many, no note)."""


@dataclass
class BulkResult:
    """What a bulk request did: how many changed, or which were refused and why."""

    requested: int
    changed: list[int] = field(default_factory=list)
    #: (complaint id, reason in Indonesian); when not empty, nothing was changed
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the change was made (to every selected complaint)."""
        return not self.refused

    def summary(self) -> str:
        """One Indonesian sentence for the page or the API."""
        if self.ok:
            return f"{len(self.changed)} pengaduan diubah."
        return (
            f"Ditolak untuk {len(self.refused)} dari {self.requested} pengaduan; "
            "tidak ada yang diubah."
        )


class _Rollback(Exception):
    """Raised inside the transaction to undo it when something was refused."""


def _status_problem(c: Complaint, target: ComplaintStatus, note: str) -> str | None:
    if target in (ComplaintStatus.BARU, ComplaintStatus.BUKAN_WEWENANG):
        return f"status {STATUS_LABELS[target]} tidak bisa diberikan lewat tindakan massal"
    if target not in TRANSITIONS[c.status]:
        return f"tidak bisa dari {STATUS_LABELS[c.status]} ke {STATUS_LABELS[target]}"
    if c.status == ComplaintStatus.SELESAI and not note:
        return "membuka kembali pengaduan selesai perlu catatan alasan"
    return None


def check_input(
    ids: list[int], action: str, *, to_status: str = "", note: str = ""
) -> tuple[list[int], BulkAction]:
    """The distinct ids and the action, or BulkInputError naming what is wrong."""
    unique = sorted(set(ids))
    if not unique:
        raise BulkInputError("Pilih minimal satu pengaduan.")
    if len(unique) > MAX_BULK:
        raise BulkInputError(
            f"Terlalu banyak pengaduan dipilih ({len(unique)}); paling banyak {MAX_BULK} "
            "per tindakan."
        )
    try:
        which = BulkAction(action)
    except ValueError:
        raise BulkInputError("Pilih tindakan: ubah status, petugas, atau catatan.") from None
    if which == BulkAction.STATUS and to_status not in STATUS_LABELS:
        raise BulkInputError("Pilih status tujuan.")
    if which == BulkAction.NOTE and not note.strip():
        raise BulkInputError("Catatan kosong.")
    if len(note.strip()) > MAX_NOTE_LENGTH:
        raise BulkInputError(f"Catatan terlalu panjang (maksimal {MAX_NOTE_LENGTH} karakter).")
    return unique, which


def bulk_apply(
    *,
    engine: Engine,
    ids: list[int],
    action: str,
    actor: str,
    agency_code: str | None = None,
    to_status: str = "",
    note: str = "",
    assignee: str | None = None,
    replies: ReplyPolicy | None = None,
    policy: RoutingPolicy | None = None,
) -> BulkResult:
    """Apply *action* to every complaint of *ids*, or to none (see the module's doc).

    BulkInputError when the request itself is wrong (nothing selected, over MAX_BULK,
    no status or note); otherwise a BulkResult, refused items listed. With *replies*,
    a status change drafts the replies announcing it.
    """
    unique, which = check_input(ids, action, to_status=to_status, note=note)
    note = note.strip()
    result = BulkResult(requested=len(unique))
    try:
        with session_scope(engine) as session:
            _apply(
                session,
                unique,
                which,
                actor,
                agency_code,
                to_status,
                note,
                assignee,
                replies,
                result,
                policy,
            )
            if result.refused:
                raise _Rollback
    except _Rollback:
        result.changed = []
    return result


def _apply(
    session: Session,
    ids: list[int],
    which: BulkAction,
    actor: str,
    agency_code: str | None,
    to_status: str,
    note: str,
    assignee: str | None,
    replies: ReplyPolicy | None,
    result: BulkResult,
    policy: RoutingPolicy | None = None,
) -> None:
    now = utcnow()
    for cid in ids:
        try:
            complaint = lock_complaint(session=session, complaint_id=cid, agency_code=agency_code)
        except NotFound:
            result.refused.append((cid, "pengaduan tidak ditemukan"))
            continue
        try:
            if which == BulkAction.STATUS:
                problem = _status_problem(complaint, ComplaintStatus(to_status), note)
                if problem:
                    result.refused.append((cid, problem))
                    continue
                apply_status(session, complaint, to_status, actor, note, now)
                if not result.refused:  # else all is rolled back: no use drafting
                    draft_replies(
                        session=session,
                        policy=replies,
                        complaint=complaint,
                        event=ComplaintStatus(to_status).value,
                        note=note,
                    )
            elif which == BulkAction.ASSIGN:
                assign_in_session(
                    session=session,
                    complaint=complaint,
                    assignee=assignee,
                    actor=actor,
                    now=now,
                    policy=policy,
                )
            else:
                add_note(session=session, complaint_id=cid, author=actor, text=note)
        except (AssignmentRefused, InvalidTransition) as err:
            result.refused.append((cid, str(err)))
            continue
        result.changed.append(cid)
