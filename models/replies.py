"""The store side of replies to citizens: drafting rows, recording attempts and outcomes.

``notify.replies`` decides what a reply says and whom it answers; the functions here
write and read ``citizen_reply`` rows. A row is unique per (mention, complaint, event,
occurrence), inserted with ``ON CONFLICT DO NOTHING`` so a second router, daemon or
retry drafting the same reply writes nothing; the occurrence (``models.reply_history``)
makes a complaint reopened and worked again a new round with its own replies.

Approving, discarding, sending, marking for a reply by hand, blocking and skipping a
reply each add an entry to the complaint's history in the same transaction
(``models.reply_history``), naming who approved (and whether the text was edited), the
sending account and the platform's reply id, or why it was not sent.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from models.exceptions import InvalidTransition, NotFound
from models.reply_history import record_reply_entry, reply_words, sender
from models.tables import CitizenReply, Complaint, Mention, Outbox, ReplyAccountState
from models.types import utcnow
from models.vocab import REPLY_CHANNEL_LABELS, OutboxStatus, ReplyStatus

_REPLIES: Table = CitizenReply.__table__  # type: ignore[attr-defined]
_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
#: the outbox channel that posts replies
REPLY_CHANNEL = "reply"
_REPLY_COLUMNS = (
    "complaint_id",
    "mention_id",
    "event",
    "occurrence",
    "source",
    "channel",
    "status",
    "text",
    "reason",
    "created_at",
    "updated_at",
)


def _insert_reply(make_insert: Any) -> Any:
    """INSERT ... ON CONFLICT (the reply's key) DO NOTHING RETURNING id, built once."""
    return (
        make_insert(_REPLIES)
        .values({c: bindparam(c) for c in _REPLY_COLUMNS})
        .on_conflict_do_nothing(
            index_elements=["mention_id", "complaint_id", "event", "occurrence"]
        )
        .returning(_REPLIES.c.id)
    )


#: is PostgreSQL -> the insert (built per reply it costs more than it runs)
_INSERT_REPLY = {False: _insert_reply(sqlite_insert), True: _insert_reply(pg_insert)}


def insert_reply(
    conn: Connection,
    *,
    complaint: Complaint,
    mention: Mention,
    event: str,
    channel: str,
    status: ReplyStatus,
    text: str,
    reason: str | None = None,
    occurrence: int = 0,
    now: datetime | None = None,
) -> int | None:
    """Store a drafted reply (and its outbox row when queued); None when it exists already.

    A reply to write by hand or not to send at all gets its history entry here.
    """
    assert complaint.id is not None and mention.id is not None
    now = now or utcnow()
    row = {
        "complaint_id": complaint.id,
        "mention_id": mention.id,
        "event": event,
        "occurrence": occurrence,
        "source": mention.source,
        "channel": channel,
        "status": status,
        "text": text,
        "reason": reason,
        "created_at": now,
        "updated_at": now,
    }
    stmt = _INSERT_REPLY[conn.dialect.name == "postgresql"]
    reply_id = conn.execute(stmt, row).scalar_one_or_none()
    if reply_id is None:
        return None
    if status == ReplyStatus.QUEUED:
        queue(conn, reply_id=int(reply_id), complaint=complaint, event=event, now=now)
    elif status in _UNSENT_WORDS:
        record_reply_entry(
            conn,
            complaint_id=complaint.id,
            actor=sender(mention.source),
            note=f"{reply_words(int(reply_id), event)} {_UNSENT_WORDS[status]}: {reason or '-'}",
            now=now,
            status=complaint.status,
        )
    return int(reply_id)


#: how a history entry says a reply was not (or not automatically) sent
_UNSENT_WORDS: dict[str, str] = {
    ReplyStatus.MANUAL: "perlu dibalas manual",
    ReplyStatus.SKIPPED: "tidak dikirim",
    ReplyStatus.BLOCKED: "diblokir",
}


def queue(
    conn: Connection, *, reply_id: int, complaint: Complaint, event: str, now: datetime
) -> None:
    """The outbox row that will post reply *reply_id*."""
    conn.execute(
        insert(_OUTBOX),
        [
            {
                "complaint_id": complaint.id,
                "agency_code": complaint.inbox,
                "channel": REPLY_CHANNEL,
                "payload": {"event": f"reply.{event}", "reply_id": reply_id},
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        ],
    )


def own_reply_ids(*, session: Session, platform_ids: list[str]) -> set[str]:
    """Which of *platform_ids* are replies we posted (never answered, never harvested)."""
    if not platform_ids:
        return set()
    stmt = select(CitizenReply.platform_reply_id).where(
        col(CitizenReply.platform_reply_id).in_(platform_ids)
    )
    return {r for r in session.exec(stmt) if r}


def acknowledged(*, session: Session, complaint_id: int) -> set[str]:
    """``platform:handle`` of the reporters of a complaint already given an acknowledgement."""
    stmt = (
        select(Mention.platform, Mention.author_handle)
        .join(CitizenReply, col(CitizenReply.mention_id) == col(Mention.id))
        .where(CitizenReply.complaint_id == complaint_id, CitizenReply.event == "diterima")
    )
    return {f"{p}:{h.lower()}" for p, h in session.exec(stmt)}


def approve(*, engine: Engine, reply_id: int, actor: str, text: str | None = None) -> CitizenReply:
    """Approve a draft (with the team's edit of its text) and put it in the outbox."""
    with Session(engine) as session:
        reply = _locked(session, reply_id)
        if reply.status != ReplyStatus.DRAFT:
            raise InvalidTransition(
                f"balasan #{reply_id} berstatus {reply.status}, bukan draf / "
                f"reply {reply_id} is {reply.status}, not a draft"
            )
        complaint = session.get(Complaint, reply.complaint_id)
        assert complaint is not None
        now = utcnow()
        edited = text is not None and text != reply.text
        if text is not None:
            reply.text = text
        reply.status = ReplyStatus.QUEUED
        reply.approved_by = actor
        reply.approved_at = reply.updated_at = now
        session.add(reply)
        session.flush()
        conn = session.connection()
        queue(conn, reply_id=reply_id, complaint=complaint, event=reply.event, now=now)
        how = "teks diubah sebelum disetujui" if edited else "tanpa perubahan teks"
        record_reply_entry(
            conn,
            complaint_id=reply.complaint_id,
            actor=actor,
            note=f"{reply_words(reply_id, reply.event)} disetujui, {how}",
            now=now,
            status=complaint.status,
        )
        session.commit()
        session.refresh(reply)
        return reply


def discard(*, engine: Engine, reply_id: int, actor: str) -> CitizenReply:
    """Throw a draft away; the reason names who did."""
    with Session(engine) as session:
        reply = _locked(session, reply_id)
        if reply.status not in (ReplyStatus.DRAFT, ReplyStatus.MANUAL):
            raise InvalidTransition(
                f"balasan #{reply_id} berstatus {reply.status}; hanya draf yang bisa dibuang"
            )
        reply.status = ReplyStatus.DISCARDED
        reply.reason = f"dibuang oleh {actor}"
        reply.updated_at = utcnow()
        session.add(reply)
        session.flush()
        record_reply_entry(
            session.connection(),
            complaint_id=reply.complaint_id,
            actor=actor,
            note=f"{reply_words(reply_id, reply.event)} dibuang",
            now=reply.updated_at,
        )
        session.commit()
        session.refresh(reply)
        return reply


def _locked(session: Session, reply_id: int) -> CitizenReply:
    reply = session.exec(
        select(CitizenReply).where(CitizenReply.id == reply_id).with_for_update()
    ).first()
    if reply is None:
        raise NotFound(f"no reply with id {reply_id}")
    return reply


def mark_attempted(engine: Engine, reply_id: int, now: datetime) -> None:
    """Note that a post is about to be tried: its outcome is unknown until recorded."""
    with engine.begin() as conn:
        conn.execute(
            update(CitizenReply)
            .where(col(CitizenReply.id) == reply_id)
            .values(attempted_at=now, updated_at=now)
        )


def mark_sent(engine: Engine, reply_id: int, platform_reply_id: str, now: datetime) -> None:
    """Record the posted reply's platform id, and the sending in the complaint's history.

    A reply recorded as sent already keeps its first record (and gets no second entry).
    """
    with engine.begin() as conn:
        changed = conn.execute(
            update(CitizenReply)
            .where(col(CitizenReply.id) == reply_id, col(CitizenReply.status) != ReplyStatus.SENT)
            .values(
                status=ReplyStatus.SENT,
                platform_reply_id=platform_reply_id,
                sent_at=now,
                updated_at=now,
                reason=None,
            )
            .returning(
                col(CitizenReply.complaint_id),
                col(CitizenReply.event),
                col(CitizenReply.source),
                col(CitizenReply.channel),
            )
        ).first()
        if changed is None:
            return
        complaint_id, event, source, channel = changed
        record_reply_entry(
            conn,
            complaint_id=complaint_id,
            actor=sender(source),
            note=(
                f"{reply_words(reply_id, event)} terkirim lewat akun {source} "
                f"({REPLY_CHANNEL_LABELS.get(channel, channel)}); id balasan di platform: "
                f"{platform_reply_id}"
            ),
            now=now,
        )


def mark_unsent(engine: Engine, reply_id: int, status: ReplyStatus, reason: str) -> None:
    """Record why a reply was not (or will not be) posted: skipped, blocked, queued again.

    A reply becoming blocked or skipped gets a history entry saying why; waiting again
    in the queue (a limit, a retry) does not.
    """
    now = utcnow()
    with engine.begin() as conn:
        before = conn.execute(
            select(
                CitizenReply.status,
                CitizenReply.complaint_id,
                CitizenReply.event,
                CitizenReply.source,
            ).where(col(CitizenReply.id) == reply_id)
        ).first()
        conn.execute(
            update(CitizenReply)
            .where(col(CitizenReply.id) == reply_id)
            .values(status=status, reason=reason[:1000], updated_at=now)
        )
        if before is None or before[0] == status or status not in _UNSENT_WORDS:
            return
        _, complaint_id, event, source = before
        record_reply_entry(
            conn,
            complaint_id=complaint_id,
            actor=sender(source),
            note=f"{reply_words(reply_id, event)} {_UNSENT_WORDS[status]}: {reason[:1000]}",
            now=now,
        )


def sent_since(*, session: Session, source: str, since: datetime) -> list[datetime]:
    """When the replies of *source* posted after *since* were sent, oldest first."""
    stmt = (
        select(CitizenReply.sent_at)
        .where(CitizenReply.source == source, col(CitizenReply.sent_at) > since)
        .order_by(col(CitizenReply.sent_at))
    )
    return [t for t in session.exec(stmt) if t is not None]


def hour_window_free_at(
    *, session: Session, source: str, max_per_hour: int, now: datetime
) -> datetime | None:
    """None while *source* may post another reply this hour; else when it may again."""
    sent = sent_since(session=session, source=source, since=now - timedelta(hours=1))
    if len(sent) < max_per_hour:
        return None
    return sent[len(sent) - max_per_hour] + timedelta(hours=1)


def disable_account(engine: Engine, source: str, reason: str) -> None:
    """Switch a source's reply channel off (an expired token); reading is not affected."""
    now = utcnow()
    with Session(engine) as session:
        state = session.get(ReplyAccountState, source) or ReplyAccountState(source=source)
        state.disabled_reason = reason[:1000]
        state.disabled_at = now
        session.add(state)
        session.commit()


def enable_account(engine: Engine, source: str) -> bool:
    """Switch a source's reply channel on again (its token was renewed)."""
    with Session(engine) as session:
        state = session.get(ReplyAccountState, source)
        if state is None or state.disabled_at is None:
            return False
        state.disabled_reason = None
        state.disabled_at = None
        session.add(state)
        session.commit()
        return True


def disabled_accounts(*, session: Session) -> list[ReplyAccountState]:
    """Sources whose reply channel is off, and why."""
    stmt = select(ReplyAccountState).where(col(ReplyAccountState.disabled_at).is_not(None))
    return list(session.exec(stmt.order_by(col(ReplyAccountState.source))))


def replies_of(*, session: Session, complaint_id: int) -> list[CitizenReply]:
    """A complaint's replies, oldest first."""
    stmt = select(CitizenReply).where(CitizenReply.complaint_id == complaint_id)
    return list(session.exec(stmt.order_by(col(CitizenReply.id))))


def reply_queue(
    *, session: Session, statuses: tuple[str, ...], limit: int = 100
) -> list[tuple[CitizenReply, Complaint, Mention]]:
    """Replies in *statuses* with their complaint and mention, oldest first."""
    stmt = (
        select(CitizenReply, Complaint, Mention)
        .join(Complaint, col(Complaint.id) == col(CitizenReply.complaint_id))
        .join(Mention, col(Mention.id) == col(CitizenReply.mention_id))
        .where(col(CitizenReply.status).in_(statuses))
        .order_by(col(CitizenReply.id))
        .limit(limit)
    )
    return [(r, c, m) for r, c, m in session.exec(stmt)]


def reply_counts(*, session: Session) -> dict[str, int]:
    """How many replies are in each status."""
    stmt = select(CitizenReply.status, func.count()).group_by(CitizenReply.status)
    return {status: int(n) for status, n in session.exec(stmt)}


def reply_with_context(
    *, session: Session, reply_id: int
) -> tuple[CitizenReply, Complaint, Mention] | None:
    """A reply, its complaint and the mention it answers."""
    reply = session.get(CitizenReply, reply_id)
    if reply is None:
        return None
    complaint = session.get(Complaint, reply.complaint_id)
    mention = session.get(Mention, reply.mention_id)
    assert complaint is not None and mention is not None
    return reply, complaint, mention
