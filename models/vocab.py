"""Shared vocabulary: category codes, platforms, states and statuses.

The codes are those of the city's taxonomy (shared/TAXONOMY.md); the classifier
predicts them and config maps them to inboxes.
"""

from enum import StrEnum

CATEGORIES: tuple[str, ...] = (
    "PDAM",
    "LPJU",
    "DLHK",
    "PUPR",
    "DISHUB",
    "SATPOLPP",
    "DISDUKCAPIL",
    "DINKES",
    "DISDIK",
    "PLN",
    "DINSOS",
    "BPBD_DAMKAR",
    "PERIZINAN",
    "OTHER",
    "NOT_COMPLAINT",
)

NOT_COMPLAINT = "NOT_COMPLAINT"


class Platform(StrEnum):
    """Where a mention was posted."""

    TWITTER = "twitter"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


class MentionState(StrEnum):
    """How far a stored mention has come through routing."""

    PENDING = "pending"
    NOT_COMPLAINT = "not_complaint"
    TRIAGE = "triage"
    FILED = "filed"


class ComplaintStatus(StrEnum):
    """Lifecycle of a complaint, in the city's own terms."""

    BARU = "baru"
    RESPON_AWAL = "respon_awal"
    DITINDAKLANJUTI = "ditindaklanjuti"
    SELESAI = "selesai"
    BUKAN_WEWENANG = "bukan_wewenang"


class OutboxStatus(StrEnum):
    """Delivery state of one notification."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
