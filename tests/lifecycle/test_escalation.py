"""Escalation of missed deadlines: once per deadline and level, through the outbox."""

import threading
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from aduan import jobs
from aduan.settings import DeliveryConfig, SmtpConfig
from aduan.wiring import contacts, escalation_policy_for, policy_for
from lifecycle.escalation import escalate_due, escalations_of, overdue_digests
from lifecycle.status import bukan_wewenang, reassign
from models.confidential import CONFIDENTIAL_NOTICE, set_confidential
from models.db import make_engine, session_scope
from models.tables import Escalation, Outbox
from models.vocab import ComplaintStatus, OutboxRecipient, OutboxStatus
from notify.delivery import deliver_due
from notify.digest import send_digests
from tests.support.lifecycle import (
    CALENDAR,
    Filing,
    by_code,
    file_all,
    inboxes,
    later,
    settings_for,
)
from tests.support.mail import Mailbox

S = ComplaintStatus


def _rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as s:
        return list(
            s.exec(select(Outbox).where(Outbox.recipient != "inbox").order_by(col(Outbox.id)))
        )


def _escalations(engine: Engine) -> list[tuple[int, str, int]]:
    with Session(engine) as s:
        rows = s.exec(select(Escalation).order_by(col(Escalation.id)))
        return [(e.complaint_id, e.deadline, e.level) for e in rows]


def test_a_missed_response_deadline_is_announced_once_across_restarts(engine: Engine) -> None:
    configs = inboxes()
    [late, answered] = file_all(engine, [Filing(1), Filing(2, status=S.RESPON_AWAL)], configs)
    settings = settings_for(configs)
    respond_by, _ = CALENDAR.deadlines_for(later(0))
    before = escalate_due(
        engine=engine,
        policy=escalation_policy_for(settings),
        contacts=contacts(settings),
        now=respond_by - timedelta(minutes=1),
    )
    assert before.escalations == 0 and _rows(engine) == []

    # Each call builds its policy and contacts anew, as a restarted daemon does.
    for _ in range(3):
        escalate_due(
            engine=engine,
            policy=escalation_policy_for(settings),
            contacts=contacts(settings),
            now=respond_by + timedelta(hours=1),
        )
    assert _escalations(engine) == [(late, "respon_awal", 1)]
    rows = _rows(engine)
    assert [(r.recipient, r.agency_code, r.channel) for r in rows] == [
        ("escalation", "PDAM", "email"),
        ("escalation", "KOMINFO", "email"),
    ]
    assert all(r.complaint_id == late and r.payload["event"] == "complaint.escalated" for r in rows)
    notice = rows[0].payload["notice"]
    assert notice["title"] == f"Eskalasi tingkat 1: batas respon awal pengaduan #{late} terlewati"
    assert answered not in {r.complaint_id for r in rows}


def test_second_level_and_follow_up_deadline_come_later_each_once(engine: Engine) -> None:
    configs = inboxes()
    [cid] = file_all(engine, [Filing(1)], configs)
    settings = settings_for(configs)
    policy, people = escalation_policy_for(settings), contacts(settings)
    respond_by, follow_up_by = CALENDAR.deadlines_for(later(0))
    second = CALENDAR.add_working_days(respond_by, settings.escalation.second_level_days)

    escalate_due(engine=engine, policy=policy, contacts=people, now=second - timedelta(hours=1))
    assert _escalations(engine) == [(cid, "respon_awal", 1)]
    escalate_due(engine=engine, policy=policy, contacts=people, now=second + timedelta(hours=1))
    assert _escalations(engine) == [(cid, "respon_awal", 1), (cid, "respon_awal", 2)]
    level_two = [r for r in _rows(engine) if r.payload["data"]["level"] == 2]
    # the head of the agency, and Kominfo again
    assert [(r.recipient, r.agency_code) for r in level_two] == [
        ("head", "PDAM"),
        ("escalation", "KOMINFO"),
    ]
    escalate_due(
        engine=engine, policy=policy, contacts=people, now=follow_up_by + timedelta(hours=1)
    )
    escalate_due(
        engine=engine, policy=policy, contacts=people, now=follow_up_by + timedelta(hours=2)
    )
    assert sorted(_escalations(engine)) == [
        (cid, "ditindaklanjuti", 1),
        (cid, "respon_awal", 1),
        (cid, "respon_awal", 2),
    ]
    with Session(engine) as s:
        history = escalations_of(session=s, complaint_id=cid)
    assert [(e.deadline, e.level) for e in history] == [
        ("respon_awal", 1),
        ("respon_awal", 2),
        ("ditindaklanjuti", 1),
    ]
    assert "kontak eskalasi PDAM" in history[0].notified
    assert "pimpinan PDAM" in history[1].notified


def test_closed_refused_and_answered_complaints_are_not_escalated(engine: Engine) -> None:
    configs = inboxes()
    file_all(
        engine,
        [
            Filing(1, status=S.SELESAI),
            Filing(2, status=S.BUKAN_WEWENANG),
            Filing(3, status=S.DITINDAKLANJUTI),
        ],
        configs,
    )
    settings = settings_for(configs)
    result = escalate_due(
        engine=engine,
        policy=escalation_policy_for(settings),
        contacts=contacts(settings),
        now=later(30),
    )
    assert result.escalations == 0 and _escalations(engine) == []


def test_two_daemons_racing_escalate_once(engine: Engine) -> None:
    configs = inboxes()
    file_all(engine, [Filing(n) for n in range(1, 21)], configs)
    settings = settings_for(configs)
    url = engine.url.render_as_string(hide_password=False)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def daemon() -> None:
        own = make_engine(url)  # each daemon has its own engine and connections
        try:
            barrier.wait()
            escalate_due(
                engine=own,
                policy=escalation_policy_for(settings),
                contacts=contacts(settings),
                now=later(4),
            )
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            own.dispose()

    threads = [threading.Thread(target=daemon) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(_escalations(engine)) == 20
    with Session(engine) as s:
        per = s.exec(
            select(Outbox.complaint_id, func.count())
            .where(Outbox.recipient == "escalation")
            .group_by(col(Outbox.complaint_id))
        ).all()
    assert len(per) == 20 and {n for _, n in per} == {2}


def test_escalation_mail_is_indonesian_masked_and_not_held_for_the_digest(
    engine: Engine, smtp: Mailbox
) -> None:
    configs = inboxes()
    [cid] = file_all(engine, [Filing(1, inbox="LPJU", category="LPJU")], configs)
    settings = settings_for(configs)
    escalate_due(
        engine=engine,
        policy=escalation_policy_for(settings),
        contacts=contacts(settings),
        now=later(4),
    )
    delivery = DeliveryConfig(smtp=SmtpConfig(host="127.0.0.1", port=smtp.port))
    # LPJU is on the daily digest: its new-complaint e-mail waits, the escalation does not.
    result = deliver_due(
        engine=engine,
        settings=delivery,
        agencies=by_code(configs),
        contacts=contacts(settings),
        now=later(4),
    )
    assert result.sent == 2
    to = sorted(str(m["To"]) for m in smtp.messages)
    assert to == ["kominfo@example.org", "lpju@example.org"]
    body = smtp.messages[0].get_content()
    assert f"Eskalasi tingkat 1: batas respon awal pengaduan #{cid} terlewati" in body
    assert "Terlambat:" in body and "hari kerja" in body
    assert "081234567890" not in body and "5171012345670001" not in body
    with Session(engine) as s:
        waiting = s.exec(
            select(Outbox).where(Outbox.recipient == "inbox", Outbox.agency_code == "LPJU")
        ).one()
    assert waiting.status == OutboxStatus.PENDING
    # The digest lists the held row only, never the escalation rows.
    digest = send_digests(engine=engine, settings=delivery, agencies=by_code(configs), now=later(4))
    assert digest.sent == 1


def test_escalation_rows_are_retried_then_dead_lettered(engine: Engine) -> None:
    configs = inboxes()
    file_all(engine, [Filing(1)], configs)
    settings = settings_for(configs)
    escalate_due(
        engine=engine,
        policy=escalation_policy_for(settings),
        contacts=contacts(settings),
        now=later(4),
    )
    # Nothing listens on port 9: every attempt fails and may pass later.
    delivery = DeliveryConfig(
        smtp=SmtpConfig(host="127.0.0.1", port=9, timeout_seconds=2), max_attempts=2
    )
    first = deliver_due(
        engine=engine,
        settings=delivery,
        agencies=by_code(configs),
        contacts=contacts(settings),
        now=later(4),
    )
    assert first.retried == 3  # the two escalation rows and PDAM's new-complaint e-mail
    second = deliver_due(
        engine=engine,
        settings=delivery,
        agencies=by_code(configs),
        contacts=contacts(settings),
        now=later(6),
    )
    assert second.dead == 3
    dead = [r for r in _rows(engine) if r.status == OutboxStatus.DEAD]
    assert len(dead) == 2 and all("gave up after 2 attempts" in (r.last_error or "") for r in dead)


def test_overdue_digest_once_a_day_from_its_hour(engine: Engine) -> None:
    configs = inboxes()
    filings = [Filing(1), Filing(2), Filing(3, inbox="LPJU", category="LPJU")]
    ids = file_all(engine, filings, configs)
    settings = settings_for(configs, escalation={"digest_hour": 8})
    policy, people = escalation_policy_for(settings), contacts(settings)
    # Friday 27 November: 07:30 WITA is before the hour, 08:30 after it.
    early = later(4) - timedelta(hours=2, minutes=30)
    assert overdue_digests(engine=engine, policy=policy, contacts=people, now=early) == 0
    at = early + timedelta(hours=1)
    assert overdue_digests(engine=engine, policy=policy, contacts=people, now=at) == 2
    assert overdue_digests(engine=engine, policy=policy, contacts=people, now=at) == 0
    rows = [r for r in _rows(engine) if r.recipient == OutboxRecipient.AGENCY]
    assert sorted(r.agency_code or "" for r in rows) == ["LPJU", "PDAM"]
    pdam = next(r for r in rows if r.agency_code == "PDAM")
    assert pdam.complaint_id is None
    assert pdam.dedupe_key == "overdue:PDAM:2026-11-27:email"
    assert [c["id"] for c in pdam.payload["data"]["complaints"]] == ids[:2]
    assert "terlambat respon awal" in "\n".join(pdam.payload["notice"]["lines"])
    # the next day, again
    tomorrow = at + timedelta(days=1)
    assert overdue_digests(engine=engine, policy=policy, contacts=people, now=tomorrow) == 2


def test_the_daemon_job_escalates_and_queues_the_digest(engine: Engine) -> None:
    configs = inboxes()
    file_all(engine, [Filing(1)], configs)
    url = engine.url.render_as_string(hide_password=False)
    settings = settings_for(configs, store={"url": url})
    result = jobs.escalate(settings=settings, engine=engine, now=later(4))
    assert result.escalations == 1
    # two escalation rows, one overdue digest row for PDAM
    assert result.outbox_rows == 3
    again = jobs.escalate(settings=settings, engine=engine, now=later(4))
    assert again.escalations == 0 and again.outbox_rows == 0


def test_complaints_waiting_for_level_two_do_not_starve_newer_ones(engine: Engine) -> None:
    configs = inboxes()
    monday = [Filing(1), Filing(2)]
    tuesday = [Filing(3, received=later(1)), Filing(4, received=later(1))]
    ids = file_all(engine, monday + tuesday, configs)
    settings = settings_for(configs)
    policy, people = escalation_policy_for(settings), contacts(settings)
    # Friday 10:00 WITA: Monday's complaints missed Thursday's deadline
    escalate_due(engine=engine, policy=policy, contacts=people, now=later(4), limit=2)
    assert sorted(c for c, _, _ in _escalations(engine)) == ids[:2]
    # Saturday: Tuesday's complaints missed Friday's; Monday's wait for their level 2.
    # Two at a time, the waiting ones must not take the newer ones' places.
    escalate_due(engine=engine, policy=policy, contacts=people, now=later(5), limit=2)
    assert sorted(c for c, _, _ in _escalations(engine)) == ids


def test_a_confidential_complaint_is_escalated_without_its_text(
    engine: Engine, smtp: Mailbox
) -> None:
    configs = inboxes()
    [cid] = file_all(engine, [Filing(1, text="tetangga saya memukul anaknya, rahasia")], configs)
    with session_scope(engine) as s:
        set_confidential(session=s, complaint_id=cid, confidential=True, actor="operator1")
    settings = settings_for(configs)
    escalate_due(
        engine=engine,
        policy=escalation_policy_for(settings),
        contacts=contacts(settings),
        now=later(4),
    )
    deliver_due(
        engine=engine,
        settings=DeliveryConfig(smtp=SmtpConfig(host="127.0.0.1", port=smtp.port)),
        agencies=by_code(configs),
        contacts=contacts(settings),
        now=later(4),
    )
    escalations = [m for m in smtp.messages if "Eskalasi" in str(m["Subject"])]
    assert len(escalations) == 2
    for message in escalations:
        assert "memukul" not in message.get_content() and "memukul" not in str(message["Subject"])
        assert CONFIDENTIAL_NOTICE in message.get_content()


def test_a_reassigned_complaint_is_escalated_again_for_its_new_deadline(engine: Engine) -> None:
    configs = inboxes()
    [cid] = file_all(engine, [Filing(1)], configs)
    settings = settings_for(configs)
    policy, people = escalation_policy_for(settings), contacts(settings)
    escalate_due(engine=engine, policy=policy, contacts=people, now=later(4))
    routing = policy_for(settings)
    bukan_wewenang(
        engine=engine,
        policy=routing,
        complaint_id=cid,
        actor="pdam1",
        reason="bukan kami",
        suggested_category="PDAM",
    )
    moved = reassign(engine=engine, policy=routing, complaint_id=cid, category="PDAM", actor="k1")
    assert moved.respond_by is not None
    escalate_due(
        engine=engine, policy=policy, contacts=people, now=moved.respond_by + timedelta(hours=1)
    )
    with Session(engine) as s:
        rows = escalations_of(session=s, complaint_id=cid)
    assert [(e.deadline, e.level) for e in rows] == [("respon_awal", 1), ("respon_awal", 1)]
    assert rows[1].due_at == moved.respond_by
