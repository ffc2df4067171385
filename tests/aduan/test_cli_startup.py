"""``aduan --help`` starts without the heavy libraries (bench/cli_bench.py times it)."""

import subprocess
import sys

#: libraries only the commands that need them may load, and the web inbox (``aduan users``
#: and the other store commands work without it)
HEAVY = (
    "sklearn",
    "numpy",
    "scipy",
    "fastapi",
    "starlette",
    "uvicorn",
    "matplotlib",
    "tweepy",
    "instaloader",
    "facebook",
    "inbox",
)


def test_help_loads_none_of_the_heavy_libraries() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "aduan", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Usage" in done.stdout and "users" in done.stdout
    loaded = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "aduan.cli.users" in loaded and "typer" in loaded  # the trace is complete
    top = {name.split(".")[0] for name in loaded}
    assert sorted(top.intersection(HEAVY)) == []
