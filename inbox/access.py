"""Who may do what: the permission matrix per role, and which complaints a user may touch.

Every page and API route asks ``access`` (an ``Access``); agency users are further
limited to their own inbox, and a complaint they may not see answers 404 like a
missing one.
"""

from enum import StrEnum

from fastapi import HTTPException
from sqlmodel import Session

from models.tables import Complaint, User
from models.vocab import Role


class Permission(StrEnum):
    """Something a role may do; ROLE_PERMISSIONS says who."""

    DASHBOARD = "dashboard"
    READ_COMPLAINTS = "read_complaints"
    WORK_COMPLAINTS = "work_complaints"
    TRIAGE = "triage"
    REASSIGN = "reassign"
    EXPORT = "export"
    RETRY_DELIVERY = "retry_delivery"
    MANAGE_USERS = "manage_users"
    VIEW_CONFIG = "view_config"
    #: mark a complaint confidential, or unmark it
    MARK_CONFIDENTIAL = "mark_confidential"
    #: the access log, and people's access and erasure requests
    PRIVACY = "privacy"
    #: the queue of replies to citizens: approve, edit, discard; switch a channel on
    APPROVE_REPLIES = "approve_replies"


#: The role matrix. Agency users are further limited to their own inbox by Access;
#: viewers see city-wide aggregates only, never a complaint's text or its authors.
#: A confidential complaint is therefore seen by its own inbox's agency users, operators
#: and admins only, like any other; what sets it apart is that it never leaves: Open311
#: and public pages leave it out, notifications carry no text (models.confidential).
#: Who may read citizens' original (unmasked) text is configuration, not this matrix
#: (``privacy.original_text_roles``, see ``Access.can_see_original``).
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Listed one by one, so a permission added later is not granted by default.
    Role.OPERATOR: frozenset(
        {
            Permission.DASHBOARD,
            Permission.READ_COMPLAINTS,
            Permission.WORK_COMPLAINTS,
            Permission.TRIAGE,
            Permission.REASSIGN,
            Permission.EXPORT,
            Permission.RETRY_DELIVERY,
            Permission.MARK_CONFIDENTIAL,
            Permission.APPROVE_REPLIES,
        }
    ),
    Role.AGENCY: frozenset(
        {Permission.READ_COMPLAINTS, Permission.WORK_COMPLAINTS, Permission.EXPORT}
    ),
    Role.VIEWER: frozenset({Permission.DASHBOARD}),
}


class Forbidden(HTTPException):
    """Raised when a signed-in user may not do something; answered with 403."""

    def __init__(self, detail: str = "Anda tidak berhak membuka halaman ini.") -> None:
        super().__init__(status_code=403, detail=detail)


class Access:
    """Which complaints a user may read or change; every page and API route asks here."""

    def can(self, user: User, permission: Permission) -> bool:
        """Whether *user*'s role grants *permission* (before any per-inbox limit)."""
        return user.active and permission in ROLE_PERMISSIONS.get(user.role, frozenset())

    def inbox_filter(self, user: User) -> str | None:
        """The inbox an agency user is limited to; None (all inboxes) for Kominfo staff.

        Fails closed: raises Forbidden for a role that may not list complaints
        (viewer) and for an agency user without an agency, rather than returning None.
        """
        if not self.can(user, Permission.READ_COMPLAINTS):
            raise Forbidden()
        if user.role == Role.AGENCY:
            if not user.agency_code:
                raise Forbidden("Akun instansi ini belum terhubung ke inbox mana pun.")
            return user.agency_code
        return None

    def can_read_inbox(self, user: User, code: str) -> bool:
        """Whether *user* may list the inbox *code* (an agency user: only their own)."""
        if not self.can(user, Permission.READ_COMPLAINTS):
            return False
        return user.role != Role.AGENCY or (bool(user.agency_code) and code == user.agency_code)

    def can_read_complaint(self, user: User, complaint: Complaint) -> bool:
        """Whether *user* may see *complaint* (its text, history, mentions)."""
        return self.can(user, Permission.READ_COMPLAINTS) and self._in_scope(user, complaint)

    def can_change(self, user: User, complaint: Complaint) -> bool:
        """Whether *user* may change *complaint*: status, notes, "bukan wewenang"."""
        return self.can(user, Permission.WORK_COMPLAINTS) and self._in_scope(user, complaint)

    def can_see_original(self, user: User, roles: frozenset[str]) -> bool:
        """Whether *user* may ask for citizens' original text (*roles*: from the config)."""
        return self.can(user, Permission.READ_COMPLAINTS) and user.role in roles

    def complaint_or_404(self, *, session: Session, user: User, complaint_id: int) -> Complaint:
        """The complaint if *user* may read it; 404 both when missing and when not theirs.

        The same answer for both stops an agency user from learning, by guessing ids,
        which complaints exist in other inboxes.
        """
        complaint = session.get(Complaint, complaint_id)
        if complaint is None or not self.can_read_complaint(user, complaint):
            raise HTTPException(status_code=404, detail="Pengaduan tidak ditemukan")
        return complaint

    def _in_scope(self, user: User, complaint: Complaint) -> bool:
        if user.role == Role.AGENCY:
            return bool(user.agency_code) and complaint.inbox == user.agency_code
        return True


access = Access()


def landing_page(user: User) -> str:
    """Where a user goes after signing in when no page was asked for."""
    if user.role == Role.AGENCY and user.agency_code:
        return f"/inbox/{user.agency_code}"
    return "/"
