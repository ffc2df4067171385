"""Four filed complaints in two inboxes, as of a fixed NOW, for search and dashboard tests."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Mention
from models.vocab import ComplaintStatus
from tests.support.factories import agencies, mention

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def four_complaints(engine: Engine) -> None:
    rows = [
        # (n, platform, text, inbox, status, kecamatan, respond_by offset hours)
        (1, "twitter", "air mati di sesetan 100% parah", "PDAM", "baru", "Denpasar Selatan", -5),
        (2, "facebook", "air keruh di ubung", "PDAM", "respon_awal", "Denpasar Utara", 10),
        (3, "instagram", "lampu_jalan mati", "LPJU", "baru", "Denpasar Barat", 10),
        (4, "twitter", "pipa bocor sesetan", "PDAM", "selesai", "Denpasar Selatan", -50),
    ]
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s, mentions=[mention(n, platform=p, text=t) for n, p, t, *_ in rows]
        )
    with session_scope(engine) as s:
        for n, _, _, inbox, status, kec, hours in rows:
            m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()
            c = file_complaint(
                session=s,
                mention=m,
                category=inbox,
                inbox=inbox,
                confidence=0.9,
                routed_by="t",
                details={
                    "kecamatan": kec,
                    "respond_by": NOW + timedelta(hours=hours),
                    "follow_up_by": NOW + timedelta(days=7),
                },
            )
            assert c is not None
            c.status = ComplaintStatus(status)
            c.created_at = NOW - timedelta(days=n)
            s.add(c)
