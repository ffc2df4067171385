"""Migration 0013_reply_rounds down and up again on a store with replies and reply entries."""

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from lifecycle.status import change_status
from models.migrate import (
    alembic_config,
    alembic_config_for_scripts,
    current_revision,
    head_revision,
    upgrade,
)
from models.replies import approve
from tests.support.replies import file_with_ack, policy, replies_in

REVISION = "0013_reply_rounds"


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_reply_rounds_migrate_down_and_up_with_data(engine: Engine) -> None:
    replies = policy(mode="review")
    cid = file_with_ack(engine, replies)
    for status, note in (
        ("respon_awal", ""),
        ("selesai", ""),
        ("ditindaklanjuti", "muncul lagi"),  # reopened: a second round
        ("selesai", ""),
    ):
        change_status(
            engine=engine,
            complaint_id=cid,
            to_status=status,
            actor="pdam",
            note=note,
            replies=replies,
        )
    rounds = sorted((r.event, r.occurrence) for r in replies_in(engine))
    # respon_awal -> selesai recorded ditindaklanjuti too (no reply): the reopening is its
    # second round
    assert rounds == [
        ("diterima", 0),
        ("ditindaklanjuti", 1),
        ("respon_awal", 0),
        ("selesai", 0),
        ("selesai", 1),
    ]
    first = replies_in(engine)[0]
    assert first.id is not None
    approve(engine=engine, reply_id=first.id, actor="kominfo")
    status_rows = _rows(engine, "SELECT id FROM status_change WHERE kind = 'status' ORDER BY id")
    assert len(_rows(engine, "SELECT id FROM status_change")) == len(status_rows) + 1

    parent = ScriptDirectory.from_config(alembic_config_for_scripts()).get_revision(REVISION)
    assert parent is not None and isinstance(parent.down_revision, str)
    command.downgrade(alembic_config(engine), parent.down_revision)
    assert current_revision(engine) == parent.down_revision
    # The old key holds one reply per (mention, event): the first round's is kept.
    assert _rows(
        engine, "SELECT event, COUNT(*) FROM citizen_reply GROUP BY event ORDER BY event"
    ) == [
        ("diterima", 1),
        ("ditindaklanjuti", 1),
        ("respon_awal", 1),
        ("selesai", 1),
    ]
    assert _rows(engine, "SELECT id FROM status_change ORDER BY id") == status_rows

    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _rows(engine, "SELECT DISTINCT occurrence FROM citizen_reply") == [(0,)]
    assert _rows(engine, "SELECT DISTINCT kind FROM status_change") == [("status",)]
