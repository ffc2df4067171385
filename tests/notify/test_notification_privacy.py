"""What notifications may say about citizens: masked personal data, nothing of a secret.

A post carrying a NIK, KK, phone number, e-mail address, plate and a house address is
filed; the e-mail (real SMTP server on loopback), the daily digest and the webhook
(real HTTP server on loopback) must not carry any of it unmasked. A confidential
complaint's notifications carry no text, author, link or place words at all. Both
stores.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from werkzeug import Request, Response

from aduan.settings import AgencyConfig, DeliveryConfig, SmtpConfig
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.confidential import CONFIDENTIAL_NOTICE, set_confidential
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Agency, Mention, Outbox
from notify.delivery import DeliveryResult, deliver_due
from notify.digest import send_digests
from tests.support.factories import mention
from tests.support.mail import Mailbox
from tests.support.personal import ADDRESS, HOSTILE_TEXT, NIK, PHONE, leaks

SECRET_ENV = "ADUAN_TEST_PRIVACY_HOOK_SECRET"
FILED_AT = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
#: 10:00 WITA: after the digest hour (7)
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
#: the citizen's display name carries a phone number too
NAME = f"Kadek Sari {PHONE}"
SPAN = "Jl. Teuku Umar No. 12"


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def hook(http_server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """The raw bodies the webhook receiver got."""
    monkeypatch.setenv(SECRET_ENV, "rahasia-uji")
    bodies: list[bytes] = []

    def handle(request: Request) -> Response:
        bodies.append(request.get_data())
        return Response("ok", status=200)

    http_server.clear()
    http_server.expect_request("/hook", method="POST").respond_with_handler(handle)
    yield bodies


def _settings(smtp_port: int) -> DeliveryConfig:
    smtp = SmtpConfig(host="127.0.0.1", port=smtp_port, from_address="aduan@denpasarkota.go.id")
    return DeliveryConfig(smtp=smtp, allow_private_webhooks=True, webhook_timeout_seconds=2)


def _targets(url: str | None, *, digest: bool = False) -> dict[str, AgencyConfig]:
    return {
        "LPJU": AgencyConfig(
            code="LPJU",
            name="Dinas Perhubungan - Unit LPJU",
            email="lpju@denpasarkota.go.id",
            webhook_url=url,
            webhook_secret_env=SECRET_ENV if url else None,
            digest=digest,
        )
    }


def _file(engine: Engine, *, channels: tuple[str, ...], confidential: bool = False) -> int:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=[Agency(code="LPJU", name="LPJU")])
        insert_mentions(session=s, mentions=[mention(1, text=HOSTILE_TEXT, author_name=NAME)])
    with session_scope(engine) as s:
        m = s.exec(select(Mention).where(Mention.platform_id == "1001")).one()
        details: dict[str, Any] = {"street": "Jalan Teuku Umar", "location_span": SPAN}
        complaint = file_complaint(
            session=s,
            mention=m,
            category="LPJU",
            inbox="LPJU",
            confidence=0.9,
            routed_by="model:test",
            channels=channels,
            details=details,
        )
        assert complaint is not None and complaint.id is not None
        s.execute(
            update(Outbox)
            .where(col(Outbox.complaint_id) == complaint.id)
            .values(next_attempt_at=FILED_AT)
        )
        cid = complaint.id
    if confidential:
        with session_scope(engine) as s:
            set_confidential(session=s, complaint_id=cid, confidential=True, actor="operator1")
    return cid


def test_email_and_webhook_carry_no_personal_data(
    engine: Engine, smtp: Mailbox, hook: list[bytes], http_server: HTTPServer
) -> None:
    _file(engine, channels=("email", "webhook"))
    targets = _targets(http_server.url_for("/hook"))
    result = deliver_due(engine=engine, settings=_settings(smtp.port), agencies=targets, now=NOW)
    assert result == DeliveryResult(sent=2)
    [msg] = smtp.messages
    mail = str(msg["Subject"]) + "\n" + msg.get_content()
    [raw] = hook
    webhook = raw.decode()
    for exit_text in (mail, webhook):
        assert leaks(exit_text) == [] and leaks(exit_text, (NAME, SPAN)) == []
    # What the agency needs is still there: the problem and the street.
    event = json.loads(raw)
    [m] = event["complaint"]["mentions"]
    assert "lampu jalan mati" in m["text"] and "Jl. Teuku Umar No. [nomor]" in m["text"]
    assert "[NIK]" in m["text"] and "[telepon]" in m["text"] and "[email]" in m["text"]
    assert m["author_name"] == "Kadek Sari [telepon]" and m["author_handle"] == "warga1"
    assert event["complaint"]["location"]["span"] == "Jl. Teuku Umar No. [nomor]"
    assert event["complaint"]["confidential"] is False
    assert "Jl. Teuku Umar No. [nomor]" in mail and "[NIK]" in mail


def test_the_daily_digest_carries_no_personal_data(engine: Engine, smtp: Mailbox) -> None:
    _file(engine, channels=("email",))
    targets = _targets(None, digest=True)
    assert deliver_due(engine=engine, settings=_settings(smtp.port), agencies=targets, now=NOW) == (
        DeliveryResult()
    )
    sent = send_digests(engine=engine, settings=_settings(smtp.port), agencies=targets, now=NOW)
    assert sent == DeliveryResult(sent=1)
    [msg] = smtp.messages
    body = msg.get_content()
    assert leaks(body) == [] and NIK not in body and "[NIK]" in body


def test_a_confidential_complaint_is_announced_without_text_or_author(
    engine: Engine, smtp: Mailbox, hook: list[bytes], http_server: HTTPServer
) -> None:
    cid = _file(engine, channels=("email", "webhook"), confidential=True)
    targets = _targets(http_server.url_for("/hook"))
    result = deliver_due(engine=engine, settings=_settings(smtp.port), agencies=targets, now=NOW)
    assert result == DeliveryResult(sent=2)
    [msg] = smtp.messages
    mail = str(msg["Subject"]) + "\n" + msg.get_content()
    event = json.loads(hook[0])
    complaint = event["complaint"]
    assert complaint["id"] == cid and complaint["confidential"] is True
    [m] = complaint["mentions"]
    assert m == {
        "platform": "twitter",
        "url": "",
        "text": CONFIDENTIAL_NOTICE,
        "author_handle": "",
        "author_name": "",
        "created_at": m["created_at"],
    }
    assert complaint["location"]["span"] is None
    assert complaint["location"]["street"] == "Jalan Teuku Umar"  # the place is no secret
    for exit_text in (mail, hook[0].decode()):
        assert "lampu" not in exit_text and "warga1" not in exit_text
        assert "Teuku Umar No." not in exit_text and ADDRESS not in exit_text
    assert CONFIDENTIAL_NOTICE in mail
