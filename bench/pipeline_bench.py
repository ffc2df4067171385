"""End-to-end benchmark: 10,000 mentions through harvest, classify, route and outbox.

Runs on SQLite and on PostgreSQL (if reachable), each in a fresh process and database,
and prints mentions per second, the process's peak RSS, and for comparison, measured in
the same run: the rate of bare classification of the same texts (the active model,
batches of the routing batch size, one core, in a process of its own) and the rate of
a bare bulk insert of the same rows into the same store. The machine's speed drifts
while it runs (other agents share it): bare classification and the end-to-end run are
measured in turn, five rounds, and the median round's ratio is the figure.
Targets (issue 5): >= 1,000 mentions/s end to end on SQLite; peak RSS < 400 MB.
Targets (issue 17): end to end >= 0.50 of bare classify on SQLite, >= 0.35 on PostgreSQL.

Peak memory with a 5 MB text among 20,000 mentions: bench/memory_bench.py.

Run: .venv/bin/python bench/pipeline_bench.py [N]
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from sqlalchemy import text
from sqlalchemy.engine import Engine

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.benchkit import (
    create_pg_database,
    drop_pg_database,
    empty_pg_database,
    make_stream,
    peak_rss_mb,
    pg_url,
    run_child,
)

if TYPE_CHECKING:
    from aduan.settings import Settings

ROOT = Path(__file__).parents[1]


def bench_settings(tmp: Path, store_url: str, stream: Path, model_dir: Path) -> "Settings":
    """The bundled config on *store_url*, with one replay source ``bench`` reading *stream*."""
    from aduan.settings import load_settings

    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["store"]["url"] = store_url
    data["classifier"]["model_dir"] = str(model_dir)
    data["data_dir"] = str(tmp)
    for agency in data["agencies"]:
        agency["email"] = f"{agency['code'].lower()}@example.org"
    data["replies"] = {"accounts": []}  # the pipeline as measured before replies
    data["sources"] = [
        {
            "name": "bench",
            "platform": "replay",
            "schedule": {"seconds": 1},
            "options": {"path": str(stream), "batch_size": 1000},
        }
    ]
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump(data))
    return load_settings(config)


def run_one(store_url: str, stream: Path, model_dir: Path) -> dict[str, float]:
    """The measured end-to-end run, inside its own process (so its peak RSS is its own)."""
    from aduan import jobs
    from aduan.predictor import predictor_for
    from aduan.wiring import engine_for, prepare_store

    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp), store_url, stream, model_dir)
        engine = engine_for(settings)
        prepare_store(settings, engine)
        predictor = predictor_for(settings)
        source = settings.source("bench")
        # The daemon readies routing when it starts (its routing policy: gazetteer,
        # holidays, the place libraries' imports, about a second; batch classification's
        # imports; then a GC freeze of all that): the run measures its steady work.
        jobs.ready_to_route(settings)
        server = server_cpu(engine)
        started, cpu = time.perf_counter(), time.process_time()
        stored = 0
        # As the daemon does: each harvest routes its new mentions as it stores them
        # (routing.on_arrival), and the routing job runs after it for what is left.
        arrival = jobs.arrival_for(settings, predictor)
        while True:
            result = jobs.harvest(engine=engine, source=source, arrival=arrival)
            stored += result.stored
            jobs.route(settings=settings, engine=engine, classifier=predictor)
            if result.fetched == 0:
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        server = server_cpu(engine) - server
        engine.dispose()
    return {
        "stored": stored,
        "seconds": elapsed,
        "rate": stored / elapsed,
        "cpu_seconds": cpu + server,
        "server_cpu_seconds": server,
        "peak_rss_mb": peak_rss_mb(),
    }


def server_cpu(engine: Engine) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving this store (0 on SQLite).

    The database server runs on this machine; its backends' CPU is part of what each
    mention costs, and unlike wall time it does not grow with other agents' load.
    """
    if engine.dialect.name != "postgresql":
        return 0.0
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run_classify(stream: Path, model_dir: Path, batch_size: int) -> dict[str, float]:
    """Bare classification of the stream's texts, as routing classifies them, timed alone."""
    from threadpoolctl import threadpool_limits

    from classifier.model import load_active
    from classifier.normalize import deciding_part, normalize

    texts = [
        deciding_part(json.loads(line)["text"])
        for line in stream.read_text().splitlines()
        if line.strip()
    ]
    predictor = load_active(model_dir)
    best = best_cpu = float("inf")
    with threadpool_limits(limits=1):
        predictor.predict(texts[:batch_size])  # warm-up, as the daemon's first batch
        for _ in range(2):  # best of two: other processes share the machine
            normalize.cache_clear()
            started, cpu = time.perf_counter(), time.process_time()
            for i in range(0, len(texts), batch_size):
                predictor.predict(texts[i : i + batch_size])
            best = min(best, time.perf_counter() - started)
            best_cpu = min(best_cpu, time.process_time() - cpu)
    return {"classify_rate": len(texts) / best, "classify_cpu_rate": len(texts) / best_cpu}


def run_bare(bare_url: str, stream: Path) -> dict[str, float]:
    """The same rows inserted bare (one bulk insert) into a fresh store of the same kind."""
    from harvester.base import SourceSpec
    from harvester.registry import make_collector
    from models.db import make_engine, session_scope
    from models.mentions import insert_mentions
    from models.migrate import upgrade

    spec = SourceSpec(
        name="bare", platform="replay", options={"path": str(stream), "batch_size": 100_000}
    )
    mentions = make_collector(spec).collect(None).mentions
    bare = make_engine(bare_url)
    upgrade(bare)
    started = time.perf_counter()
    with session_scope(bare) as session:
        insert_mentions(session=session, mentions=mentions)
    return {"bare_rate": len(mentions) / (time.perf_counter() - started)}


def end_to_end(url: str, stream: Path, model_dir: Path) -> dict[str, float]:
    """One measured end-to-end run in a process of its own, on an emptied store at *url*.

    Other processes share the machine and its speed drifts by tens of percent within
    minutes: each end-to-end run follows a bare classification of its own, and the
    ratio is taken round by round (``measure``).
    """
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    else:
        empty_pg_database(url)
    return run_child(__file__, "--one", url, str(stream), str(model_dir))


#: rounds of (bare classify, end to end), each a ratio; the median is reported
ROUNDS = 5


def measure(label: str, url: str, bare_url: str, stream: Path, model_dir: Path, batch: str) -> None:
    """Print *label*'s figures: ``ROUNDS`` rounds of bare classification then the end-to-end
    run, each round's ratio, and the median; then the bare bulk insert."""
    rounds = []
    for _ in range(ROUNDS):
        r = run_child(__file__, "--classify", str(stream), str(model_dir), batch)
        r.update(end_to_end(url, stream, model_dir))
        r["ratio"] = r["rate"] / r["classify_rate"]
        r["cpu_ratio"] = r["stored"] / r["cpu_seconds"] / r["classify_cpu_rate"]
        rounds.append(r)
    rounds.sort(key=lambda x: x["ratio"])
    r = rounds[len(rounds) // 2]
    bare = run_child(__file__, "--bare", bare_url, str(stream))["bare_rate"]
    ratios = ", ".join(
        f"{x['ratio']:.2f} = {x['rate']:,.0f}/{x['classify_rate']:,.0f}" for x in rounds
    )
    cpu_ratios = ", ".join(f"{x['cpu_ratio']:.2f}" for x in rounds)
    print(
        f"{label:10s} {int(r['stored']):,} mentions, {ROUNDS} rounds of bare classify then end "
        f"to end (harvest, classify, route, outbox); the median round: "
        f"{r['rate']:,.0f} mentions/s end to end in {r['seconds']:.1f} s, bare classify "
        f"{r['classify_rate']:,.0f} mentions/s: end to end / bare classify = "
        f"{r['ratio']:.2f} (rounds, end to end/bare classify mentions/s: {ratios}); per CPU "
        f"second (the database server's included: {r['server_cpu_seconds']:.1f} s): "
        f"{cpu_ratios}; bare bulk insert "
        f"{bare:,.0f} rows/s (overhead x{bare / r['rate']:.1f}); daemon-work peak RSS "
        f"{max(x['peak_rss_mb'] for x in rounds):.0f} MB"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        stream = base / "stream.jsonl"
        make_stream(stream, n)
        model_dir = base / "models"
        from classifier.train import train

        train(model_dir)
        stores = [("SQLite", f"sqlite:///{base / 'e2e.db'}", f"sqlite:///{base / 'bare.db'}")]
        prefix = "issue17_throughput_pipeline"
        created = [db for db in (create_pg_database(prefix), create_pg_database(prefix)) if db]
        if len(created) == 2:
            stores.append(("PostgreSQL", pg_url(created[0]), pg_url(created[1])))
        else:
            print("PostgreSQL unreachable: measuring SQLite only")
        try:
            batch = str(yaml.safe_load((ROOT / "config.yaml").read_text())["routing"]["batch_size"])
            for label, url, bare_url in stores:
                measure(label, url, bare_url, stream, model_dir, batch)
        finally:
            for db in created:
                drop_pg_database(db)
    print(
        "targets: >= 1,000 mentions/s on SQLite, peak RSS < 400 MB; end to end / bare "
        "classify >= 0.50 on SQLite, >= 0.35 on PostgreSQL"
    )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        url, stream, model_dir = sys.argv[2:5]
        print(json.dumps(run_one(url, Path(stream), Path(model_dir))))
    elif len(sys.argv) > 1 and sys.argv[1] == "--classify":
        stream, model_dir, batch = sys.argv[2:5]
        print(json.dumps(run_classify(Path(stream), Path(model_dir), int(batch))))
    elif len(sys.argv) > 1 and sys.argv[1] == "--bare":
        print(json.dumps(run_bare(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
