"""Running real daemon processes in tests."""

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.support.paths import ROOT, SAMPLE


def replay_file(path: Path, n: int) -> Path:
    """*n* distinct mentions made from the bundled sample stream (ids made unique)."""
    records = [json.loads(x) for x in SAMPLE.read_text().splitlines() if x.strip()]
    with path.open("w") as out:
        for i in range(n):
            r = dict(records[i % len(records)])
            r["id"] = f"{r['id']}-{i}"
            r["conversation_id"] = r["id"]  # each post its own thread
            r["reply_to_id"] = None
            r["text"] = f"{r['text']} #{i}"
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def daemon_config(
    base: Path,
    *,
    store_url: str,
    model_dir: Path,
    replay: Path,
    batch: int = 50,
    every: int = 1,
    **extra: object,
) -> Path:
    """A config for a web-less daemon: one replay source, fast ticks."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["data_dir"] = str(base / "data")
    data["store"]["url"] = store_url
    data["classifier"]["model_dir"] = str(model_dir)
    data["web"]["enabled"] = False
    data["routing"]["schedule"] = {"seconds": every}
    data["sources"] = [
        {
            "name": "replay",
            "platform": "replay",
            "schedule": {"seconds": every},
            "options": {"path": str(replay), "batch_size": batch},
        }
    ]
    # These daemons e-mail each complaint exactly once; replies are tested in tests/notify.
    data["replies"] = {"accounts": []}
    data.update(extra)
    path = base / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start ``aduan run --no-web`` with output to *log*."""
    return subprocess.Popen(
        [sys.executable, "-m", "aduan", "--config", str(config), "run", "--no-web"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll *condition* until true; fail the test naming *what* after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
