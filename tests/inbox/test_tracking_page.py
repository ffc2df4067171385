"""The public tracking page /lacak: what a citizen with a number sees, and nothing more."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from inbox.app import create_app
from lifecycle.status import change_status
from models.db import session_scope
from models.lookup_limits import LOOKUP_USERNAME, LOOKUP_WINDOW, take_lookup
from models.sessions import record_login_attempt
from models.tables import Complaint, LoginAttempt
from tests.support import numbers
from tests.support.personal import HOSTILE_TEXT
from tests.support.routing import POLICY
from tests.support.web import AUTH, EVIL, add_complaint


def _public(
    engine: Engine, per_minute: int = 100, client: tuple[str, int] = ("testclient", 50000)
) -> TestClient:
    app = create_app(engine, auth_config=AUTH, policy=POLICY, tracking_per_minute=per_minute)
    return TestClient(app, follow_redirects=False, client=client)


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
    # Another app on the same store (another web worker or daemon) shares the count ...
    assert _public(engine, per_minute=3).get(f"/lacak/{number}").status_code == 429
    # ... per client address; and the store never keeps the address itself.
    other = _public(engine, per_minute=3, client=("198.51.100.7", 40000))
    assert other.get(f"/lacak/{number}").status_code == 200
    with session_scope(engine) as s:
        addresses = set(s.exec(select(LoginAttempt.address)).all())
    assert len(addresses) == 2 and not any("198.51" in a or "testclient" in a for a in addresses)


def test_look_ups_leave_the_count_after_a_minute(engine: Engine) -> None:
    start = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        record_login_attempt(session=s, username="budi", address="k", success=False, at=start)
        assert take_lookup(session=s, client_key="k", per_minute=1, now=start).allowed
    with session_scope(engine) as s:
        refused = take_lookup(
            session=s, client_key="k", per_minute=1, now=start + timedelta(seconds=20)
        )
    assert not refused.allowed and refused.retry_after == timedelta(seconds=40)
    with session_scope(engine) as s:
        later = start + LOOKUP_WINDOW + timedelta(seconds=1)
        assert take_lookup(session=s, client_key="k", per_minute=1, now=later).allowed
    with session_scope(engine) as s:
        # the expired look-up is gone; a sign-in's rows are never touched
        rows = s.exec(select(LoginAttempt.username, LoginAttempt.at)).all()
    assert sorted(name for name, _ in rows) == ["budi", LOOKUP_USERNAME]
