"""Posting one claimed reply row: at most once per (mention, event, round), never silently lost.

The outbox row (channel ``reply``) is claimed like any other (``notify.delivery``):
leases and the attempt fencing token keep two daemons from posting the same row at
once. What the outbox cannot know is whether a platform accepted a post whose answer
never arrived (a crash, a 502/503, a timeout). So ``attempted_at`` is committed before
each post, and an attempt that finds it set first looks for our own reply to that post
(``notify.reply_channel.find_own``: the account's timeline, the post's comments) and
records that reply instead of posting again.

Outcomes: posted (or found) -> the reply is ``sent`` with the platform's id; a platform
limit or the hourly cap per account -> the row waits, no attempt used; a deleted or
unanswerable post -> ``skipped``; an expired token -> the source's reply channel is
switched off and the reply ``blocked``; anything else another attempt can help -> the
outbox retries with backoff, then dead-letters. Every reason is kept on the reply row,
shown on the complaint and on the dashboard.
"""

import logging
from datetime import datetime

import requests
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.replies import (
    disable_account,
    hour_window_free_at,
    mark_attempted,
    mark_sent,
    mark_unsent,
    reply_with_context,
)
from models.tables import ReplyAccountState
from models.vocab import ReplyStatus
from notify.replies import ReplyAccount, ReplyPolicy
from notify.reply_channel import ReplyFailed, Target, find_own, post

log = logging.getLogger(__name__)


class Verdict:
    """What became of one reply attempt, for the outbox."""

    def __init__(
        self,
        *,
        error: str | None = None,
        permanent: bool = False,
        wait_until: datetime | None = None,
    ) -> None:
        self.error = error
        self.permanent = permanent
        self.wait_until = wait_until

    @property
    def sent(self) -> bool:
        """The reply is on the platform (posted now, or found from an earlier attempt)."""
        return self.error is None and self.wait_until is None


def attempt_reply(
    *,
    engine: Engine,
    reply_id: int,
    policy: ReplyPolicy | None,
    http: requests.Session,
    now: datetime,
) -> Verdict:
    """Post reply *reply_id* unless it is on the platform already."""
    with Session(engine) as session:
        found = reply_with_context(session=session, reply_id=reply_id)
        if found is None:
            return Verdict(error=f"balasan #{reply_id} tidak ada lagi", permanent=True)
        reply, complaint, mention = found
        state = session.get(ReplyAccountState, reply.source)
        disabled = state.disabled_reason if state and state.disabled_at else None
        account = policy.accounts.get(reply.source) if policy else None
        wait = None
        if account is not None and disabled is None:
            wait = hour_window_free_at(
                session=session, source=reply.source, max_per_hour=account.max_per_hour, now=now
            )
    if reply.status == ReplyStatus.SENT:
        return Verdict()  # recorded before a crash; the outbox row catches up
    if reply.status in (ReplyStatus.DRAFT, ReplyStatus.DISCARDED, ReplyStatus.MANUAL):
        return Verdict(error=f"balasan #{reply_id} berstatus {reply.status}", permanent=True)
    if account is None:
        why = f"sumber {reply.source} tidak lagi dikonfigurasi untuk membalas"
        mark_unsent(engine, reply_id, ReplyStatus.BLOCKED, why)
        return Verdict(error=why, permanent=True)
    if disabled is not None:
        why = f"saluran balasan {reply.source} dimatikan: {disabled}"
        mark_unsent(engine, reply_id, ReplyStatus.BLOCKED, why)
        return Verdict(error=why, permanent=True)
    if wait is not None:
        why = f"batas {account.max_per_hour} balasan per jam untuk {reply.source} tercapai"
        mark_unsent(engine, reply_id, ReplyStatus.QUEUED, why)
        return Verdict(error=why, wait_until=wait)
    target = Target(reply_id, mention.platform_id, complaint.public_number, reply.text)
    try:
        if reply.attempted_at is not None:
            # An earlier attempt may have been accepted: look before posting again.
            earlier = find_own(account, target, http)
            if earlier is not None:
                log.info(
                    "reply %d: found our earlier reply %s; not posted again", reply_id, earlier
                )
                mark_sent(engine, reply_id, earlier, now)
                return Verdict()
        mark_attempted(engine, reply_id, now)
        platform_id = post(account, target, http)
    except ReplyFailed as err:
        return _failed(engine, reply_id, reply.source, account, target, http, err, now)
    mark_sent(engine, reply_id, platform_id, now)
    return Verdict()


def _failed(
    engine: Engine,
    reply_id: int,
    source: str,
    account: ReplyAccount,
    target: Target,
    http: requests.Session,
    err: ReplyFailed,
    now: datetime,
) -> Verdict:
    if err.duplicate:
        # X refuses the same text twice: usually our earlier post went through.
        try:
            earlier = find_own(account, target, http)
        except ReplyFailed as lookup:
            earlier = None
            log.warning("reply %d: looking for our earlier reply failed: %s", reply_id, lookup)
        if earlier is not None:
            mark_sent(engine, reply_id, earlier, now)
            return Verdict()
        mark_unsent(engine, reply_id, ReplyStatus.BLOCKED, err.message)
        return Verdict(error=err.message, permanent=True)
    if err.wait_until is not None:
        mark_unsent(engine, reply_id, ReplyStatus.QUEUED, err.message)
        return Verdict(error=err.message, wait_until=err.wait_until)
    if err.gone:
        mark_unsent(engine, reply_id, ReplyStatus.SKIPPED, err.message)
        return Verdict(error=err.message, permanent=True)
    if err.credentials:
        disable_account(engine, source, err.message)
        mark_unsent(engine, reply_id, ReplyStatus.BLOCKED, err.message)
        log.error("reply channel of %s switched off: %s", source, err.message)
        return Verdict(error=err.message, permanent=True)
    if err.permanent:
        mark_unsent(engine, reply_id, ReplyStatus.BLOCKED, err.message)
        return Verdict(error=err.message, permanent=True)
    mark_unsent(engine, reply_id, ReplyStatus.QUEUED, err.message)
    return Verdict(error=err.message)
