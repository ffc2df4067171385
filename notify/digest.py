"""Daily digests: one e-mail a day for agencies that asked for it, not one per complaint.

Filing writes outbox rows as usual. For an agency whose target has ``digest`` set (and
an e-mail address), ``deliver_due`` leaves its e-mail rows alone; ``send_digests``,
called on every delivery tick, sends them together once a day, at or after
``digest_hour`` WITA. Webhooks stay immediate.

A digest is one attempt for all its rows: they are claimed together, listed in one
message, and marked sent together (each row's payload gains ``"digest": <digest id>``,
which is also how "already sent today" is told) or retried together after one shared
backoff, so a failed digest is re-sent whole rather than split. While any of the
agency's e-mail rows waits for a later time (a digest backing off, or one claimed by a
worker that died), no new digest starts. A per-agency lock (``models.locks``) keeps two
daemon instances from sending the same day's digest twice.
"""

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from models.locks import try_lock
from models.tables import Outbox
from models.types import utcnow
from models.vocab import OutboxRecipient, OutboxStatus
from models.wita import WITA
from notify.delivery import (
    Claim,
    DeliveryResult,
    Failure,
    backoff_delay,
    claim_due,
    complaint_events,
    record_outcome,
    smtp_options,
)
from notify.email_channel import EmailFailed, digest_email, send_email
from notify.settings import DeliverySettings, Recipient, email_in_digest, lease

log = logging.getLogger(__name__)

#: rows listed in one digest at most; a larger backlog continues in the next day's
DIGEST_LIMIT = 1000


def digest_start(now: datetime, hour: int) -> datetime | None:
    """Today's digest time (UTC) if *now* is at or past it in WITA, else None."""
    local = now.astimezone(WITA)
    if local.hour < hour:
        return None
    return local.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(UTC)


def send_digests(
    *,
    engine: Engine,
    settings: DeliverySettings,
    agencies: Mapping[str, Recipient],
    now: datetime | None = None,
) -> DeliveryResult:
    """Send each digest agency's pending e-mail rows as one message, once a day.

    Cheap to call often: before ``digest_hour`` WITA, or once today's digest went out,
    it only reads. Counts are of outbox rows, not messages.
    """
    now = now or utcnow()
    result = DeliveryResult()
    since = digest_start(now, settings.digest_hour)
    if since is None:
        return result
    for code in sorted(agencies):
        target = agencies[code]
        if not email_in_digest(target):
            continue
        with try_lock(engine, f"digest:{code}") as mine:
            if not mine:
                continue  # another daemon instance is sending this agency's digest
            if _sent_since(engine, code, since) or _waiting(engine, code, now):
                continue
            claims = claim_due(
                engine,
                now=now,
                lease_seconds=lease(settings),
                limit=DIGEST_LIMIT,
                channel="email",
                agency_code=code,
                recipient=OutboxRecipient.INBOX,
            )
            if claims:
                _send_one(engine, settings, target, claims, now, result)
    if result.total:
        log.info(
            "digests: %d rows sent, %d to retry, %d dead-lettered",
            result.sent,
            result.retried,
            result.dead,
        )
    return result


def _sent_since(engine: Engine, code: str, since: datetime) -> bool:
    """Whether a digest went to *code* at or after *since*."""
    stmt = select(col(Outbox.payload)).where(
        col(Outbox.agency_code) == code,
        col(Outbox.channel) == "email",
        col(Outbox.recipient) == OutboxRecipient.INBOX,
        col(Outbox.status) == OutboxStatus.SENT,
        col(Outbox.sent_at) >= since,
    )
    with engine.connect() as conn:
        return any(isinstance(p, dict) and "digest" in p for p in conn.scalars(stmt))


def _waiting(engine: Engine, code: str, now: datetime) -> bool:
    """Whether an e-mail row of *code* is held back (backing off, or claimed elsewhere)."""
    stmt = select(
        exists().where(
            col(Outbox.agency_code) == code,
            col(Outbox.channel) == "email",
            col(Outbox.recipient) == OutboxRecipient.INBOX,
            col(Outbox.status) == OutboxStatus.PENDING,
            col(Outbox.next_attempt_at) > now,
        )
    )
    with engine.connect() as conn:
        return bool(conn.scalar(stmt))


def _send_one(
    engine: Engine,
    settings: DeliverySettings,
    target: Recipient,
    claims: list[Claim],
    now: datetime,
    result: DeliveryResult,
) -> None:
    events = complaint_events(engine, claims)
    for claim in claims:
        if claim.id not in events:
            gone = Failure(f"complaint {claim.complaint_id} no longer exists", permanent=True)
            result.count(
                record_outcome(engine=engine, claim=claim, failure=gone, settings=settings, now=now)
            )
    listed = [c for c in claims if c.id in events]
    if not listed:
        return
    assert target.email is not None
    digest_id = f"aduan-digest-{target.code}-{listed[0].id}-{listed[-1].id}"
    failure: Failure | None = None
    try:
        message = digest_email(
            [events[c.id] for c in listed],
            to=target.email,
            from_address=settings.smtp.from_address,
            agency_name=target.name,
            digest_id=digest_id,
            day=now.astimezone(WITA).date(),
        )
        send_email(message, **smtp_options(settings.smtp))
    except EmailFailed as err:
        failure = Failure(str(err), err.permanent)
    except ValueError as err:
        failure = Failure(f"cannot build the digest to {target.email!r}: {err}", permanent=True)
    except Exception as err:
        log.exception("digest for %s: unexpected error while sending", target.code)
        failure = Failure(f"unexpected error: {err!r}", permanent=False)
    # One backoff for the whole digest, so its rows come due together again.
    delay = None
    if failure is not None:
        delay = backoff_delay(max(c.attempts for c in listed), settings)
    for claim in listed:
        payload = {**claim.payload, "digest": digest_id} if failure is None else None
        result.count(
            record_outcome(
                engine=engine,
                claim=claim,
                failure=failure,
                settings=settings,
                now=now,
                delay=delay,
                payload=payload,
            )
        )
    if failure is None:
        log.info("digest %s: %d notifications sent to %s", digest_id, len(listed), target.code)
