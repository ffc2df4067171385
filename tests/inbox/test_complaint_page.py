"""The complaint page and its actions on both stores: facts, history, notes, access, CSRF."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.complaints import attach_mention
from models.db import session_scope
from models.mentions import insert_mentions
from models.notes import add_note, notes_of
from models.tables import Complaint, Correction, Mention, StatusChange
from models.types import utcnow
from tests.support.factories import mention
from tests.support.web import CSRF, EVIL, LONG, add_complaint, signed_in


def csrf(client: TestClient, path: str = "/inbox/PDAM") -> str:
    """The session's CSRF token, read from a page's form."""
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def _state(engine: Engine, cid: int) -> tuple[str, str, int, int]:
    """(status, inbox, history rows, notes) of a complaint."""
    with Session(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None
        changes = s.exec(select(StatusChange).where(StatusChange.complaint_id == cid)).all()
        return c.status, c.inbox, len(changes), len(notes_of(session=s, complaint_id=cid))


def _detailed(engine: Engine) -> int:
    """A PDAM complaint with every fact the page shows, reported twice, with a note."""
    now = utcnow()
    cid = add_complaint(
        engine,
        1,
        mention_fields={
            "text": "air mati di jalan gatot subroto",
            "author_name": "Made Warga",
            "author_handle": "madewarga",
        },
        terms=["air", "mati"],
        route_reason="aturan: kata 'air mati'",
        kecamatan="Denpasar Utara",
        desa="Ubung Kaja",
        street="Jalan Gatot Subroto",
        location_span="jalan gatot subroto",
        inside_city=False,
        respond_by=now - timedelta(hours=2),
        follow_up_by=now + timedelta(days=3),
    )
    with session_scope(engine) as s:
        insert_mentions(
            session=s,
            mentions=[
                mention(
                    2, platform="facebook", text="sama, air mati", url="https://facebook.com/p/2"
                )
            ],
        )
        extra = s.exec(select(Mention).where(Mention.platform == "facebook")).one()
        complaint = s.get(Complaint, cid)
        assert complaint is not None
        attach_mention(
            session=s, complaint=complaint, mention=extra, reason="duplicate", actor="router"
        )
        add_note(session=s, complaint_id=cid, author="pdam1", text="tim sudah dihubungi")
    return cid


def test_page_shows_every_fact(engine: Engine) -> None:
    cid = _detailed(engine)
    page = signed_in(engine).get(f"/complaints/{cid}")
    assert page.status_code == 200
    text = page.text
    for fact in (
        "air mati di jalan gatot subroto",
        "Made Warga",
        "(<bdi>@madewarga</bdi>)",
        "X (Twitter)",
        'href="https://x.com/warga1/status/1001"',
        "sama, air mati",
        "Facebook",
        'href="https://facebook.com/p/2"',
        "laporan awal",
        "laporan serupa",
        "2 pelapor",
        "Air minum",
        "keyakinan 87 %",
        ">air</span>",
        ">mati</span>",
        # What routed it, in words; the model's id only in the tooltip.
        'title="model test">model (yakin 87 %), kata kunci: air, mati</dd>',
        "aturan: kata &#39;air mati&#39;",
        "Denpasar Utara",
        "Ubung Kaja",
        "Jalan Gatot Subroto",
        "“<bdi>jalan gatot subroto</bdi>”",
        "Di luar Kota Denpasar",
        "Terlambat respon awal",
        "tim sudah dihubungi",
        "pdam1",
        "WITA",
        "Riwayat status",
        "diajukan otomatis",
    ):
        assert fact in text, fact
    # Only the changes allowed from baru are offered (not selesai, not baru itself).
    options = re.findall(r'<option value="(\w+)">', text.split('name="to_status"')[1])
    assert options[:2] == ["respon_awal", "ditindaklanjuti"]
    # Skipping respon awal is offered, and the form says it is recorded too.
    assert ">Ditindaklanjuti (sekaligus respon awal)</option>" in text
    assert 'value="selesai"' not in text.split('name="to_status"')[1].split("</select>")[0]


def test_status_change_is_recorded(engine: Engine) -> None:
    cid = add_complaint(engine, 1)
    client = signed_in(engine)
    token = csrf(client, f"/complaints/{cid}")
    done = client.post(
        f"/complaints/{cid}/status",
        follow_redirects=False,
        data={"to_status": "respon_awal", "note": "warga dihubungi", "csrf_token": token},
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/complaints/{cid}?ok=status")
    assert _state(engine, cid)[:3] == ("respon_awal", "PDAM", 2)
    page = client.get(done.headers["location"]).text
    assert "Status pengaduan diperbarui." in page
    history = page.split("Riwayat status")[1]
    assert re.search(
        r"operator1</td>\s*<td>Baru</td>\s*<td>Respon awal</td>\s*"
        r'<td class="text"><bdi>warga dihubungi</bdi></td>',
        history,
    )
    form = page.split('name="to_status"')[1].split("</select>")[0]
    assert re.findall(r'value="(\w+)"', form) == ["ditindaklanjuti", "selesai"]
    # Kominfo staff refusing a complaint come back to its page (they may still see it).
    done = client.post(
        f"/complaints/{cid}/bukan-wewenang",
        follow_redirects=False,
        data={"reason": "urusan PLN", "suggested_category": "PLN", "csrf_token": token},
    )
    assert done.headers["location"] == f"/complaints/{cid}?ok=bukan_wewenang"
    assert _state(engine, cid)[:3] == ("bukan_wewenang", "KOMINFO", 3)


def test_invalid_transitions_show_an_error_and_change_nothing(engine: Engine) -> None:
    cid = add_complaint(engine, 1)
    closed = add_complaint(engine, 2, status="selesai")
    client = signed_in(engine)
    token = csrf(client)
    refused = client.post(
        f"/complaints/{cid}/status",
        data={"to_status": "selesai", "note": "<b>cepat</b>", "csrf_token": token},
    )
    assert refused.status_code == 409
    assert "perubahan status tidak diizinkan" in refused.text
    assert "&lt;b&gt;cepat&lt;/b&gt;</textarea>" in refused.text  # the note is kept, escaped
    for data, code in (
        ({"to_status": "hilang"}, 400),
        ({"to_status": "baru"}, 409),
        ({"to_status": "respon_awal", "note": "x" * 5001}, 400),
    ):
        assert (
            client.post(f"/complaints/{cid}/status", data={**data, "csrf_token": token}).status_code
            == code
        )
    assert _state(engine, cid) == ("baru", "PDAM", 1, 0)
    # Reopening a closed complaint needs a reason.
    reopen = client.post(
        f"/complaints/{closed}/status", data={"to_status": "ditindaklanjuti", "csrf_token": token}
    )
    assert reopen.status_code == 409 and "perlu catatan" in reopen.text
    assert _state(engine, closed)[:3] == ("selesai", "PDAM", 1)


def test_agency_refuses_a_complaint_as_not_theirs(engine: Engine) -> None:
    cid = add_complaint(engine, 1)
    client = signed_in(engine, "pdam1", "agency", agency="PDAM")
    token = csrf(client, f"/complaints/{cid}")
    missing = client.post(
        f"/complaints/{cid}/bukan-wewenang",
        data={"reason": "  ", "suggested_category": "PUPR", "csrf_token": token},
    )
    assert missing.status_code == 400 and "Alasan bukan wewenang wajib diisi." in missing.text
    no_category = client.post(
        f"/complaints/{cid}/bukan-wewenang",
        data={"reason": "jalan rusak", "suggested_category": "NASI", "csrf_token": token},
    )
    assert no_category.status_code == 400
    assert _state(engine, cid) == ("baru", "PDAM", 1, 0)
    done = client.post(
        f"/complaints/{cid}/bukan-wewenang",
        follow_redirects=False,
        data={"reason": "ini jalan provinsi", "suggested_category": "PUPR", "csrf_token": token},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/inbox/PDAM?ok=bukan_wewenang")
    assert _state(engine, cid)[:3] == ("bukan_wewenang", "KOMINFO", 2)
    with Session(engine) as s:
        correction = s.exec(select(Correction)).one()
        last = s.exec(select(StatusChange).order_by(col(StatusChange.id).desc())).first()
    assert (correction.category, correction.kind, correction.actor) == (
        "PUPR",
        "bukan_wewenang",
        "pdam1",
    )
    assert last is not None and "ini jalan provinsi" in last.note and last.actor == "pdam1"
    assert "dikembalikan ke triase" in client.get(done.headers["location"]).text
    assert client.get(f"/complaints/{cid}").status_code == 404  # no longer theirs
    # Kominfo staff see it, with the reason in the history and no refusal form.
    page = signed_in(engine).get(f"/complaints/{cid}").text
    assert "ini jalan provinsi" in page and "menunggu triase Kominfo" in page
    assert "/bukan-wewenang" not in page


def test_notes_are_added_and_shown_escaped(engine: Engine) -> None:
    cid = add_complaint(engine, 1)
    client = signed_in(engine, "pdam1", "agency", agency="PDAM")
    token = csrf(client)
    done = client.post(
        f"/complaints/{cid}/notes",
        follow_redirects=False,
        data={"text": "<script>alert(1)</script> petugas OTW", "csrf_token": token},
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/complaints/{cid}?ok=catatan")
    page = client.get(done.headers["location"]).text
    assert "Catatan internal disimpan." in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; petugas OTW" in page and "<script>" not in page
    for text in ("   ", "x" * 5001):
        refused = client.post(f"/complaints/{cid}/notes", data={"text": text, "csrf_token": token})
        assert refused.status_code == 400
    with Session(engine) as s:
        notes = notes_of(session=s, complaint_id=cid)
    assert [(n.author, n.text) for n in notes] == [
        ("pdam1", "<script>alert(1)</script> petugas OTW")
    ]


def test_actions_without_csrf_are_refused(engine: Engine) -> None:
    cid = add_complaint(engine, 1)
    client = signed_in(engine)
    actions = {
        "status": {"to_status": "respon_awal"},
        "bukan-wewenang": {"reason": "bukan kami", "suggested_category": "PLN"},
        "notes": {"text": "catatan"},
    }
    for action, data in actions.items():
        assert client.post(f"/complaints/{cid}/{action}", data=data).status_code == 403
        wrong = client.post(f"/complaints/{cid}/{action}", data={**data, "csrf_token": "x" * 43})
        assert wrong.status_code == 403
    assert _state(engine, cid) == ("baru", "PDAM", 1, 0)


def test_agency_users_cannot_reach_other_inboxes(engine: Engine) -> None:
    own = add_complaint(engine, 1)
    other = add_complaint(engine, 2, inbox="LPJU")
    client = signed_in(engine, "pdam1", "agency", agency="PDAM")
    token = csrf(client)
    assert client.get(f"/complaints/{own}").status_code == 200
    # Another inbox's complaint and ids that do not exist look the same.
    for cid in (other, other + 1, other + 1000):
        assert client.get(f"/complaints/{cid}").status_code == 404, cid
        for action, data in (
            ("status", {"to_status": "respon_awal"}),
            ("bukan-wewenang", {"reason": "x", "suggested_category": "PLN"}),
            ("notes", {"text": "intip"}),
        ):
            response = client.post(
                f"/complaints/{cid}/{action}", data={**data, "csrf_token": token}
            )
            assert response.status_code == 404, (cid, action)
    assert client.get("/inbox/LPJU/export.csv").status_code == 404
    assert _state(engine, other) == ("baru", "LPJU", 1, 0)
    # Ids the store cannot hold are refused before any query.
    for bad in ("abc", "0", "99999999999999999999"):
        assert client.get(f"/complaints/{bad}").status_code == 422, bad


def test_viewers_cannot_open_inboxes_or_complaints(engine: Engine) -> None:
    cid = add_complaint(engine, 1)
    client = signed_in(engine, "lihat", "viewer")
    token = csrf(client, "/")
    for path in ("/inbox/PDAM", "/inbox/NOPE", "/inbox/PDAM/export.csv"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/complaints/{cid}").status_code == 403
    assert client.get(f"/complaints/{cid + 100}").status_code == 403
    for action, data in (("status", {"to_status": "respon_awal"}), ("notes", {"text": "x"})):
        response = client.post(f"/complaints/{cid}/{action}", data={**data, "csrf_token": token})
        assert response.status_code == 403
    assert _state(engine, cid) == ("baru", "PDAM", 1, 0)


def test_untrusted_text_is_escaped_on_the_page(engine: Engine) -> None:
    cid = add_complaint(
        engine,
        1,
        inbox="LPJU",
        mention_fields={
            "text": EVIL + " " + LONG,
            "author_name": "<img src=x onerror=alert(2)>",
            "author_handle": "<svg onload=alert(3)>",
            "url": "javascript:alert(1)",
        },
        street="<script>jalan</script>",
        terms=["<b>lampu</b>"],
    )
    page = signed_in(engine).get(f"/complaints/{cid}").text
    assert "<script>alert" not in page and "<img" not in page and "<svg" not in page
    assert "<b>lampu" not in page and "<script>jalan" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;script&gt;jalan&lt;/script&gt;" in page and "&lt;b&gt;lampu&lt;/b&gt;" in page
    assert "javascript:" not in page
    assert LONG in page  # shown whole on its own page, wrapped by the stylesheet
