"""A store with personal data to keep, purge or erase, and the statistics that must survive.

``fill`` routes mentions of several people through the test policy: complaints (one
closed long ago), mentions that are not complaints, a triage decision (a training
correction), and a person with the same handle on another platform who must never be
touched by the first one's erasure.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from lifecycle.reports import yearly_report
from lifecycle.triage import assign
from models.access_log import record_access
from models.agencies import sync_agencies
from models.complaints import count_by_inbox_status
from models.dashboard import status_totals, top_places, volume_by_day
from models.db import session_scope
from models.mentions import count_by_state, insert_mentions
from models.tables import Complaint, ComplaintMention, Mention
from models.vocab import AccessAction, ComplaintStatus
from router.route import route_pending
from tests.support.factories import BASE_TIME, agencies, mention
from tests.support.personal import HOSTILE_TEXT, NIK
from tests.support.routing import POLICY, KeywordClassifier

#: a day long after everything in the store happened: every period has passed
LATER = BASE_TIME + timedelta(days=800)
#: the person whose data is asked for and erased
PERSON = "twitter:Warga1"


@dataclass(frozen=True)
class Filled:
    """The ids the tests look at."""

    open_complaint: int  # warga1's complaint, still open, with place words
    closed_complaint: int  # warga2's complaint, finished long ago
    triaged_complaint: int  # warga1's post decided in triage (a correction)
    not_complaints: tuple[int, ...]  # mention ids of posts that were not complaints
    other_platform: int  # facebook:warga1, another person


def fill(engine: Engine, base: datetime = BASE_TIME) -> Filled:
    """The store described in the module docstring; everything happens from *base* on."""
    posts = [
        mention(1, text="air mati di panjer sejak pagi", raw={"user": {"name": "W1"}}),
        mention(2, text=HOSTILE_TEXT),
        mention(3, text="makasih min infonya", author_handle="warga3"),
        mention(4, text=f"makasih, NIK saya {NIK}", author_handle="warga4"),
        mention(5, text="makasih responnya cepat", author_handle="warga1"),
        mention(6, text="bingung air keruh lapor ke mana", author_handle="warga1"),
        mention(7, platform="facebook", text="air mati juga", author_handle="warga1"),
    ]
    shift = base - BASE_TIME
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[m.model_copy(update={"created_at": m.created_at + shift}) for m in posts],
        )
    with session_scope(engine) as s:
        # Fetched an hour after posting, not at the test's real time: periods count from here.
        s.execute(update(Mention).values(fetched_at=base + timedelta(hours=1)))
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with Session(engine) as s:
        ids = {m.platform_id: m.id for m in s.exec(select(Mention)) if m.id is not None}
    assign(engine=engine, policy=POLICY, mention_id=ids["1006"], category="PDAM", actor="operator1")
    with session_scope(engine) as s:
        origin = {c.origin_mention_id: c for c in s.exec(select(Complaint))}
        opened, closed = origin[ids["1001"]], origin[ids["1002"]]
        opened.kecamatan, opened.desa = "Denpasar Selatan", "Panjer"
        opened.location_span = "di panjer"
        closed.kecamatan, closed.desa = "Denpasar Selatan", "Renon"
        closed.status = ComplaintStatus.SELESAI
        closed.resolved_at = base + timedelta(days=2)
        s.add(opened)
        s.add(closed)
        assert opened.id is not None and closed.id is not None
        entry = record_access(
            session=s,
            actor="operator1",
            action=AccessAction.VIEW_ORIGINAL,
            target=f"complaint:{opened.id}",
        )
        entry.at = base + timedelta(days=3)
        result = Filled(
            open_complaint=opened.id,
            closed_complaint=closed.id,
            triaged_complaint=origin[ids["1006"]].id or 0,
            not_complaints=(ids["1003"], ids["1004"], ids["1005"]),
            other_platform=ids["1007"],
        )
    return result


def statistics(engine: Engine, base: datetime = BASE_TIME) -> dict[str, Any]:
    """What the dashboard, the yearly report and `aduan stats` count."""
    with Session(engine) as s:
        complaints = sorted(
            (c.id, c.category, c.inbox, c.status, c.kecamatan, c.desa, c.created_at)
            for c in s.exec(select(Complaint))
        )
        mentions = sorted(
            (m.id, m.platform, m.state, m.category, m.created_at) for m in s.exec(select(Mention))
        )
        links = sorted((x.mention_id, x.complaint_id) for x in s.exec(select(ComplaintMention)))
        return {
            "mentions_by_state": count_by_state(session=s),
            "complaints": count_by_inbox_status(session=s),
            "status": status_totals(session=s),
            "volume": volume_by_day(session=s, since=base - timedelta(days=1), by="category"),
            "places": top_places(session=s, since=base - timedelta(days=1)),
            "yearly": yearly_report(session=s, year=base.year),
            "complaint_rows": complaints,
            "mention_rows": mentions,
            "links": links,
        }


def personal(engine: Engine) -> dict[int, tuple[Any, ...]]:
    """Each mention's personal fields, by id."""
    with Session(engine) as s:
        return {
            m.id or 0: (m.text, m.author_handle, m.author_name, m.url, m.raw)
            for m in s.exec(select(Mention).order_by(col(Mention.id)))
        }
