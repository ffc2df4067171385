"""The new petugas is told through the outbox, in the assignment's transaction, without
citizens' data; a petugas without an address is recorded as not notifiable."""

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from werkzeug import Request, Response

from aduan.settings import AgencyConfig, DeliveryConfig, SmtpConfig
from lifecycle.assignment import assign, assignment_history
from lifecycle.bulk import bulk_apply
from models.accounts import set_email
from models.db import session_scope
from models.exceptions import NotFound
from models.tables import Complaint, ComplaintAssignment, Outbox
from models.vocab import OutboxRecipient, OutboxStatus
from notify.delivery import deliver_due
from notify.webhook_channel import verify_signature
from tests.support.mail import Mailbox
from tests.support.routing import POLICY
from tests.support.web import add_complaint, add_user

BASE = "https://aduan.denpasarkota.go.id"
#: the test policy with the inbox's address for links, and a webhook for LPJU
NOTICE_POLICY = replace(
    POLICY, web_base_url=BASE, channels={"LPJU": ("email", "webhook"), "PDAM": ("email",)}
)
SECRET_ENV = "ADUAN_TEST_ASSIGN_HOOK_SECRET"
SECRET = "rahasia-penugasan"
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def _rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as s:
        stmt = select(Outbox).where(Outbox.recipient == OutboxRecipient.PETUGAS)
        return list(s.exec(stmt.order_by(col(Outbox.id))))


def _notified(engine: Engine) -> list[str | None]:
    with Session(engine) as s:
        rows = s.exec(select(ComplaintAssignment).order_by(col(ComplaintAssignment.id)))
        return [r.notified for r in rows]


@pytest.fixture
def desk(engine: Engine) -> dict[str, int]:
    """ayu (PDAM, with e-mail), budi (PDAM, none), citra (LPJU, with e-mail)."""
    add_user(engine, "ayu", "agency", agency="PDAM")
    add_user(engine, "budi", "agency", agency="PDAM")
    add_user(engine, "citra", "agency", agency="LPJU")
    with session_scope(engine) as s:
        set_email(session=s, username="ayu", email=" Ayu.Lestari@PDAM.Denpasarkota.go.id ")
        set_email(session=s, username="citra", email="citra@dishub.example.org")
    return {
        "pdam": add_complaint(engine, 1, inbox="PDAM"),
        "pdam2": add_complaint(engine, 2, inbox="PDAM"),
        "pdam3": add_complaint(engine, 3, inbox="PDAM"),
        "lpju": add_complaint(engine, 4, inbox="LPJU", category="LPJU"),
    }


def _settings(port: int) -> DeliveryConfig:
    smtp = SmtpConfig(
        host="127.0.0.1", port=port, from_address="aduan@denpasarkota.go.id", timeout_seconds=2
    )
    return DeliveryConfig(smtp=smtp, webhook_timeout_seconds=2, allow_private_webhooks=True)


def test_the_petugas_gets_one_email_naming_the_number_and_link_not_the_citizen(
    engine: Engine, desk: dict[str, int], smtp: Mailbox
) -> None:
    cid = desk["pdam"]
    assign(engine=engine, complaint_id=cid, assignee="ayu", actor="ops", policy=NOTICE_POLICY)
    [row] = _rows(engine)
    assert (row.channel, row.agency_code, row.complaint_id) == ("email", "PDAM", cid)
    assert row.payload["to"] == "Ayu.Lestari@pdam.denpasarkota.go.id"
    assert row.payload["event"] == "complaint.assigned"
    assert _notified(engine) == ["email"]
    with Session(engine) as s:
        number = s.get(Complaint, cid).public_number  # type: ignore[union-attr]
    agencies = {"PDAM": AgencyConfig(code="PDAM", name="PDAM Denpasar")}
    result = deliver_due(engine=engine, settings=_settings(smtp.port), agencies=agencies, now=LATER)
    assert result.sent == 1
    [msg] = smtp.messages
    assert msg["To"] == "Ayu.Lestari@pdam.denpasarkota.go.id"
    assert number and number in msg["Subject"]
    body = msg.get_content()
    assert f"{BASE}/complaints/{cid}" in body and number in body
    # Nothing the citizen wrote or who they are (see tests.support.factories.mention).
    for personal in ("air mati lagi", "warga1", "Warga 1", "x.com", "sesetan"):
        assert personal not in body and personal not in msg["Subject"]


def test_a_petugas_without_an_address_is_recorded_as_not_notifiable(
    engine: Engine, desk: dict[str, int]
) -> None:
    cid = desk["pdam"]
    complaint = assign(
        engine=engine, complaint_id=cid, assignee="budi", actor="ops", policy=NOTICE_POLICY
    )
    assert complaint.assignee_id is not None  # assigned all the same
    assert _rows(engine) == []
    assert _notified(engine) == ["none"]
    with Session(engine) as s:
        [entry] = assignment_history(session=s, complaint_id=cid)
    assert entry.notified == "none"


def test_reassigning_tells_only_the_new_petugas_and_unassigning_nobody(
    engine: Engine, desk: dict[str, int]
) -> None:
    cid = desk["pdam"]
    assign(engine=engine, complaint_id=cid, assignee="budi", actor="ops", policy=NOTICE_POLICY)
    assign(engine=engine, complaint_id=cid, assignee="ayu", actor="budi", policy=NOTICE_POLICY)
    assign(engine=engine, complaint_id=cid, assignee="ayu", actor="budi", policy=NOTICE_POLICY)
    assign(engine=engine, complaint_id=cid, assignee=None, actor="ayu", policy=NOTICE_POLICY)
    assert [r.payload["to"] for r in _rows(engine)] == ["Ayu.Lestari@pdam.denpasarkota.go.id"]
    assert _notified(engine) == ["none", "email", None]


def test_bulk_assignment_queues_one_notice_per_complaint(
    engine: Engine, desk: dict[str, int]
) -> None:
    ids = [desk["pdam"], desk["pdam2"], desk["pdam3"]]
    assign(engine=engine, complaint_id=ids[0], assignee="ayu", actor="ops")
    before = len(_rows(engine))
    result = bulk_apply(
        engine=engine,
        ids=ids,
        action="petugas",
        actor="ops",
        assignee="ayu",
        policy=NOTICE_POLICY,
    )
    assert result.ok and result.changed == ids
    # The first was ayu's already: no new assignment, no second notice.
    new = _rows(engine)[before:]
    assert sorted(r.complaint_id or 0 for r in new) == ids[1:]
    assert {r.status for r in new} == {OutboxStatus.PENDING}


def test_a_refused_bulk_assignment_queues_nothing(engine: Engine, desk: dict[str, int]) -> None:
    """All or nothing: a PDAM user bulk-assigning with another inbox's id among them."""
    result = bulk_apply(
        engine=engine,
        ids=[desk["pdam"], desk["pdam2"], desk["lpju"]],
        action="petugas",
        actor="ayu",
        agency_code="PDAM",
        assignee="ayu",
        policy=NOTICE_POLICY,
    )
    assert not result.ok and result.refused == [(desk["lpju"], "pengaduan tidak ditemukan")]
    assert _rows(engine) == [] and _notified(engine) == []


def test_another_agencys_user_cannot_assign_and_nothing_is_queued(
    engine: Engine, desk: dict[str, int]
) -> None:
    with pytest.raises(NotFound):
        assign(
            engine=engine,
            complaint_id=desk["pdam"],
            assignee="citra",
            actor="citra",
            agency_code="LPJU",
            policy=NOTICE_POLICY,
        )
    assert _rows(engine) == [] and _notified(engine) == []


class _Hook:
    """Records signed webhook posts."""

    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        raw = request.get_data()
        ok = verify_signature(
            SECRET,
            timestamp=request.headers.get("X-Aduan-Timestamp", ""),
            body=raw,
            signature=request.headers.get("X-Aduan-Signature", ""),
        )
        if not ok:
            return Response("bad signature", status=401)
        with self.lock:
            self.events.append(json.loads(raw))
        return Response("ok", status=200)


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, _Hook]]:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    handler = _Hook()
    server.expect_request("/hook", method="POST").respond_with_handler(handler)
    yield server.url_for("/hook"), handler
    server.clear()
    server.stop()


def test_an_inbox_with_a_webhook_gets_the_assignment_without_citizen_data(
    engine: Engine, desk: dict[str, int], smtp: Mailbox, hook: tuple[str, _Hook]
) -> None:
    url, handler = hook
    cid = desk["lpju"]
    assign(engine=engine, complaint_id=cid, assignee="citra", actor="ops", policy=NOTICE_POLICY)
    assert sorted(r.channel for r in _rows(engine)) == ["email", "webhook"]
    assert _notified(engine) == ["email,webhook"]
    agencies = {
        "LPJU": AgencyConfig(
            code="LPJU", name="Dishub LPJU", webhook_url=url, webhook_secret_env=SECRET_ENV
        )
    }
    assert os.environ[SECRET_ENV] == SECRET
    result = deliver_due(engine=engine, settings=_settings(smtp.port), agencies=agencies, now=LATER)
    assert result.sent == 2, [r.last_error for r in _rows(engine)]
    [event] = handler.events
    assert event["event"] == "complaint.assigned"
    assert "complaint" not in event  # no complaint document, so no citizen text
    data = event["data"]
    assert isinstance(data, dict)
    assert data["assignee"] == "citra" and data["link"] == f"{BASE}/complaints/{cid}"
    text = json.dumps(event)
    assert "warga4" not in text and "air mati" not in text and "citra@" not in text
    [msg] = smtp.messages
    assert msg["To"] == "citra@dishub.example.org"
