"""What drafting replies costs a bulk status change: 100 complaints to respon_awal.

Each variant changes batches of 100 complaints (just filed, at baru, one reporter each)
to respon_awal with ``lifecycle.bulk.bulk_apply``: ``none`` drafts no reply (no reply
account: what a bulk change cost before it drafted replies), ``auto`` drafts each reply
and its outbox row, ``review`` drafts each reply for the queue. ``one by one`` makes the
same change with ``change_status`` per complaint (automatic replies), as a user without
bulk actions would. All run in this process, one after the other, on SQLite and on
PostgreSQL (if reachable); the ratios are of figures measured here. Prints the median
milliseconds per 100 complaints and the 1-minute load average.

Run: .venv/bin/python bench/bulk_reply_bench.py [BATCHES]
"""

import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from lifecycle.bulk import MAX_BULK, bulk_apply
from lifecycle.status import change_status
from models.agencies import sync_agencies
from models.complaints import file_complaint
from models.db import make_engine, session_scope
from models.mentions import insert_mentions
from models.migrate import upgrade
from models.tables import Agency, CitizenReply, Mention, MentionIn
from models.vocab import ReplyChannel
from notify.replies import ReplyAccount, ReplyPolicy

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
#: the bench's PostgreSQL databases are named after the branch that wrote it
PG_PREFIX = "issue_13_finish_bench_"


def _policy(mode: str) -> ReplyPolicy:
    account = ReplyAccount(source="bench", channel=ReplyChannel.LOG, mode=mode)  # type: ignore[arg-type]
    return ReplyPolicy(accounts={"bench": account}, tracking_url="https://aduan.example/lacak/")


def filed(url: str, n: int) -> tuple[Engine, list[int]]:
    """A fresh store at *url* with *n* complaints at baru (one reporter each); their ids."""
    engine = make_engine(url)
    upgrade(engine)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    posts = [
        MentionIn(
            platform="twitter",
            platform_id=str(10_000 + i),
            source="bench",
            author_handle=f"warga{i}",
            text=f"air mati di gang {i} sejak pagi",
            created_at=start + timedelta(minutes=i),
        )
        for i in range(n)
    ]
    ids = []
    with session_scope(engine) as s:
        sync_agencies(session=s, agencies=[Agency(code="PDAM", name="PDAM")])
        insert_mentions(session=s, mentions=posts)
        for m in s.exec(select(Mention).order_by(col(Mention.id))):
            c = file_complaint(
                session=s, mention=m, category="PDAM", inbox="PDAM", confidence=0.9, routed_by="b"
            )
            assert c is not None and c.id is not None
            ids.append(c.id)
    return engine, ids


def _bulk(replies: ReplyPolicy | None) -> Callable[[Engine, list[int]], None]:
    def change(engine: Engine, ids: list[int]) -> None:
        result = bulk_apply(
            engine=engine,
            ids=ids,
            action="status",
            to_status="respon_awal",
            actor="bench",
            replies=replies,
        )
        assert result.ok, result.refused

    return change


def _one_by_one(engine: Engine, ids: list[int]) -> None:
    for cid in ids:
        change_status(
            engine=engine,
            complaint_id=cid,
            to_status="respon_awal",
            actor="bench",
            replies=_policy("auto"),
        )


def measure(url: str, batches: int) -> dict[str, float]:
    """Median milliseconds per batch of MAX_BULK complaints, per variant, on *url*."""
    variants: dict[str, tuple[Callable[[Engine, list[int]], None], int]] = {
        "none": (_bulk(None), 0),
        "auto": (_bulk(_policy("auto")), MAX_BULK),
        "review": (_bulk(_policy("review")), MAX_BULK),
        "one by one": (_one_by_one, MAX_BULK),
    }
    engine, ids = filed(url, len(variants) * batches * MAX_BULK)
    out: dict[str, float] = {}
    try:
        for v, (name, (change, replies_per_batch)) in enumerate(variants.items()):
            times = []
            for b in range(batches):
                start = (v * batches + b) * MAX_BULK
                batch = ids[start : start + MAX_BULK]
                began = time.perf_counter()
                change(engine, batch)
                times.append((time.perf_counter() - began) * 1000)
                with Session(engine) as s:
                    drafted = s.exec(
                        select(CitizenReply.id).where(col(CitizenReply.complaint_id).in_(batch))
                    ).all()
                assert len(drafted) == replies_per_batch, (name, len(drafted))
            out[name] = statistics.median(times)
    finally:
        engine.dispose()
    return out


def _pg_url(name: str) -> str:
    return (
        make_url(PG_ADMIN)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


def main() -> None:
    """Measure every variant on each store and print the figures."""
    batches = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        report("sqlite", measure(f"sqlite:///{Path(tmp) / 'bench.db'}", batches))
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            pass
    except psycopg.OperationalError:
        print("PostgreSQL not reachable: measured SQLite only")
        return
    name = PG_PREFIX + uuid.uuid4().hex[:10]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        report("postgresql", measure(_pg_url(name), batches))
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(store: str, figures: dict[str, float]) -> None:
    """One line per variant: median ms per batch and the ratio to ``none``."""
    base = figures["none"]
    for name, ms in figures.items():
        print(
            f"{store:10s} {name:10s} {ms:8.1f} ms per {MAX_BULK} complaints "
            f"({ms / base:.2f}x none) (load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
