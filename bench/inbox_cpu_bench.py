"""CPU per inbox page: what one PDAM inbox request costs the web worker and PostgreSQL.

Fills a fresh PostgreSQL database with --complaints complaints (``web_bench``'s filler:
15-odd inboxes, mentions, history), signs in as PDAM's staff and fetches ``/inbox/PDAM``
back to back:

* ``server`` (default): through a real ``aduan web --workers 1`` process (uvicorn, the
  same app factory as ``scaleout_bench``'s workers), from --clients client threads (each
  signed in, a request as soon as the last answered). Prints the worker's CPU time per
  request (from /proc, so the clients' own work is not in it), the PostgreSQL backends'
  CPU per request and the requests per second. These bound the throughput of the 2-core
  scale-out case (``scaleout_bench.py --case web``: with 20 closed-loop clients the
  latency is about 20 / throughput). CPU time, unlike wall time, moves little with other
  processes' load on a shared machine; the load average is printed anyway. The backends'
  figure counts the connections open at the start and the end, so it is only complete
  with one client (with more, the pool's overflow connections come and go between).
* ``inprocess``: the app in this process and thread, counting the SQL statements each
  request sends, and with --profile the cProfile (CPU time) of the measured requests.

Run: .venv/bin/python bench/inbox_cpu_bench.py [--complaints 10000] [--requests 300]
     [--mode server|inprocess|both] [--clients 1] [--repeat 1] [--profile]
     [--page /inbox/PDAM]
"""

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

if __package__ in (None, ""):  # run as a script: put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.benchkit import drop_pg_database, new_pg_database

ROOT = Path(__file__).parents[1]
STAFF, PASSWORD = "staf.pdam", "bench-" + uuid.uuid4().hex


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_seconds(pid: int) -> float:
    """A live process's CPU time so far (user + system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends_cpu(engine: Engine) -> float:
    """CPU seconds so far of the PostgreSQL backends connected to this database."""
    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                total += cpu_seconds(pid)
            except OSError:
                continue
    return total


def fill_store(url: str, complaints: int) -> None:
    """Migrate, fill with ``web_bench``'s complaints, add PDAM's staff account."""
    from bench.web_bench import fill, load_world
    from models.accounts import create_account
    from models.db import make_engine, session_scope
    from models.migrate import upgrade
    from models.types import utcnow

    engine = make_engine(url)
    upgrade(engine)
    stats = fill(engine, complaints, load_world(), utcnow(), 7)
    with session_scope(engine) as s:
        create_account(
            session=s, username=STAFF, role="agency", password=PASSWORD, agency_code="PDAM"
        )
    with engine.connect() as conn:
        pdam = conn.execute(text("SELECT count(*) FROM complaint WHERE inbox = 'PDAM'")).scalar()
    engine.dispose()
    print(f"filled: {stats.complaints:,} complaints ({pdam:,} in PDAM) in {stats.seconds:.1f} s")


def sign_in(client: Any) -> None:
    client.get("/login")
    token = client.cookies.get("aduan_login") or ""
    response = client.post(
        "/login", data={"username": STAFF, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed: {response.status_code}")


def server_mode(
    folder: Path, url: str, page: str, requests: int, warmup: int, clients: int
) -> None:
    """``aduan web --workers 1``: the worker's and the backends' CPU per request."""
    import threading

    from bench.scaleout_bench import _answers, free_port, stop
    from models.db import make_engine

    port = free_port()
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["data_dir"] = str(folder / "data")
    data["store"]["url"] = url
    data["web"]["port"] = port
    data["replies"] = {"accounts": []}
    data["sources"] = []
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    env = {**os.environ, "ADUAN_WEB_SECRET": "bench-cookie-key-" + uuid.uuid4().hex}
    command = [sys.executable, "-m", "aduan", "--config", str(config), "web", "--workers", "1"]
    log = folder / "web.log"
    web = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)
    engine = make_engine(url)
    sessions: list[httpx.Client] = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while not _answers(f"{base}/healthz"):
            if time.monotonic() > deadline or web.poll() is not None:
                raise SystemExit(f"aduan web did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        for _ in range(clients):
            sessions.append(httpx.Client(base_url=base, timeout=60))
            sign_in(sessions[-1])
        for client in sessions:
            for _ in range(max(warmup // clients, 1)):
                client.get(page).raise_for_status()
        size = len(sessions[0].get(page).content)
        each = max(requests // clients, 1)

        def fetch(client: httpx.Client) -> None:
            for _ in range(each):
                client.get(page).raise_for_status()

        threads = [threading.Thread(target=fetch, args=(c,)) for c in sessions]
        worker0, pg0, wall0 = cpu_seconds(web.pid), backends_cpu(engine), time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall0
        worker, pg = cpu_seconds(web.pid) - worker0, backends_cpu(engine) - pg0
        done = each * clients
        print(
            f"server: {page} x {done} from {clients} client(s) ({size:,} bytes): worker CPU "
            f"{worker / done * 1000:.1f} ms/request, PostgreSQL backends "
            f"{pg / done * 1000:.1f} ms/request, {done / wall:.0f} requests/s; {load()}"
        )
    finally:
        for client in sessions:
            client.close()
        engine.dispose()
        stop(web)


async def _call(app: Any, page: str, cookie: str) -> tuple[int, bytes]:
    """One GET of *page* through the ASGI *app*, in this thread: (status, body)."""
    path, _, query = page.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    status = [0]
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status[0], b"".join(body)


def inprocess_mode(url: str, page: str, requests: int, warmup: int, profile: bool) -> None:
    """The app in this process and thread: SQL statements per request, CPU, cProfile.

    The requests go straight to the ASGI app, and the work FastAPI hands to its thread
    pool runs inline (``anyio.to_thread.run_sync`` replaced), so cProfile sees all of
    it and no test client's work is counted.
    """
    import asyncio

    import anyio.to_thread
    from fastapi.testclient import TestClient

    from aduan.settings import load_settings
    from aduan.web_app import build_web_app
    from inbox.sessions import AuthConfig
    from models.db import make_engine

    settings = load_settings(ROOT / "config.yaml")
    engine = make_engine(url)
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    auth = AuthConfig(secret_key=b"bench-" + uuid.uuid4().hex.encode())
    app = build_web_app(settings, engine, auth_config=auth)
    with TestClient(app, follow_redirects=False) as client:
        sign_in(client)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args)

    async def run() -> tuple[float, list[str], cProfile.Profile | None]:
        for _ in range(warmup):
            assert (await _call(app, page, cookie))[0] == 200
        statements.clear()
        assert (await _call(app, page, cookie))[0] == 200
        one = list(statements)
        profiler = cProfile.Profile(time.process_time) if profile else None
        cpu0 = time.process_time()
        if profiler is not None:
            profiler.enable()
        for _ in range(requests):
            await _call(app, page, cookie)
        if profiler is not None:
            profiler.disable()
        return time.process_time() - cpu0, one, profiler

    threaded = anyio.to_thread.run_sync
    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    try:
        cpu, one, profiler = asyncio.run(run())
    finally:
        anyio.to_thread.run_sync = threaded
        engine.dispose()
    print(
        f"inprocess: {page}: {len(one)} SQL statements a request; CPU of the app "
        f"{cpu / requests * 1000:.1f} ms/request{' under cProfile' if profile else ''}; {load()}"
    )
    for s in one:
        print("   ", " ".join(s.split())[:160])
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--mode", choices=("server", "inprocess", "both"), default="server")
    parser.add_argument("--profile", action="store_true", help="cProfile (inprocess)")
    parser.add_argument("--page", default="/inbox/PDAM")
    parser.add_argument(
        "--clients", type=int, default=1, help="concurrent clients (server mode), each signed in"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure server mode this many times in a row"
    )
    args = parser.parse_args()
    name, url = new_pg_database("inbox_cpu")
    try:
        fill_store(url, args.complaints)
        print(load())
        with tempfile.TemporaryDirectory(prefix="inbox-cpu-") as tmp:
            if args.mode in ("server", "both"):
                for _ in range(args.repeat):
                    server_mode(Path(tmp), url, args.page, args.requests, args.warmup, args.clients)
            if args.mode in ("inprocess", "both"):
                inprocess_mode(url, args.page, args.requests, args.warmup, args.profile)
    finally:
        drop_pg_database(name)


if __name__ == "__main__":
    main()
