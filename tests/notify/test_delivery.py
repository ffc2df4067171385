"""Outbox delivery against real local receivers: SMTP (aiosmtpd), webhooks (pytest-httpserver).

Everything listens on 127.0.0.1; the webhook receiver verifies every signature and
timestamp itself (with hmac, not with aduan's code) and answers 401 when they are wrong.
"""

import hashlib
import hmac
import ipaddress
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from werkzeug import Request, Response

from aduan.settings import AgencyConfig, DeliveryConfig, SmtpConfig
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import make_engine, session_scope
from models.mentions import insert_mentions
from models.migrate import upgrade
from models.tables import Agency, Mention, Outbox
from notify import delivery
from notify.delivery import (
    DeliveryResult,
    backoff_delay,
    claim_due,
    deliver_due,
    record_outcome,
    retry_dead,
)
from notify.digest import send_digests
from notify.settings import SmtpSecurity, lease
from notify.webhook_channel import sign, verify_signature
from tests.support.factories import mention
from tests.support.mail import Mailbox
from tests.support.net import free_port
from tests.support.numbers import number

WEBHOOK_SECRET = "rahasia-uji-webhook"
#: the variable the test inbox names for its webhook secret
WEBHOOK_SECRET_ENV = "ADUAN_TEST_WEBHOOK_SECRET"
#: when the test rows become due: 04:00 WITA on 20 November
FILED_AT = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
#: the test clock: 10:00 WITA the same day
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
#: what citizens may write: markup, line breaks, spreadsheet formulas; carried as data
NASTY = "<script>alert('x')</script> lampu mati\nbaris kedua =cmd|' /C calc'!A0\n& \"kutip\""


# --- receivers ------------------------------------------------------------------------


@dataclass
class Received:
    event_id: str
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]


@dataclass
class Receiver:
    """A webhook endpoint that checks signatures itself, then answers as told."""

    url: str
    events: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    #: (status, headers) to answer, in order; then *status*
    replies: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request) -> Response:
        raw = request.get_data()
        stamp = request.headers.get("X-Aduan-Timestamp", "")
        signed = stamp.encode() + b"." + raw
        expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Aduan-Signature", "")
        if not hmac.compare_digest(expected, given):
            self.rejected.append("bad signature")
            return Response("bad signature", status=401)
        if abs(time.time() - int(stamp)) > 300:
            self.rejected.append("stale timestamp")
            return Response("stale", status=401)
        with self.lock:
            self.events.append(
                Received(
                    request.headers["X-Aduan-Event-Id"], dict(request.headers), raw, json.loads(raw)
                )
            )
            status, headers = self.replies.pop(0) if self.replies else (self.status, {})
        if self.delay:
            time.sleep(self.delay)
        return Response("diterima", status=status, headers=headers)


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def receiver(http_server: HTTPServer) -> Iterator[Receiver]:
    http_server.clear()
    rec = Receiver(http_server.url_for("/hook"))
    http_server.expect_request("/hook", method="POST").respond_with_handler(rec)
    yield rec
    assert rec.rejected == []


@pytest.fixture(autouse=True)
def webhook_secret() -> Iterator[None]:
    """The secret the receiver checks, where the inbox's config says to read it.

    Its own MonkeyPatch, so a test's ``monkeypatch.undo()`` leaves the secret in place.
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv(WEBHOOK_SECRET_ENV, WEBHOOK_SECRET)
        yield


@pytest.fixture(autouse=True)
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff takes the top of its jitter range, so schedules are exact."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """One store is enough for tests of channel behaviour."""
    eng = make_engine(f"sqlite:///{tmp_path / 'aduan.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


# --- helpers --------------------------------------------------------------------------


def _settings(
    smtp_port: int = 1, *, smtp_security: SmtpSecurity = "none", **changes: Any
) -> DeliveryConfig:
    """The config's delivery section, as the daemon hands it to the worker."""
    smtp = SmtpConfig(
        host="127.0.0.1",
        port=smtp_port,
        security=smtp_security,
        from_address="aduan@denpasarkota.go.id",
        timeout_seconds=2,
    )
    values: dict[str, Any] = {
        "smtp": smtp,
        "webhook_timeout_seconds": 2,
        "allow_private_webhooks": True,
        "max_attempts": 3,
        "backoff_base_seconds": 10,
        "backoff_max_seconds": 100,
    }
    values.update(changes)
    return DeliveryConfig(**values)


def _targets(
    receiver: Receiver | None = None, *, secret: str | None = WEBHOOK_SECRET, **changes: Any
) -> dict[str, AgencyConfig]:
    """The LPJU inbox as configured; its webhook secret comes from the environment."""
    values: dict[str, Any] = {
        "code": "LPJU",
        "name": "Dinas Perhubungan - Unit LPJU",
        "email": "lpju@denpasarkota.go.id",
        "webhook_url": receiver.url if receiver else None,
        "webhook_secret_env": WEBHOOK_SECRET_ENV if secret is not None else None,
    }
    values.update(changes)
    return {"LPJU": AgencyConfig(**values)}


def _file(
    engine: Engine,
    n: int,
    *,
    channels: tuple[str, ...] = ("email",),
    text: str | None = None,
    inbox: str = "LPJU",
    due: datetime = FILED_AT,
    details: dict[str, Any] | None = None,
) -> int:
    """File the n-th mention as a complaint; its outbox rows come due at *due*."""
    with session_scope(engine) as s:
        sync_agencies(
            session=s,
            agencies=[Agency(code="LPJU", name="LPJU"), Agency(code="PDAM", name="PDAM")],
        )
        insert_mentions(session=s, mentions=[mention(n, text=text)])
    with session_scope(engine) as s:
        m = s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()
        complaint = file_complaint(
            session=s,
            mention=m,
            category="LPJU",
            inbox=inbox,
            confidence=0.9,
            routed_by="model:test",
            channels=channels,
            details=details,
        )
        assert complaint is not None and complaint.id is not None
        s.execute(
            update(Outbox)
            .where(col(Outbox.complaint_id) == complaint.id)
            .values(next_attempt_at=due)
        )
        return complaint.id


def _rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))))


def _one(engine: Engine) -> Outbox:
    rows = _rows(engine)
    assert len(rows) == 1
    return rows[0]


# --- e-mail ---------------------------------------------------------------------------


def test_email_carries_the_complaint_as_plain_text(engine: Engine, smtp: Mailbox) -> None:
    place = {
        "kecamatan": "Denpasar Selatan",
        "desa": "Sesetan",
        "street": "Jalan Raya Sesetan",
        "location_span": "jl raya sesetan",
        "inside_city": True,
    }
    cid = _file(engine, 1, text=NASTY, details=place)
    result = deliver_due(engine=engine, settings=_settings(smtp.port), agencies=_targets(), now=NOW)
    assert result == DeliveryResult(sent=1)
    row = _one(engine)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, NOW)
    [msg] = smtp.messages
    assert msg["To"] == "lpju@denpasarkota.go.id"
    assert msg["Subject"].startswith(f"[Aduan {number(1)}] Pengaduan baru LPJU: <script>")
    assert msg["Message-ID"] == f"<aduan-{row.id}@denpasarkota.go.id>"
    assert msg["X-Aduan-Event"] == f"aduan-{row.id}"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
    body = msg.get_content()
    for line in NASTY.splitlines():
        assert "    " + line in body  # verbatim, indented as a quotation
    assert f"Nomor pengaduan : {number(1)} (#{cid})" in body
    assert "Kategori        : LPJU" in body
    assert "Jalan Raya Sesetan, Desa/Kel. Sesetan, Kec. Denpasar Selatan" in body
    # the mention was posted at 01:01 UTC: 09:01 in Denpasar
    assert "twitter - @warga1 (Warga 1) - 20-11-2026 09:01 WITA" in body
    assert "Tautan: https://x.com/warga1/status/1001" in body
    assert f"ID peristiwa: aduan-{row.id}" in body


def test_smtp_4xx_is_retried_and_5xx_is_final(sqlite_engine: Engine, smtp: Mailbox) -> None:
    for n in (1, 2, 3):
        _file(sqlite_engine, n)
    smtp.rcpt_replies = ["451 4.3.0 Mailbox busy, try later", "550 5.1.1 Mailbox unknown"]
    smtp.data_replies = ["554 5.7.1 Message rejected as spam"]
    result = deliver_due(
        engine=sqlite_engine, settings=_settings(smtp.port), agencies=_targets(), now=NOW
    )
    assert result == DeliveryResult(retried=1, dead=2)
    busy, unknown, spam = _rows(sqlite_engine)
    assert busy.status == "pending" and busy.next_attempt_at == NOW + timedelta(seconds=10)
    assert busy.last_error is not None and "451 4.3.0 Mailbox busy" in busy.last_error
    assert busy.last_error.startswith("attempt 1/3: ")
    assert unknown.status == "dead" and "550 5.1.1 Mailbox unknown" in (unknown.last_error or "")
    assert spam.status == "dead" and "554 5.7.1" in (spam.last_error or "")
    assert smtp.messages == []
    again = deliver_due(
        engine=sqlite_engine,
        settings=_settings(smtp.port),
        agencies=_targets(),
        now=NOW + timedelta(seconds=10),
    )
    assert again == DeliveryResult(sent=1)
    assert len(smtp.messages) == 1


def test_starttls_missing_on_the_server_is_retried(sqlite_engine: Engine, smtp: Mailbox) -> None:
    _file(sqlite_engine, 1)
    settings = _settings(smtp.port, smtp_security="starttls")
    result = deliver_due(engine=sqlite_engine, settings=settings, agencies=_targets(), now=NOW)
    assert result == DeliveryResult(retried=1)
    assert "does not support starttls" in (_one(sqlite_engine).last_error or "")


# --- webhooks -------------------------------------------------------------------------


def test_webhook_is_signed_json_of_the_complaint(engine: Engine, receiver: Receiver) -> None:
    cid = _file(engine, 1, channels=("webhook",), text=NASTY)
    result = deliver_due(engine=engine, settings=_settings(), agencies=_targets(receiver), now=NOW)
    assert result == DeliveryResult(sent=1)
    row = _one(engine)
    assert row.status == "sent"
    [got] = receiver.events
    assert got.event_id == f"aduan-{row.id}"
    assert got.headers["X-Aduan-Event"] == "complaint.filed"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.headers["X-Aduan-Signature"].startswith("sha256=")
    event = got.body
    assert (event["event_id"], event["event"]) == (f"aduan-{row.id}", "complaint.filed")
    complaint = event["complaint"]
    assert (complaint["id"], complaint["category"], complaint["inbox"]) == (cid, "LPJU", "LPJU")
    assert complaint["status"] == "baru" and complaint["location"] is None
    [m] = complaint["mentions"]
    assert m["text"] == NASTY  # carried verbatim as data
    assert m["author_handle"] == "warga1" and m["url"] == "https://x.com/warga1/status/1001"
    assert datetime.fromisoformat(m["created_at"]) == datetime(2026, 11, 20, 1, 1, tzinfo=UTC)
    assert b"<script>" in got.raw and b"\\n" in got.raw and b"\n" not in got.raw


def test_signature_helpers_round_trip() -> None:
    body = b'{"a":1}'
    signature = sign(WEBHOOK_SECRET, 1_800_000_000, body)
    ok = verify_signature(
        WEBHOOK_SECRET, timestamp="1800000000", body=body, signature=signature, now=1_800_000_100
    )
    assert ok
    assert not verify_signature(
        WEBHOOK_SECRET,
        timestamp="1800000000",
        body=b'{"a":2}',
        signature=signature,
        now=1_800_000_100,
    )
    assert not verify_signature(
        WEBHOOK_SECRET, timestamp="1800000000", body=body, signature=signature, now=1_800_000_301
    )
    assert not verify_signature(
        "other", timestamp="1800000000", body=body, signature=signature, now=1_800_000_000
    )


def test_server_error_then_success(engine: Engine, receiver: Receiver) -> None:
    _file(engine, 1, channels=("webhook",))
    receiver.replies = [(500, {})]
    settings, targets = _settings(), _targets(receiver)
    first = deliver_due(engine=engine, settings=settings, agencies=targets, now=NOW)
    assert first == DeliveryResult(retried=1)
    row = _one(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=10)
    assert row.last_error is not None and "answered HTTP 500: diterima" in row.last_error
    early = deliver_due(
        engine=engine, settings=settings, agencies=targets, now=NOW + timedelta(seconds=9)
    )
    assert early == DeliveryResult()
    later = deliver_due(
        engine=engine, settings=settings, agencies=targets, now=NOW + timedelta(seconds=10)
    )
    assert later == DeliveryResult(sent=1)
    assert [e.event_id for e in receiver.events] == [f"aduan-{row.id}"] * 2
    assert _one(engine).attempts == 2


def test_backoff_schedule_is_exponential_capped_and_jittered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings()  # base 10 s, max 100 s; no_jitter takes the top of the range
    assert [backoff_delay(n, settings) for n in range(1, 7)] == [10, 20, 40, 80, 100, 100]
    assert backoff_delay(10_000, settings) == 100
    monkeypatch.setattr(random, "uniform", lambda low, high: low)
    assert backoff_delay(3, settings) == 0
    assert backoff_delay(3, settings, retry_after=50) == 50  # Retry-After is a floor
    assert backoff_delay(3, settings, retry_after=5000) == 100  # capped
    monkeypatch.undo()
    samples = [backoff_delay(3, settings) for _ in range(200)]
    assert all(0 <= s <= 40 for s in samples) and len(set(samples)) > 100


def test_dead_letter_after_max_attempts_and_retry_dead(engine: Engine, receiver: Receiver) -> None:
    _file(engine, 1, channels=("webhook",))
    receiver.status = 503
    settings, targets = _settings(), _targets(receiver)
    outcomes = []
    for n in range(3):
        when = NOW + timedelta(hours=n)
        outcomes.append(deliver_due(engine=engine, settings=settings, agencies=targets, now=when))
    assert outcomes == [
        DeliveryResult(retried=1),
        DeliveryResult(retried=1),
        DeliveryResult(dead=1),
    ]
    row = _one(engine)
    assert (row.status, row.attempts) == ("dead", 3)
    assert row.last_error is not None
    assert row.last_error.startswith("gave up after 3 attempts: webhook http://127.0.0.1:")
    assert "HTTP 503" in row.last_error
    later = NOW + timedelta(days=1)
    assert deliver_due(engine=engine, settings=settings, agencies=targets, now=later).total == 0

    assert row.id is not None
    assert retry_dead(engine=engine, outbox_id=row.id, now=later)
    assert not retry_dead(engine=engine, outbox_id=row.id)  # pending now, not dead
    assert not retry_dead(engine=engine, outbox_id=row.id + 100)
    back = _one(engine)
    assert (back.status, back.attempts, back.next_attempt_at) == ("pending", 0, later)
    receiver.status = 200
    result = deliver_due(engine=engine, settings=settings, agencies=targets, now=later)
    assert result == DeliveryResult(sent=1)
    assert len(receiver.events) == 4


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (400, "dead"),
        (401, "dead"),
        (404, "dead"),
        (410, "dead"),
        (422, "dead"),
        (408, "retried"),
        (429, "retried"),
        (500, "retried"),
        (502, "retried"),
        (503, "retried"),
    ],
)
def test_status_codes(sqlite_engine: Engine, receiver: Receiver, status: int, outcome: str) -> None:
    _file(sqlite_engine, 1, channels=("webhook",))
    receiver.status = status
    result = deliver_due(
        engine=sqlite_engine, settings=_settings(), agencies=_targets(receiver), now=NOW
    )
    assert getattr(result, outcome) == 1 and result.total == 1
    assert f"HTTP {status}" in (_one(sqlite_engine).last_error or "")


def test_retry_after_is_honoured_and_capped(sqlite_engine: Engine, receiver: Receiver) -> None:
    _file(sqlite_engine, 1, channels=("webhook",))
    _file(sqlite_engine, 2, channels=("webhook",))
    receiver.replies = [(429, {"Retry-After": "50"}), (503, {"Retry-After": "86400"})]
    deliver_due(engine=sqlite_engine, settings=_settings(), agencies=_targets(receiver), now=NOW)
    asked, capped = _rows(sqlite_engine)
    assert asked.next_attempt_at == NOW + timedelta(seconds=50)  # above the jitter's 10 s
    assert capped.next_attempt_at == NOW + timedelta(seconds=100)  # backoff_max


def test_redirects_are_not_followed(sqlite_engine: Engine, receiver: Receiver) -> None:
    _file(sqlite_engine, 1, channels=("webhook",))
    receiver.replies = [(302, {"Location": "http://127.0.0.1:1/elsewhere?token=x"})]
    result = deliver_due(
        engine=sqlite_engine, settings=_settings(), agencies=_targets(receiver), now=NOW
    )
    assert result == DeliveryResult(dead=1)
    error = _one(sqlite_engine).last_error or ""
    assert "HTTP 302 (redirect to http://127.0.0.1:1/elsewhere?...)" in error
    assert "redirects are not followed" in error
    assert len(receiver.events) == 1


def test_unreachable_receivers_are_retried(sqlite_engine: Engine) -> None:
    closed = free_port()
    _file(sqlite_engine, 1, channels=("email", "webhook"))
    targets = _targets(webhook_url=f"http://127.0.0.1:{closed}/hook")
    result = deliver_due(
        engine=sqlite_engine, settings=_settings(closed), agencies=targets, now=NOW
    )
    assert result == DeliveryResult(retried=2)
    email, webhook = _rows(sqlite_engine)
    assert f"SMTP server 127.0.0.1:{closed} failed" in (email.last_error or "")
    assert "Connection refused" in (email.last_error or "")
    assert "cannot connect (Connection refused)" in (webhook.last_error or "")


def test_slow_receiver_times_out_and_is_retried(sqlite_engine: Engine, receiver: Receiver) -> None:
    _file(sqlite_engine, 1, channels=("webhook",))
    receiver.delay = 1.0
    started = time.monotonic()
    result = deliver_due(
        engine=sqlite_engine,
        settings=_settings(webhook_timeout_seconds=0.2),
        agencies=_targets(receiver),
        now=NOW,
    )
    assert time.monotonic() - started < 0.9
    assert result == DeliveryResult(retried=1)
    assert "timed out after 0.2 s" in (_one(sqlite_engine).last_error or "")


def test_webhook_without_a_secret_is_never_sent(engine: Engine, receiver: Receiver) -> None:
    _file(engine, 1, channels=("webhook",))
    result = deliver_due(
        engine=engine, settings=_settings(), agencies=_targets(receiver, secret=None), now=NOW
    )
    assert result == DeliveryResult(dead=1)
    assert "no signing secret; refusing to send an unsigned webhook" in (
        _one(engine).last_error or ""
    )
    assert receiver.events == []


def test_private_address_is_refused_at_send_time(sqlite_engine: Engine, receiver: Receiver) -> None:
    _file(sqlite_engine, 1, channels=("webhook",))
    result = deliver_due(
        engine=sqlite_engine,
        settings=_settings(allow_private_webhooks=False),
        agencies=_targets(receiver),
        now=NOW,
    )
    assert result == DeliveryResult(dead=1)
    assert "host '127.0.0.1' is a loopback address" in (_one(sqlite_engine).last_error or "")
    assert receiver.events == []


def test_connected_address_is_checked_against_dns_rebinding(
    sqlite_engine: Engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name checks out as public, but the connection lands on loopback: refused."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    real = socket.getaddrinfo

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "hooks.example" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(
        "notify.urlcheck.resolve_host",
        lambda host, port: [ipaddress.ip_address("93.184.216.34")],
    )
    _file(sqlite_engine, 1, channels=("webhook",))
    result = deliver_due(
        engine=sqlite_engine,
        settings=_settings(allow_private_webhooks=False),
        agencies=_targets(webhook_url=f"http://hooks.example:{port}/hook"),
        now=NOW,
    )
    assert result == DeliveryResult(dead=1)
    assert "the connection reached 127.0.0.1, a loopback address" in (
        _one(sqlite_engine).last_error or ""
    )
    assert receiver.events == []


def test_rows_without_a_configured_target_are_dead_lettered(sqlite_engine: Engine) -> None:
    _file(sqlite_engine, 1, channels=("email",), inbox="PDAM")
    _file(sqlite_engine, 2, channels=("email", "webhook"))
    result = deliver_due(
        engine=sqlite_engine,
        settings=_settings(),
        agencies=_targets(email=None),
        now=NOW,
    )
    assert result == DeliveryResult(dead=3)
    errors = [r.last_error for r in _rows(sqlite_engine)]
    assert errors == [
        "agency PDAM is not configured",
        "agency LPJU has no e-mail address",
        "agency LPJU has no webhook URL",
    ]


# --- claims, leases, several workers --------------------------------------------------


class Crash(BaseException):
    """Stands for kill -9: nothing after it runs."""


def test_a_crash_after_sending_resends_after_the_lease(
    engine: Engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _file(engine, 1, channels=("webhook",))
    settings, targets = _settings(), _targets(receiver)

    def crash(**kwargs: Any) -> Any:
        raise Crash

    monkeypatch.setattr(delivery, "record_outcome", crash)
    with pytest.raises(Crash):
        deliver_due(engine=engine, settings=settings, agencies=targets, now=NOW)
    monkeypatch.undo()
    row = _one(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=lease(settings))
    inside = NOW + timedelta(seconds=lease(settings) - 1)
    assert deliver_due(engine=engine, settings=settings, agencies=targets, now=inside).total == 0
    after = NOW + timedelta(seconds=lease(settings))
    result = deliver_due(engine=engine, settings=settings, agencies=targets, now=after)
    assert result == DeliveryResult(sent=1)
    # At least once: the receiver saw it twice, under one event id to dedupe on.
    assert [e.event_id for e in receiver.events] == [f"aduan-{row.id}"] * 2


def test_rows_are_released_when_the_lease_runs_low(
    engine: Engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in (1, 2, 3):
        _file(engine, n, channels=("webhook",))
    ticks = iter([0.0, 0.0, 10_000.0])
    monkeypatch.setattr(delivery, "_monotonic", lambda: next(ticks))
    result = deliver_due(engine=engine, settings=_settings(), agencies=_targets(receiver), now=NOW)
    assert result == DeliveryResult(sent=1)
    first, *rest = _rows(engine)
    assert first.status == "sent"
    for row in rest:
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, NOW)
    assert len(receiver.events) == 1


def test_an_expired_claim_cannot_overwrite_the_next_one(engine: Engine) -> None:
    _file(engine, 1, channels=("webhook",))
    settings = _settings()
    [slow] = claim_due(engine, now=NOW, lease_seconds=60, limit=10)
    [taken_over] = claim_due(engine, now=NOW + timedelta(seconds=61), lease_seconds=60, limit=10)
    assert (slow.attempts, taken_over.attempts) == (1, 2)
    lost = record_outcome(engine=engine, claim=slow, failure=None, settings=settings, now=NOW)
    assert lost == "lost"
    assert _one(engine).status == "pending"
    done = record_outcome(engine=engine, claim=taken_over, failure=None, settings=settings, now=NOW)
    assert done == "sent"


def test_two_workers_never_send_the_same_row(engine: Engine, receiver: Receiver) -> None:
    """Two daemon instances (two engines, two threads) share the queue on either store."""
    rows = 30
    for n in range(rows):
        _file(engine, n, channels=("webhook",))
    receiver.delay = 0.01  # sends overlap with the other worker's claims
    # A send that times out is retried later: under the full suite's load a 2 s timeout
    # was once exceeded (the receiver had the event, the worker counted a retry). This
    # test is about claims, so its sends get time enough.
    patient = _settings(webhook_timeout_seconds=20)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    start = threading.Barrier(2)
    totals: list[DeliveryResult] = []
    errors: list[BaseException] = []

    def work(eng: Engine) -> None:
        try:
            start.wait()
            mine = DeliveryResult()
            while True:
                r = deliver_due(
                    engine=eng, settings=patient, agencies=_targets(receiver), now=NOW, limit=3
                )
                if r.total == 0:
                    break
                mine.sent += r.sent
            totals.append(mine)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work, args=(e,)) for e in (engine, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    other.dispose()
    assert errors == []
    counts = Counter(e.event_id for e in receiver.events)
    assert len(counts) == rows and set(counts.values()) == {1}
    assert sum(t.sent for t in totals) == rows
    assert {r.status for r in _rows(engine)} == {"sent"}


# --- daily digest ---------------------------------------------------------------------


def _wita(day: int, hour: int, minute: int = 0) -> datetime:
    """A time given in WITA (UTC+8), as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_digest_goes_out_once_a_day(engine: Engine, smtp: Mailbox, receiver: Receiver) -> None:
    settings = _settings(smtp.port, digest_hour=7)
    targets = _targets(receiver, digest=True)
    early = _wita(20, 6, 30)
    c1 = _file(engine, 1, channels=("email", "webhook"), text=NASTY, due=_wita(20, 5))
    c2 = _file(engine, 2, channels=("email", "webhook"), due=_wita(20, 6))

    # Webhooks stay immediate; the e-mail rows wait for the digest.
    assert deliver_due(engine=engine, settings=settings, agencies=targets, now=early).sent == 2
    assert len(receiver.events) == 2 and smtp.messages == []
    assert send_digests(engine=engine, settings=settings, agencies=targets, now=early).total == 0

    first = send_digests(engine=engine, settings=settings, agencies=targets, now=_wita(20, 7, 5))
    assert first == DeliveryResult(sent=2)
    [digest] = smtp.messages
    assert digest["Subject"] == (
        "[Aduan] Ringkasan harian 20-11-2026: 2 pengaduan untuk Dinas Perhubungan - Unit LPJU"
    )
    assert digest.get_content_type() == "text/plain"
    body = digest.get_content()
    assert f"Nomor pengaduan : {number(1)} (#{c1})" in body
    assert f"Nomor pengaduan : {number(2)} (#{c2})" in body
    for line in NASTY.splitlines():
        assert "    " + line in body
    emails = [r for r in _rows(engine) if r.channel == "email"]
    assert {r.status for r in emails} == {"sent"}
    assert {r.payload["digest"] for r in emails} == {digest["X-Aduan-Event"]}

    # A complaint filed later that day waits for tomorrow's digest.
    c3 = _file(engine, 3, channels=("email", "webhook"), due=_wita(20, 8))
    assert deliver_due(engine=engine, settings=settings, agencies=targets, now=_wita(20, 8)).sent
    for when in (_wita(20, 8), _wita(20, 23, 59), _wita(21, 6, 59)):
        assert send_digests(engine=engine, settings=settings, agencies=targets, now=when).total == 0
    second = send_digests(engine=engine, settings=settings, agencies=targets, now=_wita(21, 7))
    assert second == DeliveryResult(sent=1)
    assert len(smtp.messages) == 2
    latest = smtp.messages[-1].get_content()
    assert f"#{c3}" in latest and f"#{c1}\n" not in latest
    assert (
        send_digests(engine=engine, settings=settings, agencies=targets, now=_wita(21, 9)).total
        == 0
    )


def test_a_failed_digest_is_retried_whole(sqlite_engine: Engine, smtp: Mailbox) -> None:
    settings = _settings(smtp.port)
    targets = _targets(digest=True)
    for n in (1, 2):
        _file(sqlite_engine, n, due=_wita(20, 5))
    smtp.rcpt_replies = ["451 4.7.1 Greylisted, try again later"]
    at = _wita(20, 7)
    failed = send_digests(engine=sqlite_engine, settings=settings, agencies=targets, now=at)
    assert failed == DeliveryResult(retried=2)
    assert {r.next_attempt_at for r in _rows(sqlite_engine)} == {at + timedelta(seconds=10)}
    # A row filed meanwhile does not start a partial digest while the others back off.
    _file(sqlite_engine, 3, due=at)
    soon = at + timedelta(seconds=5)
    assert (
        send_digests(engine=sqlite_engine, settings=settings, agencies=targets, now=soon).total == 0
    )
    retry = at + timedelta(seconds=10)
    done = send_digests(engine=sqlite_engine, settings=settings, agencies=targets, now=retry)
    assert done == DeliveryResult(sent=3)
    assert len(smtp.messages) == 1
    assert (
        deliver_due(engine=sqlite_engine, settings=settings, agencies=targets, now=retry)
        == DeliveryResult()
    )
