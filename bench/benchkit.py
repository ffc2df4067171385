"""What several benchmarks share: the replay stream, child processes, scratch databases.

The scripts run as ``.venv/bin/python bench/x.py``, so the repository root is not on
``sys.path``; each puts it there before importing this module (``bench.benchkit``).
"""

import json
import resource
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def stream_records(n: int) -> Iterator[dict[str, Any]]:
    """*n* distinct mentions from the bundled sample, each its own post (replay records)."""
    sample = ROOT / "harvester" / "samples" / "denpasar.jsonl"
    records = [json.loads(x) for x in sample.read_text().splitlines() if x.strip()]
    for i in range(n):
        r = dict(records[i % len(records)])
        r["id"] = f"{r['id']}-{i}"
        r["conversation_id"], r["reply_to_id"] = r["id"], None
        r["text"] = f"{r['text']} ({i})"
        yield r


def make_stream(path: Path, n: int) -> None:
    """``stream_records(n)`` written as a replay file."""
    with path.open("w") as out:
        for r in stream_records(n):
            out.write(json.dumps(r, ensure_ascii=False) + "\n")


def peak_rss_mb() -> float:
    """This process's own peak RSS in MB.

    Linux's VmHWM belongs to the process image, so it starts afresh at exec;
    ``getrusage``'s ru_maxrss carries the RSS of the parent that forked it (which has
    typically just trained a model) and would credit its memory to the child.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def run_child(script: str, *args: str) -> dict[str, float]:
    """Run *script* with *args* in a fresh Python process; its last stdout line as JSON.

    A measured run gets a process of its own, so its peak RSS and its imports are its
    own. A failing child stops the benchmark with the end of its error output.
    """
    out = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"{Path(script).name} {' '.join(args[:1])} failed:\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def create_pg_database(prefix: str, *, required: bool = False) -> str | None:
    """A fresh PostgreSQL database named *prefix* and a random suffix; its name.

    None if the server is unreachable, unless *required* (then the error is raised).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        if required:
            raise
        return None
    return name


def pg_url(name: str) -> str:
    """The SQLAlchemy URL of database *name* on the benchmark's server."""
    url = make_url(PG_ADMIN).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def drop_pg_database(name: str) -> None:
    """Drop a database a benchmark created (closing any connection left to it)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_pg_database(url: str) -> None:
    """Drop the database of SQLAlchemy *url* and create it again, empty."""
    name = make_url(url).database
    drop_pg_database(str(name))
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def new_pg_database(prefix: str) -> tuple[str, str]:
    """A fresh PostgreSQL database the benchmark needs (an unreachable server is an
    error): its name and SQLAlchemy URL."""
    name = create_pg_database(prefix, required=True)
    assert name is not None
    return name, pg_url(name)
