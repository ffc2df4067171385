"""The admin's personal-data pages and the audit of account changes, on both stores."""

import csv
import io
import json

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inbox.app import create_app
from models.erasure import Author
from models.retention import ERASED_TEXT
from models.tables import AccessLogEntry, Mention
from models.vocab import AccessAction
from tests.support.privacy import PERSON, fill
from tests.support.routing import POLICY
from tests.support.web import AUTH, csrf_token, quick_client


def _admin(engine: Engine) -> TestClient:
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    return quick_client(engine, app, "kepala", "admin")[0]


def _entries(engine: Engine) -> list[AccessLogEntry]:
    with Session(engine) as s:
        return list(s.exec(select(AccessLogEntry).order_by(col(AccessLogEntry.id))))


def test_an_access_request_is_answered_with_json_and_logged(engine: Engine) -> None:
    w = fill(engine)
    admin = _admin(engine)
    page = admin.get("/admin/privacy", params={"author": PERSON})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'id="summary"' in page.text and "Hapus data pribadinya" in page.text
    token = csrf_token(admin, "/admin/privacy")
    response = admin.post("/admin/privacy/export", data={"csrf_token": token, "author": PERSON})
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    document = json.loads(response.text)
    assert len(document["mentions"]) == 3
    assert w.open_complaint in {c["id"] for c in document["complaints"]}
    entry = _entries(engine)[-1]
    assert (entry.actor, entry.action, entry.target) == (
        "kepala",
        AccessAction.PRIVACY_EXPORT,
        Author.parse(PERSON).target,
    )
    assert entry.details == {"mentions": 3, "complaints": 2, "corrections": 1}


def test_an_erasure_needs_the_confirmation_word_and_is_logged(engine: Engine) -> None:
    fill(engine)
    admin = _admin(engine)
    token = csrf_token(admin, "/admin/privacy")
    unconfirmed = admin.post(
        "/admin/privacy/erase", data={"csrf_token": token, "author": PERSON, "konfirmasi": "ya"}
    )
    assert unconfirmed.status_code == 400 and "Ketik HAPUS" in unconfirmed.text
    with Session(engine) as s:
        assert ERASED_TEXT not in {m.text for m in s.exec(select(Mention))}
    done = admin.post(
        "/admin/privacy/erase", data={"csrf_token": token, "author": PERSON, "konfirmasi": "HAPUS"}
    )
    assert done.status_code == 200 and "3 kiriman" in done.text
    assert "Tidak ada kiriman yang masih menyimpan identitas" in done.text
    entry = _entries(engine)[-1]
    assert (entry.action, entry.actor, entry.target) == (
        AccessAction.PRIVACY_ERASE,
        "kepala",
        Author.parse(PERSON).target,
    )
    assert entry.details == {"mentions": 3, "corrections": 1, "complaints": 2}
    bad = admin.post(
        "/admin/privacy/erase",
        data={"csrf_token": token, "author": "warga1", "konfirmasi": "HAPUS"},
    )
    assert bad.status_code == 400 and "PLATFORM:HANDLE" in bad.text


def test_the_access_log_page_filters_and_exports(engine: Engine) -> None:
    w = fill(engine)
    admin = _admin(engine)
    token = csrf_token(admin, "/admin/privacy")
    admin.post("/admin/privacy/export", data={"csrf_token": token, "author": PERSON})
    everything = admin.get("/admin/access-log")
    assert everything.status_code == 200 and "2 entri" in everything.text
    views = admin.get("/admin/access-log", params={"action": AccessAction.VIEW_ORIGINAL})
    assert "1 entri" in views.text and f"complaint:{w.open_complaint}" in views.text
    by_person = admin.get("/admin/access-log", params={"author": "twitter:warga1"})
    assert "1 entri" in by_person.text and "Permintaan akses data pribadi" in by_person.text
    bad = admin.get("/admin/access-log", params={"dari": "kemarin", "action": "apa"})
    assert bad.status_code == 400 and "Tindakan tidak dikenal" in bad.text
    exported = admin.get("/admin/access-log.csv", params={"actor": "operator1"})
    assert exported.status_code == 200 and exported.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0] == ["id", "waktu_wita", "pelaku", "tindakan", "sasaran", "rincian"]
    assert [r[2:5] for r in rows[1:]] == [
        ["operator1", AccessAction.VIEW_ORIGINAL, f"complaint:{w.open_complaint}"]
    ]
    entry = _entries(engine)[-1]
    assert (entry.action, entry.details) == (
        AccessAction.ACCESS_LOG_EXPORT,
        {"filters": {"actor": "operator1"}, "rows": 1},
    )


def test_account_and_token_changes_on_the_admin_pages_are_logged(engine: Engine) -> None:
    admin = _admin(engine)
    token = csrf_token(admin, "/admin/users")
    form = {"csrf_token": token, "username": "budi", "display_name": "", "role": "viewer"}
    assert admin.post("/admin/users", data={**form, "agency": ""}).status_code == 200
    admin.post("/admin/users/budi/disable", data={"csrf_token": token})
    admin.post("/admin/users/budi/enable", data={"csrf_token": token})
    admin.post("/admin/users/budi/reset-password", data={"csrf_token": token})
    issued = admin.post("/admin/users/budi/tokens", data={"csrf_token": token, "name": "sinkron"})
    assert issued.status_code == 200
    [token_entry] = [e for e in _entries(engine) if e.action == AccessAction.TOKEN_ISSUE]
    token_id = token_entry.target.removeprefix("token:")
    admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token})
    got = [(e.actor, e.action, e.target) for e in _entries(engine)]
    assert got == [
        ("kepala", AccessAction.USER_CREATE, "user:budi"),
        ("kepala", AccessAction.USER_DISABLE, "user:budi"),
        ("kepala", AccessAction.USER_ENABLE, "user:budi"),
        ("kepala", AccessAction.USER_PASSWORD, "user:budi"),
        ("kepala", AccessAction.TOKEN_ISSUE, f"token:{token_id}"),
        ("kepala", AccessAction.TOKEN_REVOKE, f"token:{token_id}"),
    ]
    # Nothing secret is recorded: no password, no token.
    assert all("password" not in json.dumps(e.details) for e in _entries(engine))
