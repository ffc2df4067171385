"""Drafting replies to citizens: what they say, whom they answer, review and approval."""

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lifecycle.status import bukan_wewenang, change_status, history, reassign
from models.complaints import attach_mention
from models.db import session_scope
from models.exceptions import InvalidTransition
from models.replies import approve, discard
from models.tables import Complaint
from models.vocab import ReplyChannel, ReplyStatus
from notify.replies import acknowledge, check_template, clip, draft_replies, render
from tests.support.factories import mention
from tests.support.replies import (
    TRACKING,
    file_with_ack,
    number_of,
    policy,
    replies_in,
    reply_entries,
    reply_rows,
    store_mentions,
)
from tests.support.routing import POLICY

HOSTILE = "air mati! hubungi saya 081234567890 NIK 5171010101010001 <script>x</script>"


def test_filing_queues_an_acknowledgement_with_number_and_link(engine: Engine) -> None:
    cid = file_with_ack(engine, policy(), text=HOSTILE)
    number = number_of(engine, cid)
    [reply] = replies_in(engine)
    assert (reply.event, reply.status, reply.channel) == ("diterima", "queued", "x")
    assert number in reply.text and TRACKING + number in reply.text
    assert "PDAM Denpasar" in reply.text
    for private in ("0812", "5171", "script", "warga1", "Warga 1"):
        assert private not in reply.text  # never quotes the post or names anyone
    [row] = reply_rows(engine)
    assert (row.payload, row.complaint_id, row.status) == (
        {"event": "reply.diterima", "reply_id": reply.id},
        cid,
        "pending",
    )


def test_without_a_reply_account_nothing_is_drafted(engine: Engine) -> None:
    file_with_ack(engine, None)
    assert replies_in(engine) == [] and reply_rows(engine) == []
    file_with_ack(engine, policy(source="another-source"), 2)
    assert replies_in(engine) == []


def test_a_confidential_complaint_gets_only_its_number(engine: Engine) -> None:
    cid = file_with_ack(engine, policy(), confidential=True)
    [reply] = replies_in(engine)
    assert reply.text == f"Laporan Anda tercatat dengan nomor {number_of(engine, cid)}."


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"author_handle": "ProDenpasar"}, "akun kota sendiri"),
        ({"raw": {"id": "1", "is_hidden": True}}, "disembunyikan"),
    ],
)
def test_own_and_hidden_posts_are_skipped_with_a_reason(
    engine: Engine, fields: dict[str, Any], why: str
) -> None:
    file_with_ack(engine, policy(), **fields)
    [reply] = replies_in(engine)
    assert reply.status == "skipped" and why in (reply.reason or "") and reply.text == ""
    assert reply_rows(engine) == []


def test_a_post_that_is_one_of_our_replies_is_never_answered(engine: Engine) -> None:
    file_with_ack(engine, policy())
    with session_scope(engine) as s:
        [reply] = replies_in(engine)
        reply = s.merge(reply)
        reply.platform_reply_id = "1002"  # our reply came back as a mention
        reply.status = ReplyStatus.SENT
    file_with_ack(engine, policy(), 2)
    assert replies_in(engine)[1].reason == "kiriman ini balasan kita sendiri: tidak dibalas"


def test_review_mode_drafts_wait_for_approval_then_queue(engine: Engine) -> None:
    cid = file_with_ack(engine, policy(mode="review"))
    [draft] = replies_in(engine)
    assert draft.status == "draft" and reply_rows(engine) == []
    assert draft.id is not None
    number = number_of(engine, cid)
    edited = f"Laporan {number} sudah kami terima, terima kasih."
    approved = approve(engine=engine, reply_id=draft.id, actor="kominfo", text=edited)
    assert (approved.status, approved.approved_by, approved.text) == ("queued", "kominfo", edited)
    assert approved.approved_at is not None
    [row] = reply_rows(engine)
    assert row.payload["reply_id"] == draft.id
    with pytest.raises(InvalidTransition):
        approve(engine=engine, reply_id=draft.id, actor="kominfo")
    with pytest.raises(InvalidTransition):
        discard(engine=engine, reply_id=draft.id, actor="kominfo")
    file_with_ack(engine, policy(mode="review"), 2)
    second = replies_in(engine)[1]
    assert second.id is not None
    assert discard(engine=engine, reply_id=second.id, actor="kominfo").status == "discarded"
    assert len(reply_rows(engine)) == 1


def test_instaloader_sources_are_marked_for_a_reply_by_hand(engine: Engine) -> None:
    file_with_ack(engine, policy(ReplyChannel.MANUAL))
    [reply] = replies_in(engine)
    assert reply.status == "manual" and "balas manual" in (reply.reason or "")
    assert reply_rows(engine) == []


def test_every_reporter_is_acknowledged_once_and_status_replies_reach_each(
    engine: Engine,
) -> None:
    replies = policy()
    cid = file_with_ack(engine, replies)
    stored = store_mentions(
        engine,
        mention(2, author_handle="warga1"),  # the same person again
        mention(3, author_handle="warga3"),
    )
    with session_scope(engine) as s:
        complaint = s.get(Complaint, cid)
        assert complaint is not None
        for m in stored[1:]:
            m = s.merge(m)
            attach_mention(session=s, complaint=complaint, mention=m, reason="duplicate", actor="r")
            acknowledge(session=s, policy=replies, complaint=complaint, mention=m)
    acks = [(r.mention_id, r.event) for r in replies_in(engine)]
    assert acks == [(stored[0].id, "diterima"), (stored[2].id, "diterima")]
    change_status(
        engine=engine,
        complaint_id=cid,
        to_status="ditindaklanjuti",
        actor="pdam",
        note="petugas menuju lokasi",
        replies=replies,
    )
    status_replies = [r for r in replies_in(engine) if r.event == "ditindaklanjuti"]
    assert sorted(r.mention_id for r in status_replies) == [stored[0].id, stored[2].id]
    # Automatic replies never carry the note: only a reviewed draft may.
    assert all("petugas" not in r.text for r in status_replies)
    change_status(engine=engine, complaint_id=cid, to_status="selesai", actor="p", replies=replies)
    # Reopened and worked again: a new round, each reporter answered once more.
    change_status(
        engine=engine,
        complaint_id=cid,
        to_status="ditindaklanjuti",
        actor="p",
        note="muncul lagi",
        replies=replies,
    )
    change_status(engine=engine, complaint_id=cid, to_status="selesai", actor="p", replies=replies)
    rounds = sorted((r.event, r.occurrence, r.mention_id) for r in replies_in(engine))
    reporters = [stored[0].id, stored[2].id]
    assert rounds == sorted(
        [("diterima", 0, m) for m in reporters]
        + [(e, n, m) for e in ("ditindaklanjuti", "selesai") for n in (0, 1) for m in reporters]
    )
    # Within a round, drafting again (a retry, a second daemon) writes nothing.
    with session_scope(engine) as s:
        complaint = s.get(Complaint, cid)
        assert complaint is not None
        assert draft_replies(session=s, policy=replies, complaint=complaint, event="selesai") == []
    assert len(replies_in(engine)) == len(rounds)


def test_a_reviewed_status_draft_offers_the_agency_note(engine: Engine) -> None:
    replies = policy(mode="review")
    cid = file_with_ack(engine, replies)
    change_status(
        engine=engine,
        complaint_id=cid,
        to_status="respon_awal",
        actor="pdam",
        note="petugas dijadwalkan besok, hubungi 081234567890",
        replies=replies,
    )
    draft = next(r for r in replies_in(engine) if r.event == "respon_awal")
    assert "petugas dijadwalkan besok" in draft.text and "081234567890" not in draft.text


def test_templates_are_sandboxed_and_checked() -> None:
    check_template("diterima", "Nomor {{ nomor }} di {{ tautan }}")
    with pytest.raises(ValueError, match="nomor"):
        check_template("diterima", "Terima kasih")
    with pytest.raises(ValueError, match="variables"):
        check_template("selesai", "{{ nomor }} {{ penulis }}")
    with pytest.raises(ValueError):
        check_template("selesai", "{{ nomor.__class__.__mro__[1].__subclasses__() }}")
    assert clip("satu dua tiga empat", 12) == "satu dua…"


def test_render_masks_the_note_and_keeps_the_citys_own_words(engine: Engine) -> None:
    cid = file_with_ack(engine, None)
    with Session(engine) as s:
        complaint = s.get(Complaint, cid)
        assert complaint is not None
        replies = replace(
            policy(ReplyChannel.FACEBOOK),
            templates={"respon_awal": "{{ nomor }} {{ catatan }} Call center 0361-223344"},
        )
        text = render(
            replies,
            complaint=complaint,
            event="respon_awal",
            channel="facebook",
            note="warga di 081299998888 sudah dihubungi",
        )
        assert text.startswith(complaint.public_number)
        assert "081299998888" not in text and "sudah dihubungi" in text
        assert text.endswith("Call center 0361-223344")  # the city's hotline stays


def test_approval_and_discarding_are_recorded_on_the_complaints_history(engine: Engine) -> None:
    replies = policy(mode="review")
    cid = file_with_ack(engine, replies)
    change_status(
        engine=engine, complaint_id=cid, to_status="respon_awal", actor="pdam", replies=replies
    )
    ack, response = replies_in(engine)
    assert ack.id is not None and response.id is not None
    assert reply_entries(engine, cid) == []  # drafts waiting: nothing happened yet
    number = number_of(engine, cid)
    approve(engine=engine, reply_id=ack.id, actor="kominfo", text=f"Nomor {number}, terima kasih.")
    discard(engine=engine, reply_id=response.id, actor="ayu")
    assert reply_entries(engine, cid) == [
        (
            "kominfo",
            "respon_awal",
            "respon_awal",
            f"Balasan #{ack.id} (Tanda terima) disetujui, teks diubah sebelum disetujui",
        ),
        ("ayu", "respon_awal", "respon_awal", f"Balasan #{response.id} (Respon awal) dibuang"),
    ]
    cid2 = file_with_ack(engine, replies, 2)
    [draft] = [r for r in replies_in(engine) if r.complaint_id == cid2]
    assert draft.id is not None
    approve(engine=engine, reply_id=draft.id, actor="kominfo", text=draft.text)
    assert reply_entries(engine, cid2) == [
        (
            "kominfo",
            "baru",
            "baru",
            f"Balasan #{draft.id} (Tanda terima) disetujui, tanpa perubahan teks",
        )
    ]
    # The history's status changes are what they were; the status too.
    with Session(engine) as s:
        changes = [h for h in history(session=s, complaint_id=cid) if h.kind == "status"]
        assert [str(h.to_status) for h in changes] == ["baru", "respon_awal"]
        complaint = s.get(Complaint, cid)
        assert complaint is not None and complaint.status == "respon_awal"


def test_replies_by_hand_and_skipped_ones_are_recorded_with_why(engine: Engine) -> None:
    manual = file_with_ack(engine, policy(ReplyChannel.MANUAL))
    own = file_with_ack(engine, policy(), 2, author_handle="ProDenpasar")
    by_hand, skipped = replies_in(engine)
    assert reply_entries(engine, manual) == [
        (
            "balasan:test",
            "baru",
            "baru",
            f"Balasan #{by_hand.id} (Tanda terima) perlu dibalas manual: "
            "sumber ini tidak bisa membalas lewat API: balas manual",
        )
    ]
    assert reply_entries(engine, own) == [
        (
            "balasan:test",
            "baru",
            "baru",
            f"Balasan #{skipped.id} (Tanda terima) tidak dikirim: "
            "kiriman akun kota sendiri: tidak dibalas",
        )
    ]


def test_a_complaint_given_to_another_agency_is_answered_again_by_it(engine: Engine) -> None:
    replies = policy()
    routing = replace(POLICY, replies=replies)
    cid = file_with_ack(engine, replies)

    def refuse() -> None:
        bukan_wewenang(
            engine=engine,
            policy=routing,
            complaint_id=cid,
            actor="pdam",
            reason="bukan jaringan kami",
            suggested_category="LPJU",
        )
        reassign(engine=engine, policy=routing, complaint_id=cid, category="LPJU", actor="ops")

    change_status(
        engine=engine, complaint_id=cid, to_status="respon_awal", actor="pdam", replies=replies
    )
    refuse()
    change_status(
        engine=engine, complaint_id=cid, to_status="respon_awal", actor="lpju", replies=replies
    )
    refuse()  # LPJU refuses too: triage gives it to LPJU's inbox again
    answered = [(r.event, r.occurrence) for r in replies_in(engine)]
    assert answered == [
        ("diterima", 0),
        ("respon_awal", 0),
        ("bukan_wewenang", 0),
        ("respon_awal", 1),  # the second agency's response is news to the citizen
        ("bukan_wewenang", 1),
    ]
    assert "Dishub LPJU" in replies_in(engine)[3].text
