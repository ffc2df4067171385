"""Telling a petugas that a complaint was assigned to them (event ``complaint.assigned``).

The notice names the complaint's public number, its category, its inbox, who assigned
it and the link to its page in the web inbox; never anything a citizen wrote or who
they are (no text, name, handle, post link or place words): the petugas reads those in
the inbox, signed in. The e-mail goes to the petugas's own address (``User.email``,
kept in the outbox row's payload as it was when assigned); the webhook, when the inbox
has one, to the inbox's webhook, naming the petugas by username so the agency's own
system can pass it on. ``notify.delivery`` sends these rows without the complaint's
document.
"""

from collections.abc import Sequence
from typing import Any

from models.vocab import label

EVENT = "complaint.assigned"
#: ``ComplaintAssignment.notified`` when nothing could be queued (no e-mail address)
NOT_NOTIFIABLE = "none"


def complaint_link(base_url: str, complaint_id: int) -> str:
    """The complaint's page in the web inbox (a path when no address is configured)."""
    return f"{base_url.rstrip('/')}/complaints/{complaint_id}"


def assignment_payload(
    *,
    complaint_id: int,
    public_number: str,
    category: str,
    inbox: str,
    assignee: str,
    actor: str,
    base_url: str,
) -> dict[str, Any]:
    """The outbox payload announcing the assignment (without the e-mail row's ``to``)."""
    number = public_number or f"#{complaint_id}"
    link = complaint_link(base_url, complaint_id)
    lines = [
        f"Nomor pengaduan : {number}",
        f"Kategori        : {label('category', category)}",
        f"Kotak masuk     : {inbox}",
        f"Ditugaskan oleh : {'penugasan otomatis' if actor == AUTO_ACTOR else actor}",
        f"Buka pengaduan  : {link}",
        "",
        "Isi laporan dan data pelapor hanya dapat dibaca di inbox setelah masuk.",
    ]
    return {
        "event": EVENT,
        "complaint_id": complaint_id,
        "notice": {"title": f"Tugas baru: pengaduan {number}", "lines": lines},
        "data": {
            "public_number": public_number,
            "inbox": inbox,
            "assignee": assignee,
            "assigned_by": actor,
            "link": link,
        },
    }


#: the actor of an automatic assignment (``lifecycle.auto_assign``)
AUTO_ACTOR = "otomatis"


def channels_for(email: str | None, inbox_channels: Sequence[str]) -> tuple[str, ...]:
    """The channels a petugas is told on: their e-mail, and their inbox's webhook."""
    out: list[str] = []
    if email:
        out.append("email")
    if "webhook" in inbox_channels:
        out.append("webhook")
    return tuple(out)


def notified_value(channels: Sequence[str]) -> str:
    """What ``ComplaintAssignment.notified`` records for these queued channels."""
    return ",".join(channels) or NOT_NOTIFIABLE
