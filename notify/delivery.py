"""The outbox delivery worker: e-mail and signed webhooks, retried with backoff.

Delivery is **at least once**. Filing a complaint writes its outbox rows in the same
transaction (``models.complaints.file_complaint``); this worker sends them::

    pending --claim--> (still pending: attempts + 1, next_attempt_at = now + lease)
        |-- delivered ----------------------------------------> sent (sent_at)
        |-- permanent failure, or attempts == max_attempts ----> dead (last_error)
        '-- temporary failure: next_attempt_at = now + backoff, back to pending
    dead --retry_dead--> pending (attempts 0)

The claim is one short transaction: ``UPDATE outbox SET attempts = attempts + 1,
next_attempt_at = now + lease WHERE id IN (SELECT id ... ORDER BY id LIMIT n FOR
UPDATE SKIP LOCKED) RETURNING ...`` on PostgreSQL, so several daemon instances share
the queue without taking the same row; SQLite runs the same statement without the
locking clause (it has one writer at a time). Sending happens outside any
transaction, and the outcome is recorded in another short one, only if the row still
carries this claim's attempt number: a worker whose lease ran out cannot overwrite the
outcome of the worker that took the row over.

A worker that dies between claim and record leaves the row leased; it is sent again
once the lease expires, so a receiver may see one notification twice. Receivers dedupe
on the event id ``aduan-<outbox id>``: the ``X-Aduan-Event-Id`` header and ``event_id``
field of webhooks, the ``Message-ID`` and ``X-Aduan-Event`` headers of e-mail.

Dead rows stay in the table with their ``last_error`` for the dashboard.

Who a row goes to is its ``recipient`` (``models.vocab.OutboxRecipient``): "inbox",
the agency's own address (the ``agencies`` mapping), or a further contact of it
(escalation, head of agency, or the administrators for rows of no agency), looked up in
the ``contacts`` mapping by ``notify.settings.contact_key``. Rows announcing no
complaint (source alerts, incidents, overdue digests) carry their whole document in
the payload, already masked when it was written.
"""

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import requests
from sqlalchemy import and_, not_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from models.complaints import mentions_of
from models.confidential import CONFIDENTIAL_NOTICE
from models.masking import mask_personal
from models.notices import sample_texts
from models.replies import REPLY_CHANNEL
from models.tables import Complaint, Mention, Outbox
from models.types import utcnow
from models.vocab import OutboxRecipient, OutboxStatus
from notify.email_channel import EmailFailed, complaint_email, notice_email, send_email
from notify.replies import ReplyPolicy
from notify.reply_delivery import attempt_reply
from notify.settings import (
    Contact,
    DeliverySettings,
    Recipient,
    SmtpSettings,
    contact_key,
    email_in_digest,
    lease,
    settings_budget,
)
from notify.webhook_channel import WebhookFailed, post_event, webhook_session

log = logging.getLogger(__name__)

#: what became of one claimed row ("lost": another worker took it over)
Outcome = Literal["sent", "retried", "dead", "lost"]

#: time.monotonic, as a module attribute so tests can make a lease run out
_monotonic = time.monotonic

_ERROR_LIMIT = 1000


@dataclass
class DeliveryResult:
    """Outbox rows handled by one pass: delivered, left for a retry, dead-lettered."""

    sent: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def total(self) -> int:
        """Rows whose outcome was recorded."""
        return self.sent + self.retried + self.dead

    def count(self, outcome: Outcome) -> None:
        """Add one row's outcome (a lost claim counts nowhere: its new owner counts it)."""
        if outcome == "sent":
            self.sent += 1
        elif outcome == "retried":
            self.retried += 1
        elif outcome == "dead":
            self.dead += 1


@dataclass(frozen=True)
class Claim:
    """An outbox row reserved by this worker; *attempts* is the claim's fencing token."""

    id: int
    complaint_id: int | None
    agency_code: str | None
    channel: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    recipient: str = OutboxRecipient.INBOX

    @property
    def event_id(self) -> str:
        """The id receivers dedupe on."""
        return event_id(self.id)

    @property
    def event_type(self) -> str:
        """What happened: ``complaint.filed``, ``complaint.reassigned``."""
        return str(self.payload.get("event", "complaint.filed"))


@dataclass(frozen=True)
class Failure:
    """Why an attempt failed and whether another attempt can help."""

    message: str
    permanent: bool
    retry_after: float | None = None


def event_id(outbox_id: int) -> str:
    """The stable event id of an outbox row, the same on every attempt."""
    return f"aduan-{outbox_id}"


def backoff_delay(
    attempts: int, settings: DeliverySettings, retry_after: float | None = None
) -> float:
    """Seconds to wait after the *attempts*-th failed attempt: exponential, full jitter.

    ``uniform(0, min(max, base * 2 ** (attempts - 1)))``; jitter spreads the retries of
    many rows that failed together (a receiver that was down). A receiver's Retry-After
    is a floor, itself capped at the maximum.
    """
    exponent = min(max(attempts - 1, 0), 60)
    ceiling = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2**exponent)
    delay = random.uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.backoff_max_seconds))
    return delay


def claim_due(
    engine: Engine,
    *,
    now: datetime,
    lease_seconds: float,
    limit: int,
    channel: str | None = None,
    agency_code: str | None = None,
    recipient: str | None = None,
    skip_email_of: Sequence[str] = (),
) -> list[Claim]:
    """Reserve up to *limit* due pending rows, oldest first, for *lease_seconds*; commits.

    *skip_email_of*: agencies whose e-mail rows to the inbox wait for the digest.
    """
    due = select(col(Outbox.id)).where(
        col(Outbox.status) == OutboxStatus.PENDING, col(Outbox.next_attempt_at) <= now
    )
    if channel is not None:
        due = due.where(col(Outbox.channel) == channel)
    if agency_code is not None:
        due = due.where(col(Outbox.agency_code) == agency_code)
    if recipient is not None:
        due = due.where(col(Outbox.recipient) == recipient)
    if skip_email_of:
        due = due.where(
            not_(
                and_(
                    col(Outbox.channel) == "email",
                    col(Outbox.recipient) == OutboxRecipient.INBOX,
                    col(Outbox.agency_code).in_(skip_email_of),
                )
            )
        )
    due = due.order_by(col(Outbox.id)).limit(limit)
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(Outbox)
        .where(col(Outbox.id).in_(due))
        .values(
            attempts=col(Outbox.attempts) + 1,
            next_attempt_at=now + timedelta(seconds=lease_seconds),
        )
        .returning(
            col(Outbox.id),
            col(Outbox.complaint_id),
            col(Outbox.agency_code),
            col(Outbox.channel),
            col(Outbox.payload),
            col(Outbox.attempts),
            col(Outbox.created_at),
            col(Outbox.recipient),
        )
    )
    with engine.begin() as conn:
        rows = conn.execute(stmt).all()
    claims = [
        Claim(
            id=r.id,
            complaint_id=r.complaint_id,
            agency_code=r.agency_code,
            channel=r.channel,
            payload=dict(r.payload or {}),
            attempts=r.attempts,
            created_at=r.created_at,
            recipient=r.recipient,
        )
        for r in rows
    ]
    return sorted(claims, key=lambda c: c.id)  # RETURNING promises no order


def postpone(engine: Engine, claim: Claim, *, until: datetime, why: str) -> bool:
    """Make a claimed row wait until *until* without counting the attempt (a platform limit)."""
    with engine.begin() as conn:
        result = conn.execute(
            _owned(claim).values(
                attempts=claim.attempts - 1, next_attempt_at=until, last_error=_clip(why)
            )
        )
    if result.rowcount == 1:
        log.info("outbox %d: waits until %s: %s", claim.id, until.isoformat(), why)
    return result.rowcount == 1


def release(engine: Engine, claims: Iterable[Claim], *, now: datetime) -> int:
    """Give back claimed rows that were not attempted: due again, the attempt not counted."""
    released = 0
    with engine.begin() as conn:
        for claim in claims:
            result = conn.execute(
                _owned(claim).values(attempts=claim.attempts - 1, next_attempt_at=now)
            )
            released += result.rowcount
    return released


def record_outcome(
    *,
    engine: Engine,
    claim: Claim,
    failure: Failure | None,
    settings: DeliverySettings,
    now: datetime,
    delay: float | None = None,
    payload: dict[str, Any] | None = None,
) -> Outcome:
    """Record one attempt: sent, retried after a backoff (or *delay*), or dead; commits.

    Nothing is written when the row no longer carries this claim ("lost": the lease
    ran out and another worker took it over). *payload* replaces the row's payload
    when it was sent.
    """
    values: dict[str, Any]
    outcome: Outcome
    if failure is None:
        values = {"status": OutboxStatus.SENT, "sent_at": now}
        if payload is not None:
            values["payload"] = payload
        outcome = "sent"
    elif failure.permanent or claim.attempts >= settings.max_attempts:
        why = failure.message
        if not failure.permanent:
            why = f"gave up after {claim.attempts} attempts: {why}"
        values = {"status": OutboxStatus.DEAD, "last_error": _clip(why)}
        outcome = "dead"
    else:
        if delay is None:
            delay = backoff_delay(claim.attempts, settings, failure.retry_after)
        why = f"attempt {claim.attempts}/{settings.max_attempts}: {failure.message}"
        values = {"next_attempt_at": now + timedelta(seconds=delay), "last_error": _clip(why)}
        outcome = "retried"
    with engine.begin() as conn:
        if conn.execute(_owned(claim).values(**values)).rowcount != 1:
            log.warning(
                "outbox %d: the lease ran out and another worker took the row over; "
                "this attempt's outcome is not recorded",
                claim.id,
            )
            return "lost"
    if failure is None:
        log.debug("outbox %d: %s to %s sent", claim.id, claim.channel, claim.agency_code)
        return outcome
    if outcome == "dead":
        log.error(
            "outbox %d: %s to %s dead-lettered: %s",
            claim.id,
            claim.channel,
            claim.agency_code,
            values["last_error"],
        )
        return outcome
    log.warning(
        "outbox %d: %s to %s failed (attempt %d of %d), retrying in %.0f s: %s",
        claim.id,
        claim.channel,
        claim.agency_code,
        claim.attempts,
        settings.max_attempts,
        delay,
        failure.message,
    )
    return outcome


def _owned(claim: Claim) -> Any:
    """An UPDATE of *claim*'s row that matches only while this claim still holds it."""
    return update(Outbox).where(
        col(Outbox.id) == claim.id,
        col(Outbox.status) == OutboxStatus.PENDING,
        col(Outbox.attempts) == claim.attempts,
    )


def _clip(text: str) -> str:
    return text if len(text) <= _ERROR_LIMIT else text[: _ERROR_LIMIT - 3] + "..."


def complaint_document(complaint: Complaint, mentions: Sequence[Mention]) -> dict[str, Any]:
    """A complaint as notifications describe it (JSON-ready; times are ISO 8601 UTC).

    Everything citizens wrote is masked (``models.masking``): the texts, the display
    names and the place words. A confidential complaint is announced without its texts,
    authors, links or place words: only that it exists, its facts and where to read it.
    """
    secret = complaint.confidential
    location = None
    if complaint.kecamatan or complaint.desa or complaint.street or complaint.location_span:
        span = None if secret or not complaint.location_span else complaint.location_span
        location = {
            "kecamatan": complaint.kecamatan,
            "desa": complaint.desa,
            "street": complaint.street,
            "span": mask_personal(span) if span else None,
            "inside_city": complaint.inside_city,
        }
    return {
        "id": complaint.id,
        "public_number": complaint.public_number,
        "category": complaint.category,
        "inbox": complaint.inbox,
        "status": complaint.status,
        "confidential": secret,
        "created_at": _iso(complaint.created_at),
        "respond_by": _iso(complaint.respond_by),
        "follow_up_by": _iso(complaint.follow_up_by),
        "route_reason": complaint.route_reason,
        "reporters": complaint.reporters,
        "location": location,
        "mentions": [_mention_document(m, secret) for m in mentions],
    }


def _mention_document(m: Mention, secret: bool) -> dict[str, Any]:
    if secret:
        return {
            "platform": m.platform,
            "url": "",
            "text": CONFIDENTIAL_NOTICE,
            "author_handle": "",
            "author_name": "",
            "created_at": _iso(m.created_at),
        }
    return {
        "platform": m.platform,
        "url": m.url,
        "text": mask_personal(m.text),
        "author_handle": m.author_handle,
        "author_name": mask_personal(m.author_name),
        "created_at": _iso(m.created_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def complaint_events(engine: Engine, claims: Sequence[Claim]) -> dict[int, dict[str, Any]]:
    """The event document of each claim, by outbox id (none for a vanished complaint).

    The complaint is described as it is when sent, which may be later than the event.
    A row's ``notice`` (title and lines of an escalation, an alert) and ``data`` come
    from its payload, as written; a row of no complaint is its payload's document.
    """
    ids = sorted({c.complaint_id for c in claims if c.complaint_id is not None})
    with Session(engine) as session:
        stmt = select(Complaint).where(col(Complaint.id).in_(ids))
        complaints = {c.id: c for c in session.scalars(stmt)}
        mentions = mentions_of(session=session, complaint_ids=[i for i in ids if i in complaints])
        samples = {
            c.id: sample_texts(session, [int(i) for i in c.payload["samples_of"]])
            for c in claims
            if c.payload.get("samples_of")
        }
    events: dict[int, dict[str, Any]] = {}
    for claim in claims:
        event: dict[str, Any] = {
            "event_id": claim.event_id,
            "event": claim.event_type,
            "occurred_at": _iso(claim.created_at),
        }
        for key in ("notice", "data"):
            if key in claim.payload:
                event[key] = claim.payload[key]
        if claim.payload.get("samples_of") and isinstance(event.get("notice"), dict):
            texts = samples.get(claim.id, [])
            notice = dict(event["notice"])
            notice["lines"] = [*notice.get("lines", []), *(f"    {t}" for t in texts)]
            event["notice"] = notice
        if claim.complaint_id is not None:
            complaint = complaints.get(claim.complaint_id)
            if complaint is None:
                continue
            if claim.recipient != OutboxRecipient.PETUGAS:
                # A petugas's notice carries its own lines: no citizen's text or name.
                event["complaint"] = complaint_document(complaint, mentions[claim.complaint_id])
        events[claim.id] = event
    return events


def deliver_due(
    *,
    engine: Engine,
    settings: DeliverySettings,
    agencies: Mapping[str, Recipient],
    contacts: Mapping[str, Recipient] | None = None,
    now: datetime | None = None,
    limit: int = 100,
    replies: ReplyPolicy | None = None,
) -> DeliveryResult:
    """Send up to *limit* due outbox rows, oldest first, and record each outcome.

    E-mail rows to inboxes on the daily digest are left for ``notify.digest``. Safe to
    run in several processes at once; delivery is at least once (see the module doc),
    except replies to citizens, posted at most once (``notify.reply_delivery``) by the
    accounts of *replies*. *contacts*: further recipients by ``contact_key``. *now*
    fixes the clock (tests).
    """
    clock = _clock(now)
    result = DeliveryResult()
    waiting = sorted(code for code, target in agencies.items() if email_in_digest(target))
    claims = claim_due(
        engine, now=clock(), lease_seconds=lease(settings), limit=limit, skip_email_of=waiting
    )
    if not claims:
        return result
    claimed_at = _monotonic()
    events = complaint_events(engine, claims)
    http = None
    if any(c.channel == "webhook" for c in claims):
        http = webhook_session(settings.allow_private_webhooks)
    platforms = requests.Session() if any(c.channel == REPLY_CHANNEL for c in claims) else None
    try:
        for i, claim in enumerate(claims):
            if _monotonic() - claimed_at > lease(settings) - settings_budget(settings):
                # Too little lease left to finish a send: another worker could take the
                # row over meanwhile and send it too. Hand the rest back untouched.
                n = release(engine, claims[i:], now=clock())
                log.warning("delivery: lease nearly spent, %d claimed rows released", n)
                break
            if claim.channel == REPLY_CHANNEL:
                assert platforms is not None
                verdict = attempt_reply(
                    engine=engine,
                    reply_id=int(claim.payload.get("reply_id") or 0),
                    policy=replies,
                    http=platforms,
                    now=clock(),
                )
                if verdict.wait_until is not None:
                    if postpone(engine, claim, until=verdict.wait_until, why=verdict.error or ""):
                        result.count("retried")
                    continue
                failure = None
                if verdict.error is not None:
                    failure = Failure(verdict.error, verdict.permanent)
                result.count(
                    record_outcome(
                        engine=engine, claim=claim, failure=failure, settings=settings, now=clock()
                    )
                )
                continue
            target = recipient_of(claim, agencies, contacts or {})
            failure = attempt(claim, events.get(claim.id), target, settings, http)
            result.count(
                record_outcome(
                    engine=engine, claim=claim, failure=failure, settings=settings, now=clock()
                )
            )
    finally:
        if http is not None:
            http.close()
        if platforms is not None:
            platforms.close()
    log.info(
        "delivery: %d sent, %d to retry, %d dead-lettered", result.sent, result.retried, result.dead
    )
    return result


def recipient_of(
    claim: Claim, agencies: Mapping[str, Recipient], contacts: Mapping[str, Recipient]
) -> Recipient | None:
    """Where *claim* goes: its inbox's own address, one of the further contacts, or a
    petugas (their address in the payload; the webhook is their inbox's)."""
    if claim.recipient == OutboxRecipient.INBOX:
        return agencies.get(claim.agency_code or "")
    if claim.recipient == OutboxRecipient.PETUGAS:
        inbox = agencies.get(claim.agency_code or "")
        if claim.channel == "webhook":
            return inbox
        to = claim.payload.get("to")
        if not isinstance(to, str) or not to:
            return None
        name = str(claim.payload.get("to_name") or to)
        return Contact(code=claim.agency_code or "", name=name, email=to)
    return contacts.get(contact_key(claim.recipient, claim.agency_code))


def attempt(
    claim: Claim,
    event: Mapping[str, Any] | None,
    target: Recipient | None,
    settings: DeliverySettings,
    http: requests.Session | None = None,
) -> Failure | None:
    """Send one claimed row through its channel; None when it was delivered."""
    if target is None:
        if claim.recipient == OutboxRecipient.INBOX:
            return Failure(f"agency {claim.agency_code} is not configured", permanent=True)
        who = f"{claim.recipient} of {claim.agency_code or '-'}"
        return Failure(f"recipient {who} is not configured", permanent=True)
    if event is None:
        return Failure(f"complaint {claim.complaint_id} no longer exists", permanent=True)
    try:
        if claim.channel == "email":
            _send_email(event, target, settings)
        elif claim.channel == "webhook":
            _send_webhook(claim, event, target, settings, http)
        else:
            return Failure(f"unknown channel {claim.channel!r}", permanent=True)
    except (EmailFailed, WebhookFailed) as err:
        return Failure(str(err), err.permanent, getattr(err, "retry_after", None))
    except Exception as err:
        # A bug must not stop the batch; the row is retried and the traceback logged.
        log.exception("outbox %d: unexpected error while sending", claim.id)
        return Failure(f"unexpected error: {err!r}", permanent=False)
    return None


def smtp_options(smtp: SmtpSettings) -> dict[str, Any]:
    """The keyword arguments ``send_email`` needs, from the mail server's settings."""
    return {
        "host": smtp.host,
        "port": smtp.port,
        "security": smtp.security,
        "username": smtp.username,
        "password": smtp.password,
        "timeout": smtp.timeout_seconds,
    }


def _send_email(event: Mapping[str, Any], target: Recipient, settings: DeliverySettings) -> None:
    if not target.email:
        raise EmailFailed(f"agency {target.code} has no e-mail address", permanent=True)
    try:
        build = complaint_email if "complaint" in event else notice_email
        message = build(
            event,
            to=target.email,
            from_address=settings.smtp.from_address,
            agency_name=target.name,
        )
    except ValueError as err:
        # A malformed address or name in config: every attempt would fail the same way.
        raise EmailFailed(
            f"cannot build the e-mail to {target.email!r}: {err}", permanent=True
        ) from None
    send_email(message, **smtp_options(settings.smtp))


def _send_webhook(
    claim: Claim,
    event: Mapping[str, Any],
    target: Recipient,
    settings: DeliverySettings,
    http: requests.Session | None,
) -> None:
    if not target.webhook_url:
        raise WebhookFailed(f"agency {target.code} has no webhook URL", permanent=True)
    if not target.webhook_secret:
        raise WebhookFailed(
            f"agency {target.code} has a webhook URL but no signing secret; refusing to "
            f"send an unsigned webhook (set the variable named by webhook_secret_env)",
            permanent=True,
        )
    post_event(
        target.webhook_url,
        event,
        secret=target.webhook_secret,
        event_id=claim.event_id,
        event_type=claim.event_type,
        timeout=settings.webhook_timeout_seconds,
        allow_private=settings.allow_private_webhooks,
        session=http,
    )


def retry_dead(*, engine: Engine, outbox_id: int, now: datetime | None = None) -> bool:
    """Put a dead-lettered row back in the queue, due now with attempts reset.

    Returns False when there is no such row or it is not dead. ``last_error`` is kept
    until the next attempt replaces it.
    """
    stmt = (
        update(Outbox)
        .where(col(Outbox.id) == outbox_id, col(Outbox.status) == OutboxStatus.DEAD)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now or utcnow())
    )
    with engine.begin() as conn:
        changed = conn.execute(stmt).rowcount == 1
    if changed:
        log.info("outbox %d: dead row put back in the queue", outbox_id)
    return changed


def _clock(now: datetime | None) -> Callable[[], datetime]:
    """A fixed clock when *now* is given (tests), else the real one."""
    if now is None:
        return utcnow
    return lambda: now
