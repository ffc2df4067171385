"""The access log on both stores: append-only, searchable, exportable."""

from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from models.access_log import (
    AccessQuery,
    access_actors,
    all_access_entries,
    latest_access,
    record_access,
    search_access_log,
)
from models.db import session_scope
from models.tables import AccessLogEntry
from models.vocab import AccessAction
from tests.support.factories import BASE_TIME


def _fill(engine: Engine) -> None:
    rows = [
        ("operator1", AccessAction.VIEW_ORIGINAL, "complaint:12", 0),
        ("operator1", AccessAction.EXPORT_CSV, "inbox:PDAM", 1),
        ("admin", AccessAction.USER_CREATE, "user:budi", 2),
        ("pdam1", AccessAction.EXPORT_CSV, "inbox:PDAM", 3),
        ("admin", AccessAction.VIEW_ORIGINAL, "complaint:120", 4),
    ]
    with session_scope(engine) as s:
        for actor, action, target, day in rows:
            entry = record_access(
                session=s, actor=actor, action=action, target=target, details={"n": day}
            )
            entry.at = BASE_TIME + timedelta(days=day)


def test_entries_cannot_be_changed(engine: Engine) -> None:
    _fill(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(update(AccessLogEntry).values(actor="someone else"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE access_log SET details = '{}' WHERE id = 1"))
    with Session(engine) as s:
        assert {e.actor for e in s.exec(select(AccessLogEntry))} == {"operator1", "admin", "pdam1"}


def test_filters_pages_and_export_order(engine: Engine) -> None:
    _fill(engine)
    with Session(engine) as s:
        rows, total = search_access_log(
            session=s, query=AccessQuery(action=AccessAction.EXPORT_CSV)
        )
        assert total == 2 and [e.actor for e in rows] == ["pdam1", "operator1"]  # newest first
        rows, total = search_access_log(session=s, query=AccessQuery(target="complaint:12"))
        # a prefix: complaint:12 and complaint:120
        assert total == 2
        rows, total = search_access_log(
            session=s,
            query=AccessQuery(
                actor="operator1", since=BASE_TIME, until=BASE_TIME + timedelta(days=1)
            ),
        )
        assert [(e.action, e.details) for e in rows] == [(AccessAction.VIEW_ORIGINAL, {"n": 0})]
        # LIKE's wildcards in a target are taken literally
        assert search_access_log(session=s, query=AccessQuery(target="%"))[1] == 0
        assert access_actors(session=s) == ["admin", "operator1", "pdam1"]
        exported = list(all_access_entries(session=s, query=AccessQuery()))
        ids = [e.id or 0 for e in exported]
        assert ids == sorted(ids) and len(ids) == 5
        newest = latest_access(session=s, action=AccessAction.VIEW_ORIGINAL)
        assert newest is not None and newest.target == "complaint:120"
