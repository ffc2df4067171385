"""One router against two on the same stream: the same complaints, merges and threads.

Stores N mentions made from the bundled sample (a third are replies in an earlier
post's thread, a fifth re-report an earlier problem in other words), then routes them
with the bundled config's policy and a trained model, once with one router and once
with two routers at the same time (each its own engine, as two daemons), on SQLite and
on PostgreSQL (if reachable). Prints the counts of each, whether they are equal, the
routing time of each, and the load average.

Run: .venv/bin/python bench/routing_scale_bench.py [N] [MODEL_DIR]
"""

import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlmodel import Session, col, func, select

from aduan.settings import Settings, load_settings

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.benchkit import create_pg_database, drop_pg_database, pg_url

ROOT = Path(__file__).parents[1]
START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def make_stream(n: int) -> list[dict[str, object]]:
    """*n* mentions: posts, replies in earlier threads, and re-reports of earlier posts."""
    sample = ROOT / "harvester" / "samples" / "denpasar.jsonl"
    records = [json.loads(x) for x in sample.read_text().splitlines() if x.strip()]
    rng = random.Random(19)
    out: list[dict[str, object]] = []
    for i in range(n):
        r = dict(records[i % len(records)])
        r["id"] = f"{r['id']}-{i}"
        r["created_at"] = (START + timedelta(minutes=3 * i)).isoformat()
        r["author_handle"] = f"warga{rng.randrange(500)}"
        roll = rng.random()
        if out and roll < 0.33:
            parent = out[rng.randrange(max(0, len(out) - 50), len(out))]
            r["reply_to_id"] = parent["id"]
            r["conversation_id"] = parent["conversation_id"]
            r["text"] = f"masih belum beres min ({i})"
        elif out and roll < 0.53:
            earlier = out[rng.randrange(max(0, len(out) - 30), len(out))]
            r["text"] = f"{earlier['text']} juga di sini"
            r["conversation_id"], r["reply_to_id"] = r["id"], None
        else:
            r["conversation_id"], r["reply_to_id"] = r["id"], None
            r["text"] = f"{r['text']} ({i})"
        out.append(r)
    return out


def _settings(tmp: Path, store_url: str, model_dir: Path, stream: Path) -> Settings:
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["store"]["url"] = store_url
    data["classifier"]["model_dir"] = str(model_dir)
    data["data_dir"] = str(tmp)
    data["sources"] = [
        {
            "name": "bench",
            "platform": "replay",
            "schedule": {"seconds": 1},
            "options": {"path": str(stream), "batch_size": 100_000},
        }
    ]
    for account in data.get("replies", {}).get("accounts", []):
        account["source"] = "bench"  # replies are drafted at filing, as in the daemon
    config = tmp / f"config-{uuid.uuid4().hex[:6]}.yaml"
    config.write_text(yaml.safe_dump(data))
    return load_settings(config)


@dataclass
class Routed:
    """What routing made of the stream, and how long it took."""

    complaints: int
    merges: int
    replies: int
    #: platform ids of the mentions each complaint was filed from
    origins: list[str]
    shares: list[int]
    seconds: float


def routed(store_url: str, routers: int, model_dir: Path, stream: Path) -> Routed:
    """Harvest the stream into a fresh store, route it with *routers* at once: figures."""
    from aduan import jobs
    from aduan.predictor import predictor_for
    from aduan.wiring import engine_for, policy_for, prepare_store
    from models.db import make_engine
    from models.tables import Complaint, ComplaintMerge, Mention
    from router.route import route_pending

    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(Path(tmp), store_url, model_dir, stream)
        engine = engine_for(settings)
        prepare_store(settings, engine)
        jobs.harvest(engine=engine, source=settings.source("bench"))
        predictor = predictor_for(settings)
        policy = policy_for(settings)
        barrier = threading.Barrier(routers)
        shares: list[int] = []

        def router() -> None:
            own = make_engine(store_url)
            barrier.wait()
            shares.append(
                route_pending(engine=own, classifier=predictor, policy=policy, batch_size=200).total
            )
            own.dispose()

        started = time.perf_counter()
        threads = [threading.Thread(target=router) for _ in range(routers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
        with Session(engine) as s:
            complaints = s.exec(select(func.count()).select_from(Complaint)).one()
            by_reason = select(ComplaintMerge.reason, func.count()).group_by(ComplaintMerge.reason)
            reasons = {reason: count for reason, count in s.exec(by_reason)}
            members = sorted(
                s.exec(
                    select(Mention.platform_id, Complaint.origin_mention_id)
                    .join(Complaint, col(Complaint.origin_mention_id) == col(Mention.id))
                    .order_by(col(Mention.platform_id))
                )
            )
        engine.dispose()
    return Routed(
        complaints=complaints,
        merges=reasons.get("duplicate", 0),
        replies=reasons.get("reply", 0),
        origins=[m[0] for m in members],
        shares=shares,
        seconds=round(seconds, 2),
    )


def main() -> None:
    """Print one-vs-two router figures per store."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        model_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else base / "models"
        if len(sys.argv) <= 2:
            from classifier.train import train

            train(model_dir)
        stream = base / "stream.jsonl"
        stream.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make_stream(n)))
        stores = {"sqlite": lambda routers: f"sqlite:///{base / f'r{routers}.db'}"}
        print(f"{n} mentions; load average before: {os.getloadavg()[0]:.2f}")
        for kind in ("sqlite", "postgresql"):
            figures: dict[int, Routed] = {}
            for routers in (1, 2):
                name = None if kind == "sqlite" else create_pg_database("routing_scale_bench")
                url = stores[kind](routers) if kind == "sqlite" else name and pg_url(name)
                if not url:
                    print("postgresql: unreachable, skipped")
                    break
                try:
                    figures[routers] = routed(url, routers, model_dir, stream)
                finally:
                    if name:
                        drop_pg_database(name)
            if len(figures) < 2:
                continue
            one, two = figures[1], figures[2]
            same = (one.complaints, one.merges, one.replies, one.origins) == (
                two.complaints,
                two.merges,
                two.replies,
                two.origins,
            )
            for routers, f in figures.items():
                print(
                    f"{kind}: {routers} router(s): {f.complaints} complaints, "
                    f"{f.merges} same-problem merges, {f.replies} replies joined, "
                    f"mentions per router {f.shares}, {f.seconds} s"
                )
            ratio = two.seconds / one.seconds
            print(f"{kind}: identical: {same}; two/one routing time ratio {ratio:.2f}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
