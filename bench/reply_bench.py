"""What numbering and replies cost routing: filing N mentions three ways.

Each variant routes the same N distinct mentions into a fresh store with a keyword
stand-in for the model (the classifier's own cost is bench/classifier_bench.py):
``unnumbered`` gives each complaint a random unique number without the counter (what
filing cost before public numbers); ``numbered`` draws it from the counter row in the
filing transaction, as aduan does; ``replies`` also drafts an acknowledgement (a reply
row and an outbox row) for each. All run in this process, one after the other, on
SQLite and on PostgreSQL (if reachable); the ratios are of figures measured here.
Prints filings per second and the 1-minute load average.

Run: .venv/bin/python bench/reply_bench.py [N]
"""

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

import models.complaints
from models.agencies import sync_agencies
from models.db import make_engine, session_scope
from models.mentions import insert_mentions
from models.migrate import upgrade
from models.tables import Agency, MentionIn
from models.vocab import ReplyChannel
from notify.replies import ReplyAccount, ReplyPolicy
from router.policy import RoutingPolicy
from router.route import route_pending

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2026, 11, 1, tzinfo=UTC)
PLACES = ("sesetan", "panjer", "ubung", "sanur", "renon", "pemecutan", "kesiman", "peguyangan")


@dataclass(frozen=True)
class Guess:
    """A prediction as routing needs it."""

    category: str
    confidence: float = 0.9
    abstained: bool = False
    model_id: str = "bench"
    terms: list[str] = field(default_factory=list)
    reason: str | None = None


class Keywords:
    """Every text is a PDAM complaint: routing, numbering and drafting are what is timed."""

    def predict(self, texts: Sequence[str]) -> list[Guess]:
        """One guess per text."""
        return [Guess("PDAM") for _ in texts]


def mentions(n: int) -> list[MentionIn]:
    """*n* distinct posts far apart in time and place, so dedupe joins none of them."""
    return [
        MentionIn(
            platform="twitter",
            platform_id=str(10_000 + i),
            source="bench",
            author_handle=f"warga{i}",
            text=f"air mati di {PLACES[i % len(PLACES)]} gang {i} sejak pagi {uuid.uuid4().hex}",
            created_at=START + timedelta(hours=3 * i),
        )
        for i in range(n)
    ]


def _random_number(_conn: object, *, prefix: str, filed_at: datetime) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def run(url: str, n: int, replies: ReplyPolicy | None, *, counter: bool = True) -> float:
    """Filings per second for *n* mentions routed into the fresh store at *url*."""
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        sync_agencies(
            session=s,
            agencies=[Agency(code="PDAM", name="PDAM"), Agency(code="KOMINFO", name="Kominfo")],
        )
        insert_mentions(session=s, mentions=mentions(n))
    policy = RoutingPolicy(
        category_inbox={"PDAM": "PDAM"}, triage_inbox="KOMINFO", dedupe_window=timedelta(hours=1)
    )
    policy = replace(policy, replies=replies)
    real = models.complaints.next_number
    if not counter:
        models.complaints.next_number = _random_number  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        result = route_pending(engine=engine, classifier=Keywords(), policy=policy, batch_size=500)
        elapsed = time.perf_counter() - started
    finally:
        models.complaints.next_number = real
    engine.dispose()
    assert result.filed == n, result
    return n / elapsed


def stores() -> list[tuple[str, str]]:
    """(name, url factory) of the stores to measure."""
    out = [("sqlite", "sqlite")]
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            out.append(("postgresql", "postgresql"))
    except psycopg.OperationalError:
        print("PostgreSQL not reachable: measuring SQLite only")
    return out


#: the PostgreSQL databases this run made, dropped at the end
_MADE: list[str] = []


def fresh_url(kind: str, folder: Path) -> str:
    """A new empty database of *kind*."""
    if kind == "sqlite":
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
    name = f"aduan_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _MADE.append(name)
    return (
        make_url(PG_ADMIN)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


def main() -> None:
    """Measure both variants on each store and print the figures."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    account = ReplyAccount(source="bench", channel=ReplyChannel.LOG, mode="auto")
    replies = ReplyPolicy(accounts={"bench": account}, tracking_url="https://aduan.example/lacak/")
    try:
        measure(n, replies)
    finally:
        drop_made()


def drop_made() -> None:
    """Drop the PostgreSQL databases this run made."""
    if not _MADE:
        return
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for name in _MADE:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(n: int, replies: ReplyPolicy) -> None:
    """Both variants on each store, printed."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind in stores():
            bare = run(fresh_url(kind, Path(tmp)), n, None, counter=False)
            plain = run(fresh_url(kind, Path(tmp)), n, None)
            answered = run(fresh_url(kind, Path(tmp)), n, replies)
            print(
                f"{name:10s} {n} filings/s: unnumbered {bare:6.0f}, numbered {plain:6.0f} "
                f"({plain / bare:.2f}x), numbered + acknowledgement {answered:6.0f} "
                f"({answered / bare:.2f}x) (load average {os.getloadavg()[0]:.1f})"
            )


if __name__ == "__main__":
    main()
