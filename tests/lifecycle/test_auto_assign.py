"""Automatic assignment where complaints enter an inbox: routing (one query per batch),
triage decisions and redirects; round-robin and least-loaded; the config's checks."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from aduan.settings import load_settings
from aduan.wiring import policy_for
from lifecycle.assignment import assign
from lifecycle.auto_assign import assign_entered
from lifecycle.status import bukan_wewenang, reassign
from lifecycle.triage import assign as triage_assign
from models.accounts import set_active, set_email
from models.agencies import sync_agencies
from models.db import session_scope
from models.exceptions import ConfigError
from models.mentions import insert_mentions
from models.tables import Complaint, ComplaintAssignment, Mention, Outbox, User
from models.vocab import MentionState, OutboxRecipient
from router.route import route_pending
from tests.support.config import bundled_config
from tests.support.factories import agencies, mention
from tests.support.routing import POLICY, KeywordClassifier
from tests.support.web import add_complaint, add_user


def _policy(**modes: str) -> Any:
    return replace(POLICY, auto_assign=modes, on_inbox_entry=assign_entered)


@pytest.fixture
def people(engine: Engine) -> None:
    """PDAM: ayu, budi, dewi (disabled); LPJU: citra; an operator."""
    for name, agency in (("ayu", "PDAM"), ("budi", "PDAM"), ("dewi", "PDAM"), ("citra", "LPJU")):
        add_user(engine, name, "agency", agency=agency)
    add_user(engine, "ops", "operator")
    with session_scope(engine) as s:
        set_active(session=s, username="dewi", active=False)
        set_email(session=s, username="ayu", email="ayu@pdam.example.org")


def _petugas(engine: Engine) -> dict[int, str | None]:
    """Each complaint's petugas by id (None: nobody)."""
    with Session(engine) as s:
        names = dict(s.exec(select(User.id, User.username)).all())
        rows = s.exec(select(Complaint).order_by(col(Complaint.id))).all()
        return {c.id or 0: names.get(c.assignee_id) for c in rows}


def _route(engine: Engine, texts: list[str], policy: Any, start: int = 0) -> None:
    """Store *texts* as mentions numbered from *start* and route them (one batch)."""
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(
            session=s, mentions=[mention(start + i, text=t) for i, t in enumerate(texts)]
        )
    route_pending(engine=engine, classifier=KeywordClassifier(), policy=policy)


@contextmanager
def _user_queries(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM app_user" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_routing_assigns_in_turn_with_one_query_per_batch(engine: Engine, people: None) -> None:
    policy = _policy(PDAM="round_robin")
    texts = [f"air mati di jalan {n}" for n in range(4)] + ["lampu jalan mati"]
    with _user_queries(engine) as queries:
        _route(engine, texts, policy)
    assert len(queries) == 1
    assert list(_petugas(engine).values()) == ["ayu", "budi", "ayu", "budi", None]
    # The rotation is read from the store: the next batch goes on where it stopped.
    _route(engine, ["air mati lagi", "air keruh"], policy, start=10)
    assert list(_petugas(engine).values())[5:] == ["ayu", "budi"]
    with Session(engine) as s:
        rows = s.exec(select(ComplaintAssignment)).all()
        assert {r.actor for r in rows} == {"otomatis"} and len(rows) == 6
        # ayu has an address: told of each, the notice naming the automatic assignment.
        notices = s.exec(select(Outbox).where(Outbox.recipient == OutboxRecipient.PETUGAS)).all()
    assert len(notices) == 3 and {n.payload["to"] for n in notices} == {"ayu@pdam.example.org"}
    assert "Ditugaskan oleh : penugasan otomatis" in notices[0].payload["notice"]["lines"]
    assert {r.notified for r in rows} == {"email", "none"}


def test_least_loaded_fills_the_emptiest_first(engine: Engine, people: None) -> None:
    mine = [add_complaint(engine, 100 + n) for n in range(2)]
    for cid in mine:
        assign(engine=engine, complaint_id=cid, assignee="ayu", actor="ops")
    _route(engine, ["air mati 1", "air mati 2", "air mati 3"], _policy(PDAM="least_loaded"))
    assert list(_petugas(engine).values())[2:] == ["budi", "budi", "ayu"]


def test_without_config_or_petugas_nothing_is_assigned(engine: Engine, people: None) -> None:
    _route(engine, ["air mati", "lampu mati"], replace(POLICY, on_inbox_entry=assign_entered))
    _route(engine, ["air mati lagi"], _policy(KOMINFO="round_robin"), start=5)
    assert set(_petugas(engine).values()) == {None}
    with Session(engine) as s:
        assert s.exec(select(ComplaintAssignment)).all() == []


def test_a_triage_decision_and_a_redirect_assign_in_the_new_inbox(
    engine: Engine, people: None
) -> None:
    policy = _policy(PDAM="round_robin", LPJU="least_loaded")
    _route(engine, ["bingung ini apa"], policy)
    with Session(engine) as s:
        waiting = s.exec(select(Mention).where(Mention.state == MentionState.TRIAGE)).one()
    assert waiting.id is not None
    filed = triage_assign(
        engine=engine, policy=policy, mention_id=waiting.id, category="LPJU", actor="ops"
    )
    assert filed is not None and filed.id is not None
    assert _petugas(engine)[filed.id] == "citra"
    # LPJU refuses it; triage redirects it to PDAM: citra is released, a PDAM petugas takes it.
    bukan_wewenang(
        engine=engine,
        policy=policy,
        complaint_id=filed.id,
        actor="citra",
        reason="pipa PDAM",
        suggested_category="PDAM",
        agency_code="LPJU",
    )
    assert _petugas(engine)[filed.id] is None
    reassign(engine=engine, policy=policy, complaint_id=filed.id, category="PDAM", actor="ops")
    assert _petugas(engine)[filed.id] == "ayu"
    with Session(engine) as s:
        history = s.exec(select(ComplaintAssignment).order_by(col(ComplaintAssignment.id))).all()
        names = dict(s.exec(select(User.id, User.username)).all())
    assert [(r.actor, names.get(r.from_user_id), names.get(r.to_user_id)) for r in history] == [
        ("otomatis", None, "citra"),
        ("citra", "citra", None),
        ("otomatis", None, "ayu"),
    ]


def test_another_agencys_users_are_never_candidates(engine: Engine, people: None) -> None:
    # Only citra is active in LPJU; PDAM's people must never get an LPJU complaint.
    with session_scope(engine) as s:
        set_active(session=s, username="citra", active=False)
    _route(engine, ["lampu mati 1", "lampu mati 2"], _policy(LPJU="round_robin"))
    assert set(_petugas(engine).values()) == {None}


def _config(tmp_path: Path, **agency: Any) -> Path:
    data = bundled_config()
    code = agency.pop("code")
    index = next(i for i, a in enumerate(data["agencies"]) if a["code"] == code)
    data["agencies"][index].update(agency)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_the_config_names_a_bad_auto_assign_key(tmp_path: Path) -> None:
    index = next(i for i, a in enumerate(bundled_config()["agencies"]) if a["code"] == "PDAM")
    with pytest.raises(ConfigError) as bad:
        load_settings(_config(tmp_path, code="PDAM", auto_assign="acak"))
    assert f"agencies[{index}].auto_assign" in str(bad.value)
    assert "'round_robin' or 'least_loaded'" in str(bad.value) and "acak" in str(bad.value)
    pln = next(i for i, a in enumerate(bundled_config()["agencies"]) if a["code"] == "PLN")
    with pytest.raises(ConfigError) as external:
        load_settings(_config(tmp_path, code="PLN", auto_assign="round_robin"))
    assert f"agencies[{pln}].auto_assign: an external body" in str(external.value)
    settings = load_settings(_config(tmp_path, code="PDAM", auto_assign="least_loaded"))
    policy = policy_for(settings)
    assert policy.auto_assign == {"PDAM": "least_loaded"}
    assert policy.on_inbox_entry is assign_entered
    assert policy.web_base_url == settings.public.base_url
