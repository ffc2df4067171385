"""The triage page: each decision through plain POST forms, its correction, its errors."""

import re
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from lifecycle.status import bukan_wewenang
from models.agencies import sync_agencies
from models.corrections import all_corrections
from models.db import session_scope
from models.mentions import insert_mentions
from models.tables import Complaint, ComplaintMention, Mention
from models.vocab import ComplaintStatus, MentionState
from router.route import route_pending
from tests.support.factories import agencies, mention
from tests.support.routing import POLICY, KeywordClassifier
from tests.support.web import (
    IMG,
    LONG,
    SCRIPT,
    client_for,
    csrf_token,
    post,
)


def _fill(engine: Engine) -> dict[str, int]:
    """Two unsure mentions, a filed complaint and a complaint bounced by LPJU."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[
                mention(1, text="bingung yang pertama"),
                mention(
                    2,
                    text=f"bingung {SCRIPT}{IMG} {LONG}",
                    author_name=f"{IMG}budi",
                    url="javascript:alert(1)",
                ),
                mention(3, text="air mati di panjer"),
                mention(4, text="lampu jalan mati, ternyata pohon tumbang"),
            ],
        )
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with Session(engine) as s:
        ids = {int(m.platform_id) - 1000: m.id or 0 for m in s.exec(select(Mention))}
        complaints = {c.category: c.id or 0 for c in s.exec(select(Complaint))}
    bukan_wewenang(
        engine=engine,
        policy=POLICY,
        complaint_id=complaints["LPJU"],
        actor="lpju1",
        reason=f"pohon tumbang, urusan DLHK {SCRIPT}",
        suggested_category="DLHK",
    )
    return {
        "unsure": ids[1],
        "evil": ids[2],
        "pdam": complaints["PDAM"],
        "bounced": complaints["LPJU"],
    }


def _snapshot(engine: Engine) -> tuple[Any, ...]:
    with Session(engine) as s:
        return (
            sorted((m.id, m.state, m.category) for m in s.exec(select(Mention))),
            sorted((c.id, c.inbox, c.status, c.category) for c in s.exec(select(Complaint))),
            len(all_corrections(session=s)),
            len(s.exec(select(ComplaintMention)).all()),
        )


def _queued(page: str) -> list[str]:
    """The queue's rows in order, by their ids (mention-N, complaint-N)."""
    return re.findall(r'<tr id="((?:mention|complaint)-\d+)"', page)


def test_queue_shows_unsure_mentions_and_bounced_complaints(engine: Engine) -> None:
    ids = _fill(engine)
    page = client_for(engine).get("/triage")
    assert page.status_code == 200
    # Mentions wait since routing, the bounced complaint since it was refused (later).
    assert _queued(page.text) == [
        f"mention-{ids['unsure']}",
        f"mention-{ids['evil']}",
        f"complaint-{ids['bounced']}",
    ]
    assert "bingung yang pertama" in page.text
    bounced = page.text.split(f'id="complaint-{ids["bounced"]}"')[1]
    assert "bukan wewenang LPJU: pohon tumbang, urusan DLHK" in bounced
    assert 'Saran kategori: <strong title="DLHK">Kebersihan dan lingkungan</strong>' in bounced
    assert "oleh lpju1" in bounced
    assert f'action="/triage/complaints/{ids["bounced"]}/assign"' in bounced
    assert (
        '<option value="DLHK" title="DLHK" selected>' in bounced
    )  # the agency's suggestion preselected
    # Not a complaint is offered for mentions only.
    assert 'value="NOT_COMPLAINT"' not in bounced
    unsure = page.text.split(f'id="mention-{ids["unsure"]}"')[1].split("</tr>")[0]
    for action in ("assign", "merge"):
        assert f'action="/triage/mentions/{ids["unsure"]}/{action}"' in unsure
    assert 'value="NOT_COMPLAINT"' in unsure
    assert "Air minum → PDAM Denpasar" in unsure  # each category names the inbox it files to
    assert "PDAM → PDAM" not in unsure  # names, not codes
    assert page.text.count('name="csrf_token"') == 3 * 2 + 1 + 1  # forms + bounce + logout


def test_assign_and_not_a_complaint_record_corrections_and_leave_the_queue(
    engine: Engine,
) -> None:
    ids = _fill(engine)
    client = client_for(engine)
    token = csrf_token(client)
    filed = post(client, f"/triage/mentions/{ids['unsure']}/assign", token, category="LPJU")
    assert filed.status_code == 303
    assert filed.headers["location"].startswith("/triage?done=filed")
    with Session(engine) as s:
        complaint = s.exec(
            select(Complaint).where(Complaint.origin_mention_id == ids["unsure"])
        ).one()
        assert (complaint.category, complaint.inbox) == ("LPJU", "LPJU")
    confirmed = client.get(filed.headers["location"])
    filed_notice = (
        f"Kiriman #{ids['unsure']} diajukan sebagai pengaduan #{complaint.id} "
        "(Penerangan jalan umum)."
    )
    assert filed_notice in confirmed.text
    assert f"mention-{ids['unsure']}" not in _queued(confirmed.text)

    kept = post(client, f"/triage/mentions/{ids['evil']}/assign", token, category="NOT_COMPLAINT")
    assert kept.status_code == 303
    page = client.get(kept.headers["location"]).text
    assert f"Kiriman #{ids['evil']} ditandai bukan pengaduan." in page
    assert _queued(page) == [f"complaint-{ids['bounced']}"]
    with Session(engine) as s:
        evil = s.get(Mention, ids["evil"])
        assert evil is not None and evil.state == MentionState.NOT_COMPLAINT
        triage = [
            (c.mention_id, c.category, c.kind, c.actor)
            for c in all_corrections(session=s)
            if c.kind == "triage"
        ]
    assert triage == [
        (ids["unsure"], "LPJU", "triage", "kominfo1"),
        (ids["evil"], "NOT_COMPLAINT", "triage", "kominfo1"),
    ]


def test_merge_joins_the_mention_to_a_complaint(engine: Engine) -> None:
    ids = _fill(engine)
    client = client_for(engine)
    token = csrf_token(client)
    merged = post(
        client, f"/triage/mentions/{ids['unsure']}/merge", token, complaint_id=f"#{ids['pdam']}"
    )
    assert merged.status_code == 303
    page = client.get(merged.headers["location"]).text
    assert f"Kiriman #{ids['unsure']} digabung ke pengaduan #{ids['pdam']}." in page
    assert f"mention-{ids['unsure']}" not in _queued(page)
    with Session(engine) as s:
        link = s.get(ComplaintMention, ids["unsure"])
        assert link is not None and link.complaint_id == ids["pdam"]
        unsure = s.get(Mention, ids["unsure"])
        assert unsure is not None and unsure.state == MentionState.FILED
        corrections = [(c.mention_id, c.category, c.kind) for c in all_corrections(session=s)]
    assert (ids["unsure"], "PDAM", "triage") in corrections


def test_bounced_complaint_is_reassigned_with_a_correction(engine: Engine) -> None:
    ids = _fill(engine)
    client = client_for(engine)
    token = csrf_token(client)
    path = f"/triage/complaints/{ids['bounced']}/assign"
    refused = post(client, path, token, category="NOT_COMPLAINT")
    assert refused.status_code == 400 and "Kategori tidak dikenal" in refused.text
    moved = post(client, path, token, category="PDAM", note="cek ulang")
    assert moved.status_code == 303
    page = client.get(moved.headers["location"]).text
    assert f"Pengaduan #{ids['bounced']} dialihkan ke kategori Air minum." in page
    assert f"complaint-{ids['bounced']}" not in _queued(page)
    with Session(engine) as s:
        c = s.get(Complaint, ids["bounced"])
        assert c is not None
        assert (c.status, c.inbox, c.category) == (ComplaintStatus.BARU, "PDAM", "PDAM")
        kinds = [(x.category, x.kind, x.actor) for x in all_corrections(session=s)]
    assert kinds[-1] == ("PDAM", "recategorise", "kominfo1")


REFUSED = [
    ("/triage/mentions/{unsure}/assign", {"category": "WATER"}, 400, "Kategori tidak dikenal"),
    ("/triage/mentions/99999/assign", {"category": "PDAM"}, 404, "tidak ditemukan"),
    (
        "/triage/mentions/{unsure}/merge",
        {"complaint_id": "99999"},
        404,
        "Pengaduan #99999 tidak ditemukan",
    ),
    ("/triage/mentions/{unsure}/merge", {"complaint_id": "12; DROP"}, 400, "berupa angka"),
    ("/triage/mentions/{unsure}/merge", {"complaint_id": "²"}, 400, "berupa angka"),
    ("/triage/complaints/{pdam}/assign", {"category": "LPJU"}, 409, "tidak sedang menunggu triase"),
    ("/triage/complaints/99999/assign", {"category": "LPJU"}, 404, "tidak ditemukan"),
]


def test_refused_decisions_are_explained_and_change_nothing(engine: Engine) -> None:
    ids = _fill(engine)
    client = client_for(engine)
    token = csrf_token(client)
    before = _snapshot(engine)
    for path, data, status, message in REFUSED:
        response = post(client, path.format(**ids), token, **data)
        assert (response.status_code, path) == (status, path)
        assert message in response.text
        assert '<p class="error" role="alert">' in response.text
        assert _snapshot(engine) == before
    # A mention decided already (in another tab, by a colleague) cannot be decided again.
    path = f"/triage/mentions/{ids['unsure']}"
    assert post(client, f"{path}/assign", token, category="PDAM").status_code == 303
    decided = _snapshot(engine)
    for action, data in (("assign", {"category": "LPJU"}), ("merge", {"complaint_id": "1"})):
        again = post(client, f"{path}/{action}", token, **data)
        assert again.status_code == 409
        assert "sudah diputuskan" in again.text
    assert _snapshot(engine) == decided


def test_forms_need_the_csrf_token_and_the_right_role(engine: Engine) -> None:
    ids = _fill(engine)
    before = _snapshot(engine)
    operator = client_for(engine)
    forms = [
        (f"/triage/mentions/{ids['unsure']}/assign", {"category": "PDAM"}),
        (f"/triage/mentions/{ids['unsure']}/merge", {"complaint_id": str(ids["pdam"])}),
        (f"/triage/complaints/{ids['bounced']}/assign", {"category": "PDAM"}),
        ("/deliveries/1/retry", {}),
    ]
    for path, data in forms:
        assert operator.post(path, data=data).status_code == 403  # no token
        assert post(operator, path, "not-the-token", **data).status_code == 403
    agency = client_for(engine, "pdam1", "agency", agency="PDAM")
    viewer = client_for(engine, "lihat1", "viewer")
    for client in (agency, viewer):
        assert client.get("/triage").status_code == 403
        token = csrf_token(client, "/triage")  # the 403 page still has the logout form
        for path, data in forms:
            assert post(client, path, token, **data).status_code == 403
    assert _snapshot(engine) == before


def test_untrusted_text_is_escaped_on_the_triage_page(engine: Engine) -> None:
    ids = _fill(engine)
    page = client_for(engine).get("/triage").text
    assert "<script>alert" not in page
    assert page.count("<script") == 1  # the vendored htmx only
    assert "<img" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page  # text and bounce reason
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # text and author name
    assert "javascript:" not in page  # the unsafe link is not linked
    assert LONG in page  # shown whole, wrapped by CSS
    assert f'id="mention-{ids["evil"]}"' in page


def _guess(page: str, row_id: str) -> str | None:
    """The category preselected in a queue row's decision form."""
    row = page.split(f'<tr id="{row_id}"')[1].split("</tr>")[0]
    found = re.search(r'<option value="(\w+)"[^>]* selected>', row)
    return found.group(1) if found else None


def test_the_models_guess_is_preselected_even_not_a_complaint(engine: Engine) -> None:
    ids = _fill(engine)
    with session_scope(engine) as s:
        unsure = s.get(Mention, ids["unsure"])
        evil = s.get(Mention, ids["evil"])
        assert unsure is not None and evil is not None
        unsure.category, evil.category = "NOT_COMPLAINT", "DINSOS"
        s.add_all([unsure, evil])
    page = client_for(engine).get("/triage").text
    assert _guess(page, f"mention-{ids['unsure']}") == "NOT_COMPLAINT"
    assert "Tebakan model: <strong" in page and ">Bukan pengaduan</strong>" in page
    assert _guess(page, f"mention-{ids['evil']}") == "DINSOS"
    # Choosing "bukan pengaduan" in the list decides it like the button does.
    client = client_for(engine, "kominfo2")
    token = csrf_token(client)
    done = post(client, f"/triage/mentions/{ids['unsure']}/assign", token, category="NOT_COMPLAINT")
    assert done.status_code == 303
    with Session(engine) as s:
        decided = s.get(Mention, ids["unsure"])
        assert decided is not None and decided.state == MentionState.NOT_COMPLAINT


def test_the_queue_is_paged_and_says_how_many_wait(engine: Engine) -> None:
    ids = _fill(engine)
    with session_scope(engine) as s:
        insert_mentions(
            session=s, mentions=[mention(100 + n, text=f"bingung nomor {n}") for n in range(60)]
        )
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    client = client_for(engine)
    first = client.get("/triage").text
    # 62 unsure mentions and 1 bounced complaint wait; 50 are shown per page.
    assert "63 menunggu keputusan</strong>: 62 kiriman warga, 1 pengaduan dikembalikan" in first
    assert len(_queued(first)) == 50 and "Halaman 1 dari 2" in first
    second = client.get("/triage?halaman=2").text
    assert len(_queued(second)) == 13
    assert not set(_queued(first)) & set(_queued(second))
    assert f"complaint-{ids['bounced']}" in _queued(first) + _queued(second)
    assert len(_queued(client.get("/triage?halaman=99999999999999").text)) == 50  # bad: page 1
