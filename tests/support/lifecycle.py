"""Complaints filed at chosen times, with chosen deadlines and places, for issue 14's tests."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from aduan.settings import AgencyConfig, Settings
from lifecycle.deadlines import WorkingCalendar
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Agency, Complaint, Mention
from models.vocab import CATEGORIES, NOT_COMPLAINT, ComplaintStatus
from notify.settings import Recipient
from tests.support.factories import mention

#: Monday 23 November 2026, 10:00 WITA: complaints of the tests are received then
RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
#: the Indonesian calendar, as production uses it
CALENDAR = WorkingCalendar("ID")
#: a citizen's text with personal data that every notification must mask
PERSONAL_TEXT = "air mati di sesetan, hubungi saya 081234567890 NIK 5171012345670001"


def inboxes(**kw: Any) -> list[AgencyConfig]:
    """PDAM with escalation and head contacts, LPJU on the daily digest, KOMINFO."""
    return [
        AgencyConfig(
            code="PDAM",
            name="PDAM Denpasar",
            email="pdam@example.org",
            escalation_email="eskalasi.pdam@example.org",
            head_email="direktur.pdam@example.org",
            **kw,
        ),
        AgencyConfig(code="LPJU", name="Dishub LPJU", email="lpju@example.org", digest=True),
        AgencyConfig(code="KOMINFO", name="Diskominfos", email="kominfo@example.org"),
    ]


def by_code(configs: list[AgencyConfig]) -> dict[str, Recipient]:
    """The ``agencies`` mapping of ``deliver_due``."""
    return {a.code: a for a in configs}


@dataclass
class Filing:
    """One complaint to file: who reported what, where, and its deadlines."""

    n: int
    inbox: str = "PDAM"
    category: str = "PDAM"
    text: str = PERSONAL_TEXT
    received: datetime = RECEIVED
    status: ComplaintStatus = ComplaintStatus.BARU
    kecamatan: str | None = "Denpasar Selatan"
    desa: str | None = "Sesetan"
    extra: dict[str, Any] = field(default_factory=dict)


def file_all(engine: Engine, filings: list[Filing], configs: list[AgencyConfig]) -> list[int]:
    """File *filings* with SP4N-LAPOR! deadlines counted from their receipt; their ids."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=[Agency.model_validate(a.model_dump()) for a in configs])
        insert_mentions(
            session=s,
            mentions=[
                mention(f.n, text=f.text, created_at=f.received, conversation_id=str(1000 + f.n))
                for f in filings
            ],
        )
    channels = {
        a.code: tuple(n for n, given in (("email", a.email), ("webhook", a.webhook_url)) if given)
        for a in configs
    }
    ids = []
    with session_scope(engine) as s:
        for f in filings:
            m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + f.n))).one()
            respond_by, follow_up_by = CALENDAR.deadlines_for(f.received)
            c = file_complaint(
                session=s,
                mention=m,
                category=f.category,
                inbox=f.inbox,
                confidence=0.9,
                routed_by="test",
                channels=channels.get(f.inbox, ()),
                details={
                    "kecamatan": f.kecamatan,
                    "desa": f.desa,
                    "respond_by": respond_by,
                    "follow_up_by": follow_up_by,
                    # history and outbox rows are dated when it was received
                    "created_at": f.received,
                    "updated_at": f.received,
                    **f.extra,
                },
            )
            assert c is not None and c.id is not None
            c.status = f.status
            s.add(c)
            ids.append(c.id)
    return ids


def complaint(engine: Engine, complaint_id: int) -> Complaint:
    """The stored complaint."""
    with session_scope(engine) as s:
        found = s.get(Complaint, complaint_id)
        assert found is not None
        return found


def later(days: float) -> datetime:
    """*days* after RECEIVED."""
    return RECEIVED + timedelta(days=days)


def settings_for(configs: list[AgencyConfig], **sections: Any) -> Settings:
    """A validated configuration with these inboxes (PDAM and LPJU keep their category)."""
    codes = {a.code for a in configs}
    categories = {c: (c if c in codes else "KOMINFO") for c in CATEGORIES if c != NOT_COMPLAINT}
    return Settings.model_validate(
        {
            "agencies": [a.model_dump() for a in configs],
            "categories": categories,
            "delivery": {"allow_private_webhooks": True},
            **sections,
        }
    )
