"""Replies to citizens in tests: a policy for the test source, a filed complaint, delivery."""

import json
from datetime import UTC, datetime
from typing import Any

import responses
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from aduan.settings import DeliveryConfig, SmtpConfig
from lifecycle.status import history
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import CitizenReply, Complaint, Mention, Outbox
from models.vocab import HistoryKind, ReplyChannel
from notify.delivery import DeliveryResult, deliver_due
from notify.replies import ReplyAccount, ReplyPolicy, acknowledge
from notify.settings import Recipient
from tests.support.factories import agencies, mention
from tests.support.paths import FIXTURES

#: the factories' mentions come from this source
SOURCE = "test"
TRACKING = "https://aduan.denpasarkota.go.id/lacak/"
#: when the tests deliver: later than any outbox row the tests write (rows are due at once)
NOW = datetime(2030, 1, 7, 3, 0, tzinfo=UTC)
X_API = "https://api.twitter.com/2"
X_USER_ID = "1234567890"
GRAPH = "https://graph.facebook.com/v21.0"
PAGE_ID = "101234567890"
#: the secrets' environment variables (tests set them with monkeypatch)
X_ENV = {
    "consumer_key": "ADUAN_TEST_X_CK",
    "consumer_secret": "ADUAN_TEST_X_CS",
    "access_token": "ADUAN_TEST_X_AT",
    "access_token_secret": "ADUAN_TEST_X_ATS",
}
GRAPH_ENV = {"page_access_token": "ADUAN_TEST_PAGE_TOKEN"}


def policy(
    channel: ReplyChannel = ReplyChannel.X, *, mode: str = "auto", **changes: Any
) -> ReplyPolicy:
    """Replies for the test source on *channel*."""
    secrets = {ReplyChannel.X: X_ENV}.get(channel, GRAPH_ENV)
    options = {"user_id": X_USER_ID, "page_id": PAGE_ID, "api_version": "v21.0"}
    options.update(changes.pop("options", {}))
    fields: dict[str, Any] = {
        "source": SOURCE,
        "channel": channel,
        "mode": mode,
        "own_handles": frozenset({"prodenpasar", "pemkotdenpasar"}),
        "secrets": secrets,
        "options": options,
    }
    fields.update(changes)
    account = ReplyAccount(**fields)
    return ReplyPolicy(
        accounts={account.source: account},
        tracking_url=TRACKING,
        agency_names={"PDAM": "PDAM Denpasar", "LPJU": "Dishub LPJU", "KOMINFO": "Diskominfos"},
    )


def set_secrets(monkeypatch: Any) -> None:
    """Every test secret set in the environment."""
    for env in (*X_ENV.values(), *GRAPH_ENV.values()):
        monkeypatch.setenv(env, f"secret-{env.lower()}")


def store_mentions(engine: Engine, *mentions: Any) -> list[Mention]:
    """Store the agencies and *mentions* (MentionIn); the stored rows in order."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=list(mentions))
    with Session(engine) as s:
        return list(s.exec(select(Mention).order_by(Mention.id)))  # type: ignore[arg-type]


def file_with_ack(
    engine: Engine,
    replies: ReplyPolicy | None,
    n: int = 1,
    *,
    confidential: bool = False,
    **mention_fields: Any,
) -> int:
    """File the n-th factory mention in PDAM and draft its acknowledgement; the complaint id."""
    [stored] = [
        m
        for m in store_mentions(engine, mention(n, **mention_fields))
        if m.platform_id == str(1000 + n)
    ]
    with session_scope(engine) as s:
        m = s.merge(stored)
        c = file_complaint(
            session=s,
            mention=m,
            category="PDAM",
            inbox="PDAM",
            confidence=0.9,
            routed_by="t",
            details={"confidential": confidential},
        )
        assert c is not None and c.id is not None
        acknowledge(session=s, policy=replies, complaint=c, mention=m)
        return c.id


def settings(**changes: Any) -> DeliveryConfig:
    """The delivery section the worker gets (no SMTP is used by replies)."""
    values: dict[str, Any] = {
        "smtp": SmtpConfig(host="127.0.0.1", port=1, timeout_seconds=1),
        "max_attempts": 3,
        "backoff_base_seconds": 10,
        "backoff_max_seconds": 100,
    }
    values.update(changes)
    return DeliveryConfig(**values)


def targets() -> dict[str, Recipient]:
    """The agencies as the worker sees them (replies need none of their addresses)."""
    from aduan.settings import AgencyConfig

    return {a.code: AgencyConfig(code=a.code, name=a.name) for a in agencies()}


def deliver(engine: Engine, replies: ReplyPolicy | None, now: datetime = NOW) -> DeliveryResult:
    """One pass of the delivery worker at *now*."""
    return deliver_due(
        engine=engine, settings=settings(), agencies=targets(), now=now, replies=replies
    )


def replies_in(engine: Engine) -> list[CitizenReply]:
    """Every reply row, oldest first."""
    with Session(engine) as s:
        return list(s.exec(select(CitizenReply).order_by(CitizenReply.id)))  # type: ignore[arg-type]


def reply_rows(engine: Engine) -> list[Outbox]:
    """The outbox rows that post replies."""
    with Session(engine) as s:
        stmt = select(Outbox).where(Outbox.channel == "reply").order_by(Outbox.id)  # type: ignore[arg-type]
        return list(s.exec(stmt))


def number_of(engine: Engine, complaint_id: int) -> str:
    """A complaint's public number."""
    with Session(engine) as s:
        c = s.get(Complaint, complaint_id)
        assert c is not None
        return c.public_number


def recorded(platform: str, name: str) -> str:
    """A recorded answer's text."""
    return (FIXTURES / platform / name).read_text(encoding="utf-8")


def posted(api: responses.RequestsMock, method: str = "POST") -> list[Any]:
    """The calls made with *method*."""
    return [c for c in api.calls if c.request.method == method]


def body_of(call: Any) -> dict[str, Any]:
    """A JSON request body."""
    data: dict[str, Any] = json.loads(call.request.body)
    return data


def reply_entries(engine: Engine, complaint_id: int) -> list[tuple[str, str, str, str]]:
    """A complaint's history entries about replies: (actor, from status, to status, note)."""
    with Session(engine) as s:
        return [
            (h.actor, str(h.from_status), str(h.to_status), h.note)
            for h in history(session=s, complaint_id=complaint_id)
            if h.kind == HistoryKind.BALASAN
        ]
