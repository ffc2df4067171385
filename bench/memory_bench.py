"""Peak memory of the daemon's work: 20,000 mentions, one of them a 5 MB text (issue 19).

Each case runs in a fresh process on a fresh SQLite store (PostgreSQL too with --pg):
harvest the replay stream a batch at a time and route after each batch, as the daemon's
jobs do, then report the process's own peak RSS (VmHWM; see ``peak_rss_mb``), the wall time
and the load average. Cases, measured in the same run so their ratios compare:

* ``ordinary``: the 20,000 mentions, none longer than a tweet;
* ``5MB text, uncapped``: the same with one 5 MB text, classified and normalised whole
  (what aduan did before: the cap set beyond the text's length);
* ``5MB text, capped``: the same with the first ``DECIDING_CHARS`` characters deciding
  (the whole text is still stored).

Target (issue 19): peak RSS under 400 MB in every case.

Run: .venv/bin/python bench/memory_bench.py [N] [--pg]
"""

import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.benchkit import (
    create_pg_database,
    drop_pg_database,
    peak_rss_mb,
    pg_url,
    run_child,
    stream_records,
)

ROOT = Path(__file__).parents[1]
BIG = 5 * 1024 * 1024


def make_stream(path: Path, n: int, *, big: bool) -> None:
    """*n* distinct mentions from the bundled sample; with *big*, the middle one is 5 MB."""
    with path.open("w") as out:
        for i, r in enumerate(stream_records(n)):
            if big and i == n // 2:
                words = f"{r['text']} jalan rusak di sesetan dekat pasar, mohon diperbaiki. "
                r["text"] = (words * (BIG // len(words) + 1))[:BIG]
            out.write(json.dumps(r, ensure_ascii=False) + "\n")


def run_one(store_url: str, stream: Path, model_dir: Path, cap: int) -> dict[str, float]:
    """The measured run, inside its own process (so its peak RSS is its own)."""
    import classifier.normalize
    from aduan import jobs
    from aduan.predictor import predictor_for
    from aduan.settings import load_settings
    from aduan.wiring import engine_for, prepare_store

    classifier.normalize.DECIDING_CHARS = cap
    with tempfile.TemporaryDirectory() as tmp:
        data = yaml.safe_load((ROOT / "config.yaml").read_text())
        data["store"]["url"] = store_url
        data["classifier"]["model_dir"] = str(model_dir)
        data["data_dir"] = tmp
        for agency in data["agencies"]:
            agency["email"] = f"{agency['code'].lower()}@example.org"
        data["sources"] = [
            {
                "name": "bench",
                "platform": "replay",
                "schedule": {"seconds": 1},
                "options": {"path": str(stream), "batch_size": 500},
            }
        ]
        for account in data.get("replies", {}).get("accounts", []):
            account["source"] = "bench"  # replies drafted at filing, as in the daemon
        config = Path(tmp) / "config.yaml"
        config.write_text(yaml.safe_dump(data))
        settings = load_settings(config)
        engine = engine_for(settings)
        prepare_store(settings, engine)
        predictor = predictor_for(settings)
        source = settings.source("bench")
        started = time.perf_counter()
        stored = 0
        arrival = jobs.arrival_for(settings, predictor)  # as the daemon's harvests route
        while True:
            result = jobs.harvest(engine=engine, source=source, arrival=arrival)
            stored += result.stored
            jobs.route(settings=settings, engine=engine, classifier=predictor)
            if result.fetched == 0 and result.quarantined == 0:
                break
        elapsed = time.perf_counter() - started
    return {"stored": stored, "seconds": elapsed, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    from classifier.normalize import DECIDING_CHARS
    from classifier.train import train

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 20_000
    with_pg = "--pg" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ordinary, big = base / "ordinary.jsonl", base / "big.jsonl"
        make_stream(ordinary, n, big=False)
        make_stream(big, n, big=True)
        model_dir = base / "models"
        train(model_dir)
        cases = [
            ("ordinary", ordinary, DECIDING_CHARS),
            ("5MB text, uncapped", big, 2 * BIG),
            ("5MB text, capped", big, DECIDING_CHARS),
        ]
        stores: list[tuple[str, str | None]] = [("SQLite", None)]
        if with_pg:
            stores.append(("PostgreSQL", "pg"))
        print(f"{n:,} mentions a case, batches of 500; cap = first {DECIDING_CHARS:,} characters")
        for label, kind in stores:
            for name, stream, cap in cases:
                created = None
                if kind is None:
                    url = f"sqlite:///{base / f'{uuid.uuid4().hex}.db'}"
                else:
                    created = create_pg_database("memory_bench")
                    if created is None:
                        print("PostgreSQL unreachable: skipped")
                        break
                    url = pg_url(created)
                try:
                    r = run_child(__file__, "--one", url, str(stream), str(model_dir), str(cap))
                finally:
                    if created:
                        drop_pg_database(created)
                load = os.getloadavg()
                print(
                    f"{label:10s} {name:20s} {int(r['stored']):,} stored in "
                    f"{r['seconds']:.1f} s; peak RSS {r['peak_rss_mb']:.0f} MB; "
                    f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
                )
    print("target: peak RSS < 400 MB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        url, stream, model_dir, cap = sys.argv[2:6]
        print(json.dumps(run_one(url, Path(stream), Path(model_dir), int(cap))))
    else:
        main()
