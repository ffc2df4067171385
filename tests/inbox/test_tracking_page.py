"""The public tracking page /lacak: what a citizen with a number sees, and nothing more."""

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from inbox.app import create_app
from lifecycle.status import change_status
from models.db import session_scope
from models.tables import Complaint
from tests.support import numbers
from tests.support.personal import HOSTILE_TEXT
from tests.support.routing import POLICY
from tests.support.web import AUTH, EVIL, add_complaint


def _public(engine: Engine, per_minute: int = 100) -> TestClient:
    app = create_app(engine, auth_config=AUTH, policy=POLICY, tracking_per_minute=per_minute)
    return TestClient(app, follow_redirects=False)


def _number(engine: Engine, cid: int) -> str:
    with session_scope(engine) as s:
        c = s.get(Complaint, cid)
        assert c is not None
        return c.public_number


def test_a_number_shows_status_agency_dates_and_notes_only(engine: Engine) -> None:
    cid = add_complaint(
        engine, 1, mention_fields={"text": f"{EVIL} {HOSTILE_TEXT}", "author_name": "Budi <b>"}
    )
    change_status(
        engine=engine,
        complaint_id=cid,
        to_status="respon_awal",
        actor="petugas_pdam",
        note="tim dijadwalkan besok, hubungi 081234567890",
    )
    number = _number(engine, cid)
    page = _public(engine).get(f"/lacak/{number}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    text = page.text
    assert number in text and "Respon awal" in text and "PDAM Denpasar" in text
    assert "tim dijadwalkan besok" in text and "081234567890" not in text
    for private in (
        "<script>",
        "onerror",
        "lampu mati",
        HOSTILE_TEXT[:20],
        "warga1",
        "Budi",
        "petugas_pdam",
        "x.com",
        f"/complaints/{cid}",
        "Keluar",
    ):
        assert private not in text, private


def test_numbers_are_typed_any_way_and_unknown_ones_found_nowhere(engine: Engine) -> None:
    cid = add_complaint(engine, 1)
    number = _number(engine, cid)
    client = _public(engine)
    assert client.get("/lacak").status_code == 200
    typed = client.get("/lacak", params={"nomor": number.lower().replace("-0000", "-")})
    assert (typed.status_code, typed.headers["location"]) == (303, f"/lacak/{number}")
    loose = client.get(f"/lacak/{number.lower()}")
    assert (loose.status_code, loose.headers["location"]) == (303, f"/lacak/{number}")
    missing = client.get("/lacak/DPS-26-99999")
    assert missing.status_code == 404 and "tidak ditemukan" in missing.text
    assert client.get("/lacak/%3Cscript%3E").status_code == 404
    assert client.get("/lacak", params={"nomor": "12"}).status_code == 400
    # The inbox's id is not a way in.
    assert client.get(f"/lacak/{cid}").status_code == 404


def test_a_confidential_complaint_shows_only_number_status_and_dates(engine: Engine) -> None:
    cid = add_complaint(engine, 1, confidential=True, inbox="LPJU")
    change_status(
        engine=engine, complaint_id=cid, to_status="respon_awal", actor="x", note="dicek ke rumah"
    )
    number = _number(engine, cid)
    page = _public(engine).get(f"/lacak/{number}")
    assert page.status_code == 200 and number in page.text and "Respon awal" in page.text
    assert "dirahasiakan" in page.text
    for private in ("Dishub", "LPJU", "dicek ke rumah", "air mati"):
        assert private not in page.text, private


def test_look_ups_are_limited_per_client(engine: Engine) -> None:
    number = _number(engine, add_complaint(engine, 1))
    client = _public(engine, per_minute=3)
    assert number == numbers.number(1)
    codes = [client.get(f"/lacak/{numbers.number(i)}").status_code for i in range(1, 4)]
    assert codes[0] == 200 and codes[1:] == [404, 404]
    refused = client.get(f"/lacak/{number}")
    assert refused.status_code == 429 and "Terlalu banyak" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    # Another app (another daemon) keeps its own count.
    assert _public(engine, per_minute=3).get(f"/lacak/{number}").status_code == 200
