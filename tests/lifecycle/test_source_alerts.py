"""Source alerts: one alert per source and cause when it breaks, one when it recovers."""

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from aduan import jobs
from aduan.settings import DeliveryConfig, SmtpConfig, SourceConfig
from aduan.wiring import alert_rules_for, contacts
from lifecycle.source_alerts import WatchedSource, check_sources, open_source_alerts
from models.db import make_engine, session_scope
from models.mentions import insert_mentions
from models.tables import Mention, Outbox, SourceAlert, SourceHealth
from models.vocab import SourceState
from notify.delivery import deliver_due
from tests.support.factories import mention
from tests.support.lifecycle import by_code, inboxes, later, settings_for
from tests.support.mail import Mailbox

NOW = later(10)
SOURCES = [WatchedSource("x-kota", read_cap=1000)]


def _settings(**alerts: Any) -> Any:
    return settings_for(inboxes(), alerts={"email": "admin@example.org", **alerts})


def _health(engine: Engine, **fields: Any) -> None:
    with session_scope(engine) as s:
        row = s.get(SourceHealth, "x-kota") or SourceHealth(source="x-kota", platform="twitter")
        for key, value in {"last_success_at": NOW - timedelta(minutes=5), **fields}.items():
            setattr(row, key, value)
        s.add(row)


def _check(engine: Engine, now: Any = NOW, **alerts: Any) -> tuple[list, list]:
    settings = _settings(**alerts)
    result = check_sources(
        engine=engine,
        sources=SOURCES,
        rules=alert_rules_for(settings),
        contacts=contacts(settings),
        now=now,
    )
    return result.opened, result.closed


def _events(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.recipient == "admins").order_by(col(Outbox.id)))
        return [(r.payload["event"], r.payload["data"]["cause"]) for r in rows]


def test_expired_token_alerts_once_and_recovery_once(engine: Engine) -> None:
    _health(engine, state=SourceState.OK)
    assert _check(engine) == ([], [])
    _health(
        engine,
        state=SourceState.DISABLED,
        disabled_reason="credentials rejected: token expired (401)",
        last_error="401 Unauthorized",
    )
    assert _check(engine) == ([("x-kota", "disabled")], [])
    for _ in range(3):  # later checks, restarts: no flood
        assert _check(engine) == ([], [])
    assert _events(engine) == [("source.alert", "disabled")]
    _health(engine, state=SourceState.OK, disabled_reason=None)
    assert _check(engine) == ([], [("x-kota", "disabled")])
    assert _check(engine) == ([], [])
    assert _events(engine) == [("source.alert", "disabled"), ("source.recovered", "disabled")]
    # A second episode is a new alert.
    _health(engine, state=SourceState.DISABLED)
    assert _check(engine) == ([("x-kota", "disabled")], [])
    with Session(engine) as s:
        assert len(s.exec(select(SourceAlert)).all()) == 2
        assert [a.cause for a in open_source_alerts(session=s)] == ["disabled"]


def test_rate_limit_and_failures_only_past_their_thresholds(engine: Engine) -> None:
    _health(
        engine,
        state=SourceState.RATE_LIMITED,
        rate_limited_until=NOW + timedelta(minutes=10),
        last_success_at=NOW - timedelta(minutes=30),
        consecutive_failures=1,
    )
    assert _check(engine) == ([], [])  # paused for 30 minutes: ordinary
    _health(engine, last_success_at=NOW - timedelta(minutes=90))
    assert _check(engine) == ([("x-kota", "rate_limited")], [])
    _health(engine, state=SourceState.FAILING, consecutive_failures=4)
    assert _check(engine) == ([], [("x-kota", "rate_limited")])
    _health(engine, consecutive_failures=5, last_error="HTTP 503 dari platform")
    assert _check(engine) == ([("x-kota", "failing")], [])
    with Session(engine) as s:
        alert = s.exec(select(SourceAlert).where(SourceAlert.cause == "failing")).one()
    assert "5 kali gagal berturut-turut" in alert.detail


def test_read_cap_warns_at_80_and_100_percent(engine: Engine) -> None:
    month = NOW.strftime("%Y-%m")
    _health(engine, state=SourceState.OK, reads_month=month, reads_this_month=799)
    assert _check(engine) == ([], [])
    _health(engine, reads_this_month=800)
    assert _check(engine) == ([("x-kota", "read_cap_80")], [])
    _health(engine, reads_this_month=1000, state=SourceState.BUDGET_EXHAUSTED)
    assert _check(engine) == ([("x-kota", "read_cap_100")], [])
    # A new month (the next run resets the state): both warnings close.
    _health(engine, state=SourceState.OK, last_success_at=NOW + timedelta(days=40))
    opened, closed = _check(engine, now=NOW + timedelta(days=40))
    assert opened == [] and sorted(closed) == [
        ("x-kota", "read_cap_100"),
        ("x-kota", "read_cap_80"),
    ]


def test_a_busy_source_gone_silent_is_reported(engine: Engine) -> None:
    _health(engine, state=SourceState.OK)
    # 15 mentions a day for the week before; the last one 30 hours ago.
    start = NOW - timedelta(hours=30) - timedelta(days=7)
    fetched = {str(1000 + n): start + timedelta(hours=n * 24 / 15) for n in range(1, 7 * 15 + 1)}
    with session_scope(engine) as s:
        insert_mentions(
            session=s, mentions=[mention(int(p) - 1000, source="x-kota") for p in fetched]
        )
    with session_scope(engine) as s:
        for row in s.exec(select(Mention)).all():
            row.fetched_at = fetched[row.platform_id]
            s.add(row)
    assert _check(engine) == ([("x-kota", "silent")], [])
    # a quiet source (fewer than silent_min_per_day a day) is never "silent"
    assert _check(engine, silent_min_per_day=20) == ([], [("x-kota", "silent")])
    assert _check(engine) == ([("x-kota", "silent")], [])
    with session_scope(engine) as s:
        insert_mentions(session=s, mentions=[mention(999, source="x-kota")])
    with session_scope(engine) as s:
        row = s.exec(select(Mention).where(Mention.platform_id == "1999")).one()
        row.fetched_at = NOW - timedelta(minutes=1)
        s.add(row)
    assert _check(engine) == ([], [("x-kota", "silent")])


def test_two_instances_checking_at_once_alert_once(engine: Engine) -> None:
    _health(engine, state=SourceState.DISABLED, disabled_reason="token expired")
    url = engine.url.render_as_string(hide_password=False)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def instance() -> None:
        own = make_engine(url)
        try:
            barrier.wait()
            _check(own)
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            own.dispose()

    threads = [threading.Thread(target=instance) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _events(engine) == [("source.alert", "disabled")]


def test_the_alert_mail_reaches_the_admins_in_indonesian(engine: Engine, smtp: Mailbox) -> None:
    configs = inboxes()
    source = SourceConfig.model_validate(
        {"name": "x-kota", "platform": "replay", "schedule": {"minutes": 5}}
    )
    url = engine.url.render_as_string(hide_password=False)
    settings = settings_for(
        configs,
        alerts={"email": "admin@example.org"},
        sources=[source.model_dump()],
        store={"url": url},
    )
    _health(engine, state=SourceState.DISABLED, disabled_reason="token kedaluwarsa 0812345678901")
    assert jobs.source_alerts(settings=settings, engine=engine, now=NOW).opened == [
        ("x-kota", "disabled")
    ]
    result = deliver_due(
        engine=engine,
        settings=DeliveryConfig(smtp=SmtpConfig(host="127.0.0.1", port=smtp.port)),
        agencies=by_code(configs),
        contacts=contacts(settings),
        now=NOW,
    )
    assert result.sent == 1
    [message] = smtp.messages
    assert message["To"] == "admin@example.org"
    assert "Peringatan sumber x-kota" in str(message["Subject"])
    body = message.get_content()
    assert "sumber dimatikan: token/kredensial ditolak" in body
    assert "0812345678901" not in body


def test_a_source_taken_out_of_the_config_closes_without_a_recovery_message(
    engine: Engine,
) -> None:
    _health(engine, state=SourceState.DISABLED, disabled_reason="token expired")
    assert _check(engine) == ([("x-kota", "disabled")], [])
    settings = _settings()
    result = check_sources(
        engine=engine,
        sources=[],  # x-kota removed from config.yaml (or enabled: false)
        rules=alert_rules_for(settings),
        contacts=contacts(settings),
        now=NOW,
    )
    assert result.closed == [("x-kota", "disabled")]
    assert _events(engine) == [("source.alert", "disabled")]  # no "recovered"
