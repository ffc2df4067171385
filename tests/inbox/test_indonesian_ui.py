"""The UI speaks Indonesian: no English words, no bare category codes where names belong.

Two scans. Every template's own text (markup and Jinja taken out), and every page as
rendered over a store holding something of each kind (statuses, a bounced complaint,
unsure mentions, notes, a dead notification, a failing source, tokens), which covers
the strings the pages pass to their templates. Text inside ``<code>`` (commands,
config keys, variable names) and tooltips (``title``) are not prose and are skipped.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from aduan.config_view import redacted_config
from aduan.settings import load_settings
from inbox.app import create_app
from lifecycle.assignment import assign
from lifecycle.status import bukan_wewenang, change_status
from models.accounts import issue_api_token
from models.agencies import sync_agencies
from models.db import session_scope
from models.mentions import insert_mentions
from models.notes import add_note
from models.sources import get_health
from models.tables import Complaint, Mention, Outbox
from models.vocab import CATEGORIES, MentionState, OutboxStatus, SourceState
from router.route import route_pending
from tests.support.config import bundled_config, write_config
from tests.support.factories import agencies, mention
from tests.support.paths import TEMPLATES
from tests.support.routing import POLICY, KeywordClassifier
from tests.support.web import AUTH, add_complaint, add_user, login

#: English a first-hour operator met in the UI, and its neighbours
ENGLISH = frozenset(
    [
        "filed",
        "file",
        "mention",
        "mentions",
        "complaint",
        "complaints",
        "triage",
        "dashboard",
        "new",
        "open",
        "closed",
        "pending",
        "sent",
        "dead",
        "resolved",
        "overdue",
        "unknown",
        "none",
        "null",
        "true",
        "false",
        "error",
        "failed",
        "submit",
        "delete",
        "edit",
        "save",
        "cancel",
        "search",
        "export",
        "user",
        "users",
        "password",
        "login",
        "logout",
        "settings",
        "category",
        "categories",
        "reporter",
        "reporters",
        "note",
        "notes",
        "reason",
        "reasons",
        "backfill",
        "batch",
        "assign",
        "merge",
        "reassign",
        "retry",
        "revoke",
        "disabled",
        "enabled",
        "idle",
        "failing",
        "rate",
        "limited",
        "budget",
        "exhausted",
        "model_id",
        "status_notes",
        "routed",
        "the",
        "and",
        "of",
        "not",
    ]
)
#: codes of categories that are not also an inbox's code: a name belongs where they show
CODES = frozenset(CATEGORIES) - {a.code for a in agencies()} - {"PDAM", "LPJU", "KOMINFO"}
#: raw codes such as respon_awal or not_complaint
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
#: a word; letters and digits together are one name ("Open311")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class VisibleText(HTMLParser):
    """The text a person sees: element text and the attributes read out, not code."""

    SKIP = frozenset({"script", "style", "code", "title"})
    SHOWN_ATTRIBUTES = ("placeholder", "alt", "aria-label", "value")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping.append(tag)
        for name, value in attrs:
            # A button's or a submit input's value is its caption; hidden values are not.
            shown = name in self.SHOWN_ATTRIBUTES and not (
                name == "value" and dict(attrs).get("type") != "submit"
            )
            if shown and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def problems(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """English words, raw snake_case codes and bare category codes in *text*.

    *names*: words of proper names the data holds ("Dinas PUPR Provinsi Bali").
    """
    found = [f"English {w!r}" for w in WORD.findall(text) if w.lower() in ENGLISH]
    found += [f"raw code {w!r}" for w in SNAKE.findall(text)]
    found += [f"category code {w!r}" for w in WORD.findall(text) if w in CODES and w not in names]
    return sorted(set(found))


def template_text(path: Path) -> str:
    """A template's own prose: comments, Jinja statements and expressions removed."""
    source = path.read_text(encoding="utf-8")
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", " ", source, flags=re.S)
    return visible_text(source)


def test_the_scan_sees_english_and_codes() -> None:
    assert problems("Mention ini filed sebagai DLHK, status respon_awal") == [
        "English 'Mention'",
        "English 'filed'",
        "category code 'DLHK'",
        "raw code 'respon_awal'",
    ]
    assert problems("Kiriman ini diajukan (Kebersihan dan lingkungan)") == []
    assert visible_text('<p>Jalankan <code>aduan sources enable</code></p><b title="DLHK">x</b>')


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_every_templates_own_text_is_indonesian(path: Path) -> None:
    assert problems(template_text(path)) == []


def _fill(engine: Engine) -> dict[str, int]:
    """Something of every kind a page shows."""
    ids = {
        "baru": add_complaint(engine, 1, category="DLHK", kecamatan="Denpasar Selatan"),
        "respon": add_complaint(engine, 2, status="respon_awal", category="PUPR"),
        "selesai": add_complaint(engine, 3, status="selesai", inbox="LPJU", category="LPJU"),
        "bounced": add_complaint(engine, 4, category="DISHUB"),
    }
    change_status(engine=engine, complaint_id=ids["baru"], to_status="ditindaklanjuti", actor="x")
    bukan_wewenang(
        engine=engine,
        policy=POLICY,
        complaint_id=ids["bounced"],
        actor="pdam1",
        reason="pohon tumbang",
        suggested_category="BPBD_DAMKAR",
    )
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s,
            mentions=[
                mention(20, text="bingung lapor ke mana", platform="facebook"),
                mention(21, text="bingung soal ktp", platform="instagram"),
            ],
        )
        add_note(session=s, complaint_id=ids["baru"], author="operator1", text="sudah dicek")
        s.add(
            Outbox(
                complaint_id=ids["respon"],
                agency_code="PDAM",
                channel="email",
                payload={"event": "complaint.filed"},
                status=OutboxStatus.DEAD,
                attempts=8,
                last_error="ditolak server surat",
            )
        )
        health = get_health(session=s, source="x-prodenpasar", platform="twitter")
        health.state = SourceState.FAILING
        health.last_error = "server tidak menjawab"
        s.add(health)
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=POLICY)
    with session_scope(engine) as s:
        for m in s.exec(select(Mention).where(Mention.state == MentionState.TRIAGE)):
            m.category = "NOT_COMPLAINT" if m.platform == "facebook" else "DISDUKCAPIL"
            s.add(m)
    add_user(engine, "admin1", "admin")
    with session_scope(engine) as s:
        issue_api_token(session=s, username="admin1", name="sinkron sp4n")
    return ids


def test_every_page_shows_indonesian_and_names(engine: Engine, tmp_path: Path) -> None:
    ids = _fill(engine)
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    settings = load_settings(write_config(tmp_path, data))
    app = create_app(engine, auth_config=AUTH, policy=POLICY, config_view=redacted_config(settings))
    anonymous = TestClient(app)
    client = TestClient(app)
    assert login(client, "admin1").status_code in (200, 303)
    pages = {"/login": anonymous.get("/login")}
    for path in (
        "/",
        "/complaints",
        "/complaints?status=baru",
        "/inbox/PDAM",
        "/inbox/LPJU",
        "/inbox/KOMINFO",
        "/triage",
        "/pengaduan-saya",
        "/tampilan",
        "/beban-kerja?inbox=PDAM",
        "/admin/users",
        "/admin/config",
        "/tidak-ada",
        "/complaints/abc",
        "/inbox/PDAM?status=salah",
        *(f"/complaints/{cid}" for cid in ids.values()),
    ):
        pages[path] = client.get(path)
    # A petugas's own list, with a complaint assigned, and that complaint's assignment history.
    add_user(engine, "petugas1", "agency", agency="PDAM")
    with session_scope(engine) as s:
        pdam = s.exec(select(Complaint.id).where(Complaint.inbox == "PDAM")).first()
    assert pdam is not None
    assign(engine=engine, complaint_id=pdam, assignee="petugas1", actor="admin1")
    petugas = TestClient(app)
    assert login(petugas, "petugas1").status_code in (200, 303)
    pages["/pengaduan-saya (petugas)"] = petugas.get("/pengaduan-saya")
    pages["/pengaduan-saya?semua=1 (petugas)"] = petugas.get("/pengaduan-saya?semua=1")
    pages[f"/complaints/{pdam} (petugas)"] = petugas.get(f"/complaints/{pdam}")
    assert f'href="/complaints/{pdam}"' in pages["/pengaduan-saya (petugas)"].text
    assert "Riwayat petugas" in pages[f"/complaints/{pdam} (petugas)"].text
    # Agency names are proper names; an acronym in one ("PLN UP3 Bali") is not a code.
    names = frozenset(w for a in settings.agencies for w in WORD.findall(a.name))
    wrong = {}
    for path, response in pages.items():
        assert response.headers["content-type"].startswith("text/html"), path
        found = problems(visible_text(response.text), names)
        if found:
            wrong[path] = found
    assert wrong == {}, "\n".join(f"{p}: {w}" for p, w in wrong.items())
    # The names are there instead: a category, a suggestion, the model's guesses.
    triage = visible_text(pages["/triage"].text)
    for name in ("Bencana dan kebakaran", "Bukan pengaduan", "Administrasi kependudukan"):
        assert name in triage
    assert "Kebersihan dan lingkungan" in visible_text(pages[f"/complaints/{ids['baru']}"].text)
