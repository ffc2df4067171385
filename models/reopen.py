"""Reopening a closed complaint when its citizen writes again (written by the router)."""

from datetime import datetime

from sqlmodel import Session, select

from models.notices import add_outbox_rows
from models.tables import Complaint, Mention, StatusChange
from models.vocab import ComplaintStatus, OutboxRecipient

#: the history note of a reopening by a citizen's reply
REOPEN_NOTE = "dibuka kembali: balasan baru warga dalam percakapan pengaduan yang sudah selesai"


def lock_for_reopen(*, session: Session, complaint_id: int) -> Complaint:
    """The complaint as stored now, its row locked until the transaction ends."""
    stmt = (
        select(Complaint)
        .where(Complaint.id == complaint_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(stmt).one()


def reopen_by_reply(
    *,
    session: Session,
    complaint: Complaint,
    mention: Mention,
    channels: tuple[str, ...],
    now: datetime,
) -> None:
    """selesai -> ditindaklanjuti because of *mention*, with a history row and notifications.

    The mention must already be linked to *complaint*. The inbox's channels get a
    ``complaint.reopened`` row (in this transaction) naming the mention.
    """
    assert complaint.id is not None and mention.id is not None
    session.add(
        StatusChange(
            complaint_id=complaint.id,
            actor="router",
            at=now,
            from_status=complaint.status,
            to_status=ComplaintStatus.DITINDAKLANJUTI,
            note=f"{REOPEN_NOTE} (kiriman {mention.platform} {mention.platform_id})",
        )
    )
    complaint.status = ComplaintStatus.DITINDAKLANJUTI
    complaint.resolved_at = None
    complaint.updated_at = now
    session.add(complaint)
    title = f"Pengaduan #{complaint.id} dibuka kembali: warga membalas setelah selesai"
    payload = {
        "event": "complaint.reopened",
        "complaint_id": complaint.id,
        "notice": {
            "title": title,
            "lines": [
                "Warga mengirim balasan baru dalam percakapan pengaduan yang sudah selesai.",
                "Status kembali ke Ditindaklanjuti; balasan itu tercantum di bawah.",
            ],
        },
        "data": {"mention_id": mention.id, "platform_id": mention.platform_id},
    }
    add_outbox_rows(
        session.connection(),
        recipients=[(OutboxRecipient.INBOX.value, complaint.inbox, channels)],
        payload=payload,
        now=now,
        complaint_id=complaint.id,
    )
