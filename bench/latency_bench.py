"""Latency: how long a stored mention waits before it is in its inbox (or triage).

Runs the real daemon (``aduan run --no-web``) with the default schedule of
``config.yaml`` (the bundled replay source: 8 mentions every 5 s; routing every 10 s)
on a fresh store for --seconds, three times in the same run: routing each harvest's
new mentions as they are stored (``routing.on_arrival: true``, the default), routing
right after each harvest that stored something (``on_arrival: false``,
``after_harvest: true``) and on its schedule only (both ``false``, as at first). For
every mention the latency is ``routed_at - fetched_at`` (``fetched_at`` when the
harvest's transaction wrote it, ``routed_at`` when routing did: in the same
transaction on arrival, where it is 0 and the wait is the classifying of the
mention's batch before it, a few milliseconds); a mention still pending when the
daemon is stopped counts with the time it had waited by then. Prints p50, p95 and max
per case, their ratio, and the load average.

Target (issue 17): p95 <= 5 s with the default schedule.

Run: .venv/bin/python bench/latency_bench.py [--seconds 60] [--store sqlite|postgresql]
"""

import argparse
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlmodel import Session, select

from models.db import make_engine
from models.tables import Mention

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.benchkit import drop_pg_database, make_stream, new_pg_database

ROOT = Path(__file__).parents[1]
TARGET_P95_S = 5.0


#: the cases: label, then routing.on_arrival and routing.after_harvest
CASES = (
    ("on arrival", True, True),
    ("after each harvest", False, True),
    ("schedule only", False, False),
)


def write_config(
    folder: Path, url: str, stream: Path, models: Path, arrival: bool, after: bool
) -> Path:
    """The bundled config as it is (schedules included), on *url*, replaying *stream*."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["data_dir"] = str(folder / "data")
    data["store"]["url"] = url
    data["classifier"]["model_dir"] = str(models)
    data["routing"]["on_arrival"] = arrival
    data["routing"]["after_harvest"] = after
    data["sources"][0]["options"]["path"] = str(stream)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def percentile(values: list[float], q: float) -> float:
    """The *q* quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def run_case(
    url: str, folder: Path, stream: Path, models: Path, switches: tuple[bool, bool], seconds: float
) -> list[float]:
    """Latencies (s) of every mention the daemon stored in *seconds*."""
    config = write_config(folder, url, stream, models, *switches)
    log = folder / "daemon.log"
    command = [sys.executable, "-m", "aduan", "--config", str(config), "run", "--no-web"]
    proc = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        time.sleep(seconds)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    stopped = datetime.now(UTC)
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.exec(select(Mention.fetched_at, Mention.routed_at)).all()
    engine.dispose()
    if not rows:
        raise SystemExit(f"the daemon stored nothing; see {log}:\n{log.read_text()[-2000:]}")
    return [((routed or stopped) - fetched).total_seconds() for fetched, routed in rows]


def _store_url(kind: str, base: Path, tag: str) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{base / tag / 'data' / 'aduan.db'}", None
    name, url = new_pg_database("issue_17_scaleout_latency")
    return url, name


def main() -> None:
    from classifier.train import train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="issue-17-scaleout-") as tmp:
        base = Path(tmp)
        stream = base / "stream.jsonl"
        make_stream(stream, 2_000)
        models = base / "models"
        train(models)
        results: dict[str, list[float]] = {}
        for label, arrival, after in CASES:
            folder = base / label.replace(" ", "-")
            (folder / "data").mkdir(parents=True)
            url, created = _store_url(args.store, base, folder.name)
            try:
                results[label] = run_case(
                    url, folder, stream, models, (arrival, after), args.seconds
                )
            finally:
                if created:
                    drop_pg_database(created)
            load = os.getloadavg()
            lat = results[label]
            print(
                f"{args.store:10s} {label:20s} {len(lat):4d} mentions  "
                f"p50 {percentile(lat, 0.5):5.2f} s  p95 {percentile(lat, 0.95):5.2f} s  "
                f"max {max(lat):5.2f} s   load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            )
    now, kicked = results["on arrival"], results["after each harvest"]
    before = results["schedule only"]
    p95_now, p95_kicked = percentile(now, 0.95), percentile(kicked, 0.95)
    p95_before = percentile(before, 0.95)
    print(
        f"p95 on arrival {p95_now:.2f} s, after each harvest {p95_kicked:.2f} s, schedule "
        f"only {p95_before:.2f} s; target p95 <= {TARGET_P95_S:.0f} s with the default "
        f"schedule (on arrival): {'met' if p95_now <= TARGET_P95_S else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
