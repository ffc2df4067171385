"""Scale-out on one PostgreSQL: the web tier under ingest, two daemons, memory.

Every case runs real processes (``aduan web``, ``aduan run --no-web``) on a fresh
PostgreSQL database of its own (``issue_17_scaleout_*``, dropped afterwards).

``web``: ``aduan web --workers 2`` serves while one daemon ingests a 10,000-mention
replay stream (250 mentions a harvest, every second, routed after each harvest). While
it ingests, the bench alternates windows of 1 client and of 20 concurrent clients
(threads, each signed in with its own session, a fresh request as soon as the last
one answered) fetching the PDAM inbox page as the agency's staff; every response is
timed. Prints median and p95 per load, their ratio, requests per second, the web
workers' CPU per request answered during the rounds, and the peak RSS (VmHWM) of each
web worker and of the daemon. The clients run on the same two
cores as the servers, so their own work is in the figures.

``daemons``: one daemon, then two, ingest the same 10,000 mentions split over 24
sources, where harvesting dominates. Each source is a replay file read through a
collector that waits ``--fetch-delay`` seconds before each batch of 50, as a platform
API's answer would take (registered by this script in the daemon processes it starts,
``--daemon``; the product's code is unchanged). A daemon runs its jobs in APScheduler's
pool of 10 threads, shared by harvest, routing and delivery, so one daemon has at most
10 fetches in flight; a second daemon takes the sources the first is not harvesting
(each source is harvested by one instance at a time, an advisory lock) and doubles
the fetches in flight, while routing still takes turns under its lock. The rate is
10,000 / (last ``routed_at`` - first ``fetched_at``), from the store's own clock.
Afterwards the no-doubles check: every mention stored once, each in at most one
complaint, no two complaints from one mention, and the same number of mentions,
complaints and routing outcomes with one daemon and with two.

Targets (issue 17): inbox p95 <= 300 ms at 20 clients on 2 web workers while ingesting;
two daemons >= 1.6x one; web worker peak RSS < 250 MB; daemon peak RSS < 400 MB.

Run: .venv/bin/python bench/scaleout_bench.py [--case web|daemons|both] [--mentions 10000]
     [--fetch-delay 3.0]
"""

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import httpx
import yaml
from sqlalchemy import text
from sqlalchemy.engine import Engine

from harvester.base import Batch, CollectorOptions
from harvester.replay import ReplayCollector, ReplayOptions
from models.db import make_engine, session_scope
from models.migrate import upgrade
from models.vocab import MentionState

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.benchkit import drop_pg_database, new_pg_database

ROOT = Path(__file__).parents[1]
PREFIX = "issue_17_scaleout"
PAGE = "/inbox/PDAM"
STAFF, PASSWORD = "staf.pdam", "bench-" + uuid.uuid4().hex
SOURCES, FETCH_BATCH = 24, 50
TARGET_P95_MS, TARGET_RATIO, TARGET_WEB_MB, TARGET_DAEMON_MB = 300.0, 1.6, 250.0, 400.0


# --- the slow source (in the daemon processes this script starts) --------------------


class SlowReplayOptions(ReplayOptions):
    """A replay source whose every fetch waits first, like a platform's API."""

    delay_seconds: float = 0.0


class SlowReplayCollector(ReplayCollector):
    """``ReplayCollector`` that waits ``delay_seconds`` before each batch."""

    platform: ClassVar[str] = "slow_replay"
    options_model: ClassVar[type[CollectorOptions]] = SlowReplayOptions

    def collect(self, cursor: dict[str, Any] | None, *, read_budget: int | None = None) -> Batch:
        """Wait, then release the next batch."""
        time.sleep(self.options.delay_seconds)  # type: ignore[attr-defined]
        return super().collect(cursor, read_budget=read_budget)


def daemon_main(config: str) -> None:
    """``aduan run --no-web`` with the slow replay source registered."""
    from aduan.cli import entry
    from harvester import registry

    registry._COLLECTORS["slow_replay"] = "__main__:SlowReplayCollector"
    sys.argv = ["aduan", "--config", config, "run", "--no-web"]
    entry()


# --- stores, streams, configs, processes ----------------------------------------------


def make_streams(folder: Path, n: int, parts: int) -> list[Path]:
    """*n* distinct mentions from the bundled sample, dealt round-robin over *parts* files."""
    sample = ROOT / "harvester" / "samples" / "denpasar.jsonl"
    records = [json.loads(x) for x in sample.read_text().splitlines() if x.strip()]
    paths = [folder / f"stream-{k:02d}.jsonl" for k in range(parts)]
    files = [p.open("w") for p in paths]
    for i in range(n):
        r = dict(records[i % len(records)])
        r["id"] = f"{r['id']}-{i}"
        r["conversation_id"], r["reply_to_id"] = r["id"], None
        r["text"] = f"{r['text']} ({i})"
        files[i % parts].write(json.dumps(r, ensure_ascii=False) + "\n")
    for f in files:
        f.close()
    return paths


def write_config(
    folder: Path, url: str, models: Path, sources: list[dict[str, Any]], port: int = 8000
) -> Path:
    """The bundled config on *url* with *sources*; no replies, no e-mail."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["data_dir"] = str(folder / "data")
    data["store"]["url"] = url
    data["classifier"]["model_dir"] = str(models)
    data["web"]["port"] = port
    data["web"]["enabled"] = False
    data["replies"] = {"accounts": []}
    data["sources"] = sources
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A process with its output to *log*."""
    env = {**os.environ, "ADUAN_WEB_SECRET": "bench-cookie-key-" + uuid.uuid4().hex}
    return subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and wait for a clean end."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            print(f"process {proc.pid} did not stop within 60 s of SIGTERM; killed")
            proc.kill()
            proc.wait()


def aduan(config: Path, *args: str) -> list[str]:
    """The command line of ``aduan --config CONFIG ARGS``."""
    return [sys.executable, "-m", "aduan", "--config", str(config), *args]


def peak_rss_mb(pid: int) -> float:
    """A live process's peak RSS (VmHWM) in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """A live process's CPU time so far (user + system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pids(pid: int) -> list[int]:
    """The uvicorn worker processes (multiprocessing's spawned children) of *pid*."""
    pids = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            line = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in line:
            pids.append(int(child))
    return pids


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll *condition*; fail naming *what* after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


#: the no-doubles figures: every mention once, in at most one complaint, one complaint each
_COUNTS = {
    "mentions": "SELECT count(*) FROM mention",
    "distinct mentions": (
        "SELECT count(*) FROM (SELECT DISTINCT platform, platform_id FROM mention) AS m"
    ),
    "complaints": "SELECT count(*) FROM complaint",
    "complaint origins": "SELECT count(DISTINCT origin_mention_id) FROM complaint",
    "links": "SELECT count(*) FROM complaint_mention",
    "linked mentions": "SELECT count(DISTINCT mention_id) FROM complaint_mention",
}


def counts(engine: Engine) -> dict[str, int]:
    """Mentions (all and distinct), their states, complaints and links: the no-doubles check."""
    with engine.connect() as conn:
        out = {label: int(conn.execute(text(sql)).scalar_one()) for label, sql in _COUNTS.items()}
        states = conn.execute(text("SELECT state, count(*) FROM mention GROUP BY state"))
        for state, n in states:
            out[f"state {state}"] = int(n)
    return out


def pending(engine: Engine) -> tuple[int, int]:
    """Mentions stored, and of them still pending."""
    with engine.connect() as conn:
        stored, waiting = conn.execute(
            text("SELECT count(*), count(*) FILTER (WHERE state = :p) FROM mention"),
            {"p": MentionState.PENDING.value},
        ).one()
    return int(stored), int(waiting)


def span(engine: Engine) -> float:
    """Seconds from the first mention stored to the last routed, by the store's clock."""
    with engine.connect() as conn:
        seconds = conn.execute(
            text("SELECT EXTRACT(EPOCH FROM max(routed_at) - min(fetched_at)) FROM mention")
        ).scalar_one()
    return float(seconds)


def load() -> str:
    """The load average, as printed."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def percentile(values: list[float], q: float) -> float:
    """The *q* quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


# --- web: 1 and 20 clients while a daemon ingests -------------------------------------


def signed_in_client(base: str) -> httpx.Client:
    """A client of the agency's staff with a session of its own."""
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": STAFF,
            "password": PASSWORD,
            "csrf_token": client.cookies.get("aduan_login") or "",
        },
    )
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed: {response.status_code} {response.text[:300]}")
    return client


def hammer(clients: list[httpx.Client], seconds: float) -> tuple[list[float], int]:
    """Each client fetches PAGE back to back for *seconds*: the times (ms) and errors."""
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def run(client: httpx.Client) -> None:
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                ok = client.get(PAGE).status_code == 200
            except httpx.HTTPError:
                ok = False
            took = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    times.append(took)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors[0]


def web_case(base_dir: Path, models: Path, n: int) -> None:
    """Inbox p95 at 1 and 20 clients, 2 web workers, one daemon ingesting *n* mentions."""
    from models.accounts import create_account

    folder = base_dir / "web"
    folder.mkdir()
    (stream,) = make_streams(folder, n, 1)
    name, url = new_pg_database(PREFIX)
    port = free_port()
    source = {
        "name": "replay",
        "platform": "replay",
        "schedule": {"seconds": 1},
        "options": {"path": str(stream), "batch_size": 250},
    }
    config = write_config(folder, url, models, [source], port)
    web = daemon = None
    try:
        web = start(aduan(config, "web", "--workers", "2"), folder / "web.log")
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(f"{base}/healthz"), 90, "aduan web")
        engine = make_engine(url)
        with session_scope(engine) as s:
            create_account(
                session=s, username=STAFF, role="agency", password=PASSWORD, agency_code="PDAM"
            )
        clients = [signed_in_client(base) for _ in range(20)]
        daemon = start(aduan(config, "run", "--no-web"), folder / "daemon.log")
        wait_until(lambda: pending(engine)[0] > 0, 120, "the daemon's first harvest")
        one: list[float] = []
        many: list[float] = []
        client_cpu = time.process_time()
        # the workers' CPU from here on is the rounds' (start-up and sign-ins left out)
        rounds_cpu = {pid: cpu_seconds(pid) for pid in worker_pids(web.pid)}
        errors = 0
        rounds = 0
        while True:
            stored, waiting = pending(engine)
            if stored >= n and waiting == 0:
                break
            if daemon.poll() is not None:
                raise SystemExit(
                    f"the daemon stopped: {(folder / 'daemon.log').read_text()[-2000:]}"
                )
            t, e = hammer(clients[:1], 3)
            one += t
            t, e2 = hammer(clients, 5)
            many += t
            errors += e + e2
            rounds += 1
        client_cpu = time.process_time() - client_cpu
        workers = worker_pids(web.pid)
        web_rss = [peak_rss_mb(pid) for pid in workers]
        web_cpu = [cpu_seconds(pid) for pid in workers]
        rounds_web_cpu = sum(cpu_seconds(pid) - rounds_cpu.get(pid, 0.0) for pid in workers)
        daemon_rss, daemon_cpu = peak_rss_mb(daemon.pid), cpu_seconds(daemon.pid)
        final = counts(engine)
        engine.dispose()
        for c in clients:
            c.close()
    finally:
        try:
            for proc in (daemon, web):
                if proc is not None:
                    stop(proc)
        finally:
            drop_pg_database(name)
    print(f"== web: {PAGE} on 2 web workers while one daemon ingests {n:,} mentions (PostgreSQL)")
    print(
        f"{rounds} rounds of 3 s at 1 client and 5 s at 20; {final['mentions']:,} stored, "
        f"{final['complaints']:,} complaints; {errors} non-200 answers"
    )
    p95_one, p95_many = percentile(one, 0.95), percentile(many, 0.95)
    for label, times, seconds in (("1 client", one, 3.0), ("20 clients", many, 5.0)):
        print(
            f"  {label:10s} {len(times):5d} requests  median {statistics.median(times):6.1f} ms  "
            f"p95 {percentile(times, 0.95):6.1f} ms  {len(times) / (seconds * rounds):5.1f} req/s"
        )
    print(
        f"  p95 20 clients / 1 client: {p95_many / p95_one:.1f}x; target p95 <= "
        f"{TARGET_P95_MS:.0f} ms: {'met' if p95_many <= TARGET_P95_MS else 'NOT met'}"
    )
    answered = len(one) + len(many) + errors
    print(
        f"  web workers' CPU per request during the rounds: "
        f"{rounds_web_cpu / max(answered, 1) * 1000:.1f} ms ({rounds_web_cpu:.0f} s over "
        f"{answered:,} requests)"
    )
    print(
        "  CPU seconds: web workers "
        + ", ".join(f"{cpu:.0f}" for cpu in web_cpu)
        + f"; daemon {daemon_cpu:.0f}; the clients (this process) {client_cpu:.0f}"
    )
    print(
        "  peak RSS: web workers "
        + ", ".join(f"{mb:.0f} MB" for mb in web_rss)
        + f" (target < {TARGET_WEB_MB:.0f}); daemon {daemon_rss:.0f} MB "
        f"(target < {TARGET_DAEMON_MB:.0f}); {load()}"
    )


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


# --- daemons: one, then two, on a harvest-bound stream --------------------------------


def daemons_run(
    base_dir: Path, models: Path, n: int, delay: float, instances: int
) -> tuple[float, float, dict[str, int], list[float]]:
    """*instances* daemons ingest *n* mentions from SOURCES slow sources: the rate (by the
    store's clock), the wall time, the no-doubles counts, each daemon's peak RSS."""
    folder = base_dir / f"daemons-{instances}"
    folder.mkdir()
    streams = make_streams(folder, n, SOURCES)
    sources = [
        {
            "name": f"slow-{k:02d}",
            "platform": "slow_replay",
            "schedule": {"seconds": 1},
            "options": {"path": str(p), "batch_size": FETCH_BATCH, "delay_seconds": delay},
        }
        for k, p in enumerate(streams)
    ]
    name, url = new_pg_database(PREFIX)
    config = write_config(folder, url, models, sources)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # Migrated first, so the daemons' start-up is the same with one or two.
        engine = make_engine(url)
        upgrade(engine)
        started = time.monotonic()
        for i in range(instances):
            command = [sys.executable, __file__, "--daemon", str(config)]
            procs.append(start(command, folder / f"daemon-{i}.log"))
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            stored, waiting = pending(engine)
            if stored >= n and waiting == 0:
                break
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                log = (folder / f"daemon-{procs.index(dead[0])}.log").read_text()
                raise SystemExit(f"a daemon stopped:\n{log[-3000:]}")
            time.sleep(0.5)
        else:
            raise SystemExit("the daemons did not finish within 30 minutes")
        wall = time.monotonic() - started
        rss = [peak_rss_mb(p.pid) for p in procs]
        seconds = span(engine)
        result = counts(engine)
        engine.dispose()
    finally:
        try:
            for p in procs:
                stop(p)
        finally:
            drop_pg_database(name)
    return n / seconds, wall, result, rss


def daemons_case(base_dir: Path, models: Path, n: int, delay: float) -> None:
    """One daemon against two, same stream, same store kind, one after the other."""
    print(
        f"== daemons: {n:,} mentions over {SOURCES} sources, {FETCH_BATCH} a fetch, "
        f"{delay:.1f} s per fetch (PostgreSQL)"
    )
    runs = {}
    for instances in (1, 2):
        rate, wall, result, rss = daemons_run(base_dir, models, n, delay, instances)
        runs[instances] = (rate, result)
        print(
            f"  {instances} daemon(s): {rate:6.1f} mentions/s (first stored to last routed), "
            f"{wall:5.1f} s wall from start; peak RSS "
            + ", ".join(f"{mb:.0f} MB" for mb in rss)
            + f"; {load()}"
        )
    ratio = runs[2][0] / runs[1][0]
    print(
        f"  two / one: {ratio:.2f}x; target >= {TARGET_RATIO}: "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )
    one, two = runs[1][1], runs[2][1]
    doubles = [
        f"{label}: {c[a]:,} vs {c[b]:,}"
        for label, c in (("one daemon", one), ("two daemons", two))
        for a, b in (
            ("mentions", "distinct mentions"),
            ("complaints", "complaint origins"),
            ("links", "linked mentions"),
        )
        if c[a] != c[b]
    ]
    differ = sorted(k for k in one.keys() | two.keys() if one.get(k) != two.get(k))
    print(
        "  counts (one daemon | two): "
        + "; ".join(
            f"{k} {one.get(k, 0):,} | {two.get(k, 0):,}" for k in sorted(one.keys() | two.keys())
        )
    )
    print(
        "  no doubles: "
        + ("yes" if not doubles else "NO: " + "; ".join(doubles))
        + "; counts equal: "
        + ("yes" if not differ else "NO: " + ", ".join(differ))
    )


def main() -> None:
    from classifier.train import train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("web", "daemons", "both"), default="both")
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--fetch-delay", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="issue-17-scaleout-") as tmp:
        base = Path(tmp)
        models = base / "models"
        train(models)
        print(load())
        if args.case in ("web", "both"):
            web_case(base, models, args.mentions)
        if args.case in ("daemons", "both"):
            daemons_case(base, models, args.mentions, args.fetch_delay)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--daemon":
        daemon_main(sys.argv[2])
    else:
        main()
