"""Flat with size: the end-to-end rate on a store holding 1,000,000 mentions and 300,000
complaints, against the rate on an empty store (issue 17: within 20 %).

For each store (an SQLite file, and a fresh PostgreSQL database when the server is
reachable), in processes of their own: the end-to-end run of ``pipeline_bench`` (harvest,
classify, route, outbox) of N new mentions on an empty store, then on a store filled
first, then on an empty store again (the empty figure is the mean of the two, so a change
in the machine's load during the run shows rather than skews the ratio). Every mention of
the stream hangs under a thread root that is not stored, so each batch's conversation
look-up runs against the filled mention table and finds nothing, as on the empty store.

The store is filled with set-based ``INSERT ... SELECT`` over a generated series (no row
leaves Python): mentions over the year before the stream, a complaint (with its origin
link) for three in ten of them, spread over the year like the mentions, with the
categories and places routing gives the bundled sample's texts, 70 % of them closed; the
newest fall inside the dedupe window of the stream, so the window query has open
complaints to read. Then the planner's
statistics are refreshed (ANALYZE), as autovacuum would on a store that grew over a year.
With --requests > 0 the PDAM inbox page's median and p95 are timed on the filled store
through the real app (as ``web_bench`` does).

Prints each rate (wall and per CPU second, PostgreSQL's backends included), the ratios
filled/empty, the fill time and the load average.

Run: .venv/bin/python bench/store_size_bench.py [--scale 1.0] [--n 5000]
     [--store sqlite|postgresql|both] [--requests 20]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.benchkit import create_pg_database, drop_pg_database, pg_url, run_child
from bench.benchkit import make_stream as plain_stream

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(Path(__file__).parent))
MENTIONS = 1_000_000
FILL_DAYS = 365


def make_stream(path: Path, n: int) -> None:
    """``pipeline_bench``'s stream, each post under a thread root that is not stored."""
    plain_stream(path, n)
    records = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    with path.open("w") as out:
        for i, r in enumerate(records):
            r["conversation_id"] = f"root-{i}"
            out.write(json.dumps(r, ensure_ascii=False) + "\n")


def _places(settings: Any) -> list[dict[str, Any]]:
    """(category, inbox, kecamatan, desa, street) that routing gives the sample's texts."""
    from aduan.predictor import predictor_for
    from aduan.wiring import policy_for
    from models.vocab import NOT_COMPLAINT

    sample = ROOT / "harvester" / "samples" / "denpasar.jsonl"
    texts = [json.loads(x)["text"] for x in sample.read_text().splitlines() if x.strip()]
    policy = policy_for(settings)
    assert policy.locate is not None
    out = []
    for t, p in zip(texts, predictor_for(settings).predict(texts), strict=True):
        if p.abstained or p.category == NOT_COMPLAINT:
            continue
        place = policy.locate(t)
        out.append(
            {
                "category": p.category,
                "inbox": policy.inbox_for(p.category),
                "kecamatan": place.kecamatan,
                "desa": place.desa,
                "street": place.street,
            }
        )
    return out


def _series(conn: Connection, count_param: str) -> str:
    """A FROM clause of rows ``n`` = 1..:count_param on either store."""
    if conn.dialect.name == "postgresql":
        return f"generate_series(1, :{count_param}) AS s(n)"
    return "seq"


def _with_series(conn: Connection, count_param: str) -> str:
    if conn.dialect.name == "postgresql":
        return ""
    return (
        f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq "
        f"WHERE n < :{count_param}) "
    )


def _at(conn: Connection, seconds: str) -> str:
    """The SQL of a stored time *seconds* (an SQL expression) after the Unix epoch."""
    if conn.dialect.name == "postgresql":
        return f"to_timestamp({seconds})"
    # SQLAlchemy's SQLite DateTime format, so range comparisons compare like with like
    return f"strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.000000'"


def fill(url: str, stream: Path, model_dir: Path, scale: float) -> dict[str, float]:
    """Fill a fresh store at *url*; the seconds it took and the row counts."""
    from aduan.wiring import engine_for, prepare_store
    from bench.pipeline_bench import bench_settings

    # three complaints in ten mentions: 300,000 with 1,000,000
    mentions, complaints = int(MENTIONS * scale), int(MENTIONS * scale) * 3 // 10
    start = make_stream_start(stream)
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp), url, stream, model_dir)
        engine = engine_for(settings)
        prepare_store(settings, engine)
        places = _places(settings)
        samples = [
            json.loads(x)["text"]
            for x in (ROOT / "harvester" / "samples" / "denpasar.jsonl").read_text().splitlines()
            if x.strip()
        ]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("CREATE TEMPORARY TABLE fill_text (k INTEGER, body TEXT)"))
            conn.execute(
                text("INSERT INTO fill_text (k, body) VALUES (:k, :body)"),
                [{"k": k, "body": body} for k, body in enumerate(samples)],
            )
            conn.execute(
                text(
                    "CREATE TEMPORARY TABLE fill_place (k INTEGER, category TEXT, inbox TEXT, "
                    "kecamatan TEXT, desa TEXT, street TEXT)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO fill_place VALUES "
                    "(:k, :category, :inbox, :kecamatan, :desa, :street)"
                ),
                [{"k": k, **p} for k, p in enumerate(places)],
            )
            step = FILL_DAYS * 86_400 / mentions
            # the newest filled post an hour before the stream's first
            newest = start.timestamp() - 3600
            at = _at(conn, "(:newest - (:mentions - n) * :step)")
            empty_json = "CAST('{}' AS JSONB)" if conn.dialect.name == "postgresql" else "'{}'"
            conn.execute(
                text(
                    _with_series(conn, "mentions")
                    + "INSERT INTO mention (platform, platform_id, source, author_handle, "
                    "author_name, text, url, created_at, conversation_id, reply_to_id, "
                    "fetched_at, raw, state, category, abstained, model_id, routed_at) "
                    "SELECT CASE n % 3 WHEN 0 THEN 'twitter' WHEN 1 THEN 'facebook' "
                    "ELSE 'instagram' END, 'fill-' || n, 'fill', 'warga' || (n % 20000), "
                    "'Warga ' || (n % 20000), t.body, 'https://example.org/p/' || n, "
                    f"{at}, NULL, NULL, {at}, {empty_json}, "
                    "CASE WHEN n % 10 < 3 THEN 'filed' ELSE 'not_complaint' END, "
                    "NULL, false, 'fill', "
                    f"{at} "
                    f"FROM {_series(conn, 'mentions')} "
                    "JOIN fill_text t ON t.k = n % :texts"
                ).bindparams(
                    bindparam("newest", newest),
                    bindparam("mentions", mentions),
                    bindparam("step", step),
                    bindparam("texts", len(samples)),
                )
            )
            conn.execute(
                text(
                    "INSERT INTO complaint (public_number, category, inbox, status, reporters, "
                    "confidential, origin_mention_id, confidence, routed_by, kecamatan, desa, "
                    "street, inside_city, created_at, updated_at) "
                    "SELECT 'FILL-' || m.id, p.category, p.inbox, "
                    "CASE m.id % 10 WHEN 7 THEN 'baru' WHEN 8 THEN 'respon_awal' "
                    "WHEN 9 THEN 'ditindaklanjuti' ELSE 'selesai' END, 1, false, m.id, 0.9, "
                    "'fill', p.kecamatan, p.desa, p.street, true, m.created_at, m.created_at "
                    "FROM mention m JOIN fill_place p ON p.k = m.id % :places "
                    "WHERE m.source = 'fill' AND m.state = 'filed'"
                ).bindparams(bindparam("places", len(places)))
            )
            conn.execute(
                text(
                    "INSERT INTO complaint_mention (mention_id, complaint_id, linked_at, reason) "
                    "SELECT origin_mention_id, id, created_at, 'origin' FROM complaint "
                    "WHERE routed_by = 'fill'"
                )
            )
            conn.execute(text("DROP TABLE fill_text"))
            conn.execute(text("DROP TABLE fill_place"))
        _analyze(engine)
        seconds = time.perf_counter() - started
        engine.dispose()
    return {"fill_seconds": seconds, "mentions": mentions, "complaints": complaints}


def _analyze(engine: Any) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def make_stream_start(stream: Path) -> datetime:
    """The earliest post of *stream*."""
    return min(
        datetime.fromisoformat(json.loads(x)["created_at"])
        for x in stream.read_text().splitlines()
        if x.strip()
    )


def inbox_page(url: str, stream: Path, model_dir: Path, requests: int) -> dict[str, float]:
    """Median and p95 of the PDAM inbox page on the store at *url* (``web_bench``'s way)."""
    import warnings

    from aduan.wiring import engine_for, policy_for
    from bench.pipeline_bench import bench_settings
    from bench.web_bench import AGENCY, signed_in_clients, time_page

    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp), url, stream, model_dir)
        engine = engine_for(settings)
        agency, _admin = signed_in_clients(engine, policy_for(settings))
        timing = time_page(agency, f"/inbox/{AGENCY}", {}, requests, 2)
        engine.dispose()
    return {"page_median_ms": timing.median_ms, "page_p95_ms": timing.p95_ms}


def _rate(r: dict[str, float]) -> str:
    return (
        f"{r['rate']:,.0f} mentions/s ({r['stored'] / r['cpu_seconds']:,.0f} per CPU second, "
        f"database server {r['server_cpu_seconds']:.1f} s)"
    )


def bench_store(
    label: str, urls: list[str], stream: Path, model_dir: Path, args: argparse.Namespace
) -> None:
    """Empty, filled, empty again: the rates and the ratio (*urls*: three fresh stores)."""
    empty1 = run_child(__file__, "--run", urls[0], str(stream), str(model_dir))
    filled = run_child(__file__, "--fill", urls[1], str(stream), str(model_dir), str(args.scale))
    full = run_child(__file__, "--run", urls[1], str(stream), str(model_dir))
    empty2 = run_child(__file__, "--run", urls[2], str(stream), str(model_dir))
    empty_rate = (empty1["rate"] + empty2["rate"]) / 2
    cpu = [r["stored"] / r["cpu_seconds"] for r in (empty1, full, empty2)]
    print(
        f"{label}: filled with {int(filled['mentions']):,} mentions and "
        f"{int(filled['complaints']):,} complaints in {filled['fill_seconds']:.0f} s"
    )
    print(f"  empty store:  {_rate(empty1)}; again after: {_rate(empty2)}")
    print(f"  filled store: {_rate(full)}")
    print(
        f"  filled / empty: {full['rate'] / empty_rate:.2f} (wall), "
        f"{cpu[1] / ((cpu[0] + cpu[2]) / 2):.2f} (per CPU second)  (target >= 0.80)"
    )
    if args.requests > 0:
        page = run_child(
            __file__, "--page", urls[1], str(stream), str(model_dir), str(args.requests)
        )
        print(
            f"  /inbox/PDAM on the filled store: median {page['page_median_ms']:.0f} ms, "
            f"p95 {page['page_p95_ms']:.0f} ms over {args.requests} requests  (target < 150 ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1,000,000 mentions")
    parser.add_argument("--n", type=int, default=5000, help="mentions in the measured stream")
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=20, help="inbox page requests; 0: none")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        stream = tmp / "stream.jsonl"
        make_stream(stream, args.n)
        model_dir = tmp / "models"
        from classifier.train import train

        train(model_dir)
        if args.store in ("sqlite", "both"):
            urls = [f"sqlite:///{tmp / f'store{i}.db'}" for i in range(3)]
            bench_store("SQLite", urls, stream, model_dir, args)
        if args.store in ("postgresql", "both"):
            names = [
                n for n in (create_pg_database("issue17_throughput_size") for _ in range(3)) if n
            ]
            try:
                if len(names) == 3:
                    bench_store("PostgreSQL", [pg_url(n) for n in names], stream, model_dir, args)
                else:
                    print("PostgreSQL unreachable: measured SQLite only")
            finally:
                for n in names:
                    drop_pg_database(n)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        from bench.pipeline_bench import run_one

        print(json.dumps(run_one(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "--fill":
        stream_, model_ = Path(sys.argv[3]), Path(sys.argv[4])
        print(json.dumps(fill(sys.argv[2], stream_, model_, float(sys.argv[5]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "--page":
        stream_, model_ = Path(sys.argv[3]), Path(sys.argv[4])
        print(json.dumps(inbox_page(sys.argv[2], stream_, model_, int(sys.argv[5]))))
    else:
        main()
