"""Saved views: saved from the list, shown in the navigation with live counts, shared
with the owner's agency only, deleted by their owner only."""

import re
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from inbox import desk_pages, view_pages
from inbox.app import create_app
from lifecycle.status import change_status
from models.tables import SavedView
from tests.support.routing import POLICY
from tests.support.web import AUTH, add_complaint, post, quick_client


@pytest.fixture
def office(engine: Engine) -> dict[str, Any]:
    app = create_app(engine, auth_config=AUTH, policy=POLICY)
    out: dict[str, Any] = {}
    for name, role, agency in (
        ("ayu", "agency", "PDAM"),
        ("budi", "agency", "PDAM"),
        ("citra", "agency", "LPJU"),
        ("ops", "operator", None),
    ):
        out[name] = quick_client(engine, app, name, role, agency)
    out["pdam"] = [add_complaint(engine, n, inbox="PDAM") for n in (1, 2, 3)]
    out["lpju"] = add_complaint(engine, 4, inbox="LPJU")
    return out


def _nav(client: Any) -> dict[str, str]:
    """The saved views in the navigation: name -> 'name (count)'."""
    page = client.get("/pengaduan-saya").text
    links = re.findall(r'<a href="([^"]+)" class="saved-view">([^<]+)</a>', page)
    return {text.rsplit(" (", 1)[0]: text for _, text in links}


def test_a_shared_view_reaches_the_agency_with_a_live_count(
    engine: Engine, office: dict[str, Any]
) -> None:
    ayu, csrf = office["ayu"]
    response = post(ayu, "/tampilan", csrf, nama="Baru hari ini", status="baru", bagikan="1")
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox/PDAM?status=baru&ok=tampilan"
    assert _nav(ayu) == {"Baru hari ini": "Baru hari ini (3)"}
    budi, _ = office["budi"]
    assert _nav(budi) == {"Baru hari ini": "Baru hari ini (3)"}
    change_status(engine=engine, complaint_id=office["pdam"][0], to_status="respon_awal", actor="b")
    assert _nav(budi) == {"Baru hari ini": "Baru hari ini (2)"}  # counted when shown
    # Another agency and Kominfo staff do not see it.
    assert _nav(office["citra"][0]) == {} and _nav(office["ops"][0]) == {}


def test_a_personal_view_is_its_owners_alone(engine: Engine, office: dict[str, Any]) -> None:
    ayu, csrf = office["ayu"]
    post(ayu, "/tampilan", csrf, nama="Punyaku", sort="oldest")
    assert "Punyaku" in _nav(ayu) and _nav(office["budi"][0]) == {}
    # The same name again replaces the view (now shared).
    post(ayu, "/tampilan", csrf, nama="Punyaku", status="baru", bagikan="1")
    with Session(engine) as s:
        views = s.exec(select(SavedView)).all()
    assert [(v.name, v.filters, v.shared) for v in views] == [("Punyaku", {"status": "baru"}, True)]


def test_only_the_owner_deletes_a_view(engine: Engine, office: dict[str, Any]) -> None:
    ayu, csrf = office["ayu"]
    post(ayu, "/tampilan", csrf, nama="Bersama", bagikan="1")
    with Session(engine) as s:
        view_id = s.exec(select(SavedView.id)).one()
    budi, budi_csrf = office["budi"]
    assert f"/tampilan/{view_id}/hapus" not in budi.get("/tampilan").text
    assert post(budi, f"/tampilan/{view_id}/hapus", budi_csrf).status_code == 404
    assert post(ayu, f"/tampilan/{view_id}/hapus", "palsu").status_code == 403
    response = post(ayu, f"/tampilan/{view_id}/hapus", csrf)
    assert response.status_code == 303 and _nav(ayu) == {}


def test_an_operator_saves_a_view_of_every_inbox(engine: Engine, office: dict[str, Any]) -> None:
    ops, csrf = office["ops"]
    response = post(ops, "/tampilan", csrf, nama="LPJU baru", inbox="LPJU", status="baru")
    assert response.headers["location"] == "/complaints?inbox=LPJU&status=baru&ok=tampilan"
    assert _nav(ops) == {"LPJU baru": "LPJU baru (1)"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"nama": "x", "status": "salah"}, "Status tidak dikenal."),
        ({"nama": " "}, "Nama tampilan wajib diisi"),
        ({"nama": "x" * 101}, "paling banyak 100 karakter"),
    ],
)
def test_a_view_that_cannot_be_saved_says_why(
    engine: Engine, office: dict[str, Any], fields: dict[str, str], message: str
) -> None:
    ayu, csrf = office["ayu"]
    response = post(ayu, "/tampilan", csrf, **fields)
    assert response.status_code == 400
    assert 'role="alert"' in response.text and message in response.text
    with Session(engine) as s:
        assert s.exec(select(SavedView)).all() == []


def test_an_agency_user_cannot_save_a_view_of_another_inbox(
    engine: Engine, office: dict[str, Any]
) -> None:
    ayu, csrf = office["ayu"]
    assert post(ayu, "/tampilan", csrf, nama="x", kode_inbox="LPJU").status_code == 404
    # The list filter of every inbox is not theirs either: the view is of their inbox.
    response = post(ayu, "/tampilan", csrf, nama="y", inbox="LPJU")
    assert response.headers["location"].startswith("/inbox/PDAM")
    with Session(engine) as s:
        assert [v.inbox for v in s.exec(select(SavedView))] == ["PDAM"]


def test_a_page_still_renders_when_the_navigations_counts_fail(
    engine: Engine, office: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ayu, csrf = office["ayu"]
    post(ayu, "/tampilan", csrf, nama="Baru", status="baru")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(view_pages, "view_links", broken)
    monkeypatch.setattr(desk_pages, "count_mine", broken)
    response = ayu.get("/pengaduan-saya")
    assert response.status_code == 200
    assert 'class="saved-view"' not in response.text
    assert 'id="nav-saya">Pengaduan saya</a>' in response.text
