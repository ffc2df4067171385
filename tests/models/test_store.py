"""Store operations, run on SQLite and on PostgreSQL."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.schema import CreateTable
from sqlmodel import Session, SQLModel, select

from models.agencies import list_agencies, sync_agencies
from models.complaint_search import ComplaintFilter, mention_text_matches, search_complaints
from models.complaints import (
    count_by_inbox_status,
    file_complaint,
    mentions_of,
)
from models.db import make_engine, session_scope
from models.exceptions import InvalidMention
from models.mentions import count_by_state, insert_mentions, pending_mentions
from models.migrate import alembic_config, current_revision, head_revision, upgrade
from models.sources import get_cursor, get_health, save_cursor
from models.tables import (
    COMPLAINT_FILLFACTOR,
    OPTIONAL_INDEXES,
    Agency,
    Complaint,
    ComplaintMention,
    Mention,
    Outbox,
    StatusChange,
)
from models.types import utcnow
from models.vocab import ComplaintStatus, MentionState
from tests.support.factories import agencies, mention


def test_migrations_reach_head_and_match_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()

    def declared(obj: object, name: str | None, type_: str, reflected: bool, _: object) -> bool:
        # Indexes created only where the database supports them are not on the models.
        return not (type_ == "index" and name in OPTIONAL_INDEXES)

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": declared})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_postgresql_text_search_has_its_trigram_index(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("mention")}
    engine.dispose()
    assert "ix_mention_text_trgm" in indexes


def test_text_search_index_covers_filed_mentions_and_serves_the_search(pg_url: str) -> None:
    """Each mention pays for its trigrams once, when filed; the search still uses them."""
    engine = make_engine(pg_url)
    upgrade(engine)
    # The search's conditions on the mention, as complaint_search writes them.
    search = select(Mention.id).where(*mention_text_matches("pipa bocor"))
    compiled = search.compile(dialect=engine.dialect)
    # The state inline, so that a prepared statement's generic plan may use the index too.
    assert "mention.state = 'filed'" in str(compiled)
    definition = _trigram_index(engine)
    command.downgrade(alembic_config(engine), "0013_reply_rounds")
    assert _trigram_index(engine).endswith("gin_trgm_ops)")  # every mention, as before
    upgrade(engine)
    assert _trigram_index(engine) == definition
    with engine.connect() as conn:
        # On an empty table any index will do; with the state index out of the way (in
        # a transaction rolled back) the planner has the trigram index or a scan.
        conn.exec_driver_sql("DROP INDEX ix_mention_state_id")
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        explain = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        plan = "\n".join(explain.scalars())
        conn.rollback()
    engine.dispose()
    assert definition.endswith("WHERE ((state)::text = 'filed'::text)")
    assert "ix_mention_text_trgm" in plan


def test_complaint_pages_keep_room_for_updates_in_place(pg_url: str) -> None:
    """Reporters and update times change after filing; with room on the page PostgreSQL
    updates the row in place (HOT) instead of entering it into all ten indexes again."""
    engine = make_engine(pg_url)
    upgrade(engine)
    assert _complaint_options(engine) == [f"fillfactor={COMPLAINT_FILLFACTOR}"]
    command.downgrade(alembic_config(engine), "0014_trgm_filed_only")
    assert _complaint_options(engine) is None
    upgrade(engine)
    assert _complaint_options(engine) == [f"fillfactor={COMPLAINT_FILLFACTOR}"]
    # A store made from the models says the same (their table options).
    table = SQLModel.metadata.tables["complaint"]
    ddl = str(CreateTable(table).compile(dialect=engine.dialect))
    engine.dispose()
    assert f"WITH (fillfactor = {COMPLAINT_FILLFACTOR})" in ddl


def _complaint_options(engine: Engine) -> list[str] | None:
    with engine.connect() as conn:
        options = conn.exec_driver_sql(
            "SELECT reloptions FROM pg_class WHERE relname = 'complaint'"
        ).scalar_one()
    return None if options is None else list(options)


def _trigram_index(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_mention_text_trgm'"
            ).scalar_one()
        )


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_inbox_query_has_its_index(engine: Engine) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("complaint")}
    assert indexes["ix_complaint_inbox_status_created"] == ["inbox", "status", "created_at"]


def test_insert_mentions_stores_new_ones_once(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert insert_mentions(session=s, mentions=[mention(1), mention(2)]) == 2
    with session_scope(engine) as s:
        assert insert_mentions(session=s, mentions=[mention(2), mention(3), mention(3)]) == 1
    with Session(engine) as s:
        ids = sorted(m.platform_id for m in s.exec(select(Mention)))
    assert ids == ["1001", "1002", "1003"]


def test_same_id_on_another_platform_is_another_mention(engine: Engine) -> None:
    with session_scope(engine) as s:
        n = insert_mentions(session=s, mentions=[mention(1), mention(1, platform="facebook")])
    assert n == 2


def test_mention_round_trips_text_times_and_raw(engine: Engine) -> None:
    text = "air mati 😩\u200b\u200f مرحبا " + "x" * 5000
    original = mention(1, text=text, raw={"nested": {"emoji": "💧", "list": [1, 2]}})
    with session_scope(engine) as s:
        insert_mentions(session=s, mentions=[original])
    with Session(engine) as s:
        stored = s.exec(select(Mention)).one()
    assert stored.text == text
    assert stored.raw == {"nested": {"emoji": "💧", "list": [1, 2]}}
    assert stored.created_at == original.created_at
    assert stored.created_at.tzinfo is not None
    assert stored.state == MentionState.PENDING


def test_database_refuses_a_duplicate_mention_even_without_the_check(engine: Engine) -> None:
    row = mention(1).model_dump()
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Mention(**row))
        s.add(Mention(**row))
        s.flush()


def test_pending_mentions_oldest_first_and_counted(engine: Engine) -> None:
    with session_scope(engine) as s:
        insert_mentions(session=s, mentions=[mention(i) for i in range(5)])
    with Session(engine) as s:
        pending = pending_mentions(session=s, limit=3)
        assert [m.platform_id for m in pending] == ["1000", "1001", "1002"]
        assert count_by_state(session=s) == {"pending": 5}


def _stored_mention(engine: Engine, n: int = 1) -> Mention:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
        insert_mentions(session=s, mentions=[mention(n)])
    with Session(engine) as s:
        return s.exec(select(Mention).where(Mention.platform_id == str(1000 + n))).one()


def test_file_complaint_writes_complaint_link_history_and_outbox(engine: Engine) -> None:
    m = _stored_mention(engine)
    with session_scope(engine) as s:
        m = s.merge(m)
        c = file_complaint(
            session=s,
            mention=m,
            category="LPJU",
            inbox="LPJU",
            confidence=0.9,
            routed_by="model:x",
            channels=("email",),
        )
        assert c is not None
    with Session(engine) as s:
        assert s.exec(select(ComplaintMention)).one().mention_id == m.id
        history = s.exec(select(StatusChange)).one()
        assert (history.from_status, history.to_status) == (None, ComplaintStatus.BARU)
        outbox = s.exec(select(Outbox)).one()
        assert (outbox.channel, outbox.agency_code, outbox.status) == ("email", "LPJU", "pending")
        assert s.exec(select(Mention)).one().state == MentionState.FILED
        listed = search_complaints(session=s, filter=ComplaintFilter(inbox="LPJU"), now=utcnow())
        assert [x.id for x in listed.items] == [c.id]
        assert c.id is not None
        assert [x.id for x in mentions_of(session=s, complaint_ids=[c.id])[c.id]] == [m.id]
        assert count_by_inbox_status(session=s) == {("LPJU", "baru"): 1}


def test_statuses_are_read_back_as_the_enum_and_unknown_ones_refused(engine: Engine) -> None:
    m = _stored_mention(engine)
    with session_scope(engine) as s:
        c = file_complaint(
            session=s,
            mention=s.merge(m),
            category="LPJU",
            inbox="LPJU",
            confidence=0.9,
            routed_by="model:x",
        )
        assert c is not None
    with Session(engine) as s:
        stored = s.exec(select(Complaint)).one()
        change = s.exec(select(StatusChange)).one()
        assert type(stored.status) is ComplaintStatus and stored.status is ComplaintStatus.BARU
        assert type(change.to_status) is ComplaintStatus and change.from_status is None
        counted = count_by_inbox_status(session=s)
        assert [type(status) for _, status in counted] == [ComplaintStatus]
    refused = pytest.raises(StatementError, match="'dibuang' is not a valid ComplaintStatus")
    with refused, session_scope(engine) as s:
        stored = s.exec(select(Complaint)).one()
        stored.status = "dibuang"  # type: ignore[assignment]
        s.add(stored)
    with Session(engine) as s:
        assert s.exec(select(Complaint)).one().status is ComplaintStatus.BARU


def test_filing_the_same_mention_twice_creates_one_complaint(engine: Engine) -> None:
    m = _stored_mention(engine)
    for _ in range(2):
        with session_scope(engine) as s:
            mm = s.merge(m)
            file_complaint(
                session=s,
                mention=mm,
                category="PDAM",
                inbox="PDAM",
                confidence=0.9,
                routed_by="model:x",
            )
    with Session(engine) as s:
        assert len(s.exec(select(Complaint)).all()) == 1
        assert len(s.exec(select(StatusChange)).all()) == 1


def test_second_filing_reports_none_and_keeps_the_first(engine: Engine) -> None:
    m = _stored_mention(engine)
    with session_scope(engine) as s:
        first = file_complaint(
            session=s,
            mention=s.merge(m),
            category="PDAM",
            inbox="PDAM",
            confidence=0.9,
            routed_by="a",
        )
    with session_scope(engine) as s:
        second = file_complaint(
            session=s,
            mention=s.merge(m),
            category="LPJU",
            inbox="LPJU",
            confidence=0.8,
            routed_by="b",
        )
    assert first is not None and second is None
    with Session(engine) as s:
        assert s.exec(select(Complaint)).one().inbox == "PDAM"


def test_complaint_needs_a_known_inbox(engine: Engine) -> None:
    m = _stored_mention(engine)
    # The foreign key refuses it and the transaction fails: the mention is not marked
    # filed without a complaint (it stays pending and nothing is lost).
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        file_complaint(
            session=s,
            mention=s.merge(m),
            category="PDAM",
            inbox="NOPE",
            confidence=0.9,
            routed_by="a",
        )
    with Session(engine) as s:
        assert s.exec(select(Complaint)).all() == []
        assert s.exec(select(Mention.state)).all() == ["pending"]


def test_cursor_round_trip_and_update(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert get_cursor(session=s, source="tw") is None
        save_cursor(session=s, source="tw", cursor={"since_id": "5"})
    with session_scope(engine) as s:
        save_cursor(session=s, source="tw", cursor={"since_id": "9"})
    with Session(engine) as s:
        assert get_cursor(session=s, source="tw") == {"since_id": "9"}


def test_health_record_created_on_first_use(engine: Engine) -> None:
    when = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        h = get_health(session=s, source="tw", platform="twitter")
        h.rate_limited_until = when
        h.consecutive_failures = 2
    with Session(engine) as s:
        h = get_health(session=s, source="tw", platform="twitter")
        assert (h.rate_limited_until, h.consecutive_failures) == (when, 2)


def test_sync_agencies_inserts_and_updates(engine: Engine) -> None:
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=agencies())
    with session_scope(engine) as s:
        sync_agencies(
            session=s,
            agencies=[
                Agency(
                    code="PDAM", name="Tirta Sewakadarma", webhook_url="https://pdam.example/hook"
                )
            ],
        )
    with Session(engine) as s:
        rows = {a.code: a for a in list_agencies(session=s)}
    assert set(rows) == {"PDAM", "LPJU", "KOMINFO"}
    assert rows["PDAM"].name == "Tirta Sewakadarma"
    assert rows["PDAM"].webhook_url == "https://pdam.example/hook"


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    bad = mention(1).model_dump()
    bad["created_at"] = datetime(2026, 11, 20, 8, 0)
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as s:
        s.add(Mention(**bad))
        s.flush()


def test_a_mention_from_an_unknown_platform_is_refused_by_name(engine: Engine) -> None:
    good, bad = mention(1), mention(2, platform="friendster", source="replay-x")
    with pytest.raises(InvalidMention) as refused, session_scope(engine) as s:
        insert_mentions(session=s, mentions=[good, bad])
    message = str(refused.value)
    assert "'1002'" in message and "'replay-x'" in message and "'friendster'" in message
    assert "known: twitter, facebook, instagram" in message
    assert (refused.value.platform_id, refused.value.source) == ("1002", "replay-x")
    with Session(engine) as s:
        assert s.exec(select(Mention)).all() == []
