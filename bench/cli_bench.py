"""CLI start-up benchmark: how long ``aduan --help`` takes, against a bare interpreter.

Target (issue 11): start-up under 1.5 s. ``aduan --help`` loads every command module,
so it is what each command pays before it starts working; the heavy libraries load
only in the commands that use them (tests/aduan/test_cli_startup.py checks which).
Run: .venv/bin/python bench/cli_bench.py
"""

import os
import statistics
import subprocess
import sys
import time

RUNS = 7


def median_seconds(command: list[str]) -> float:
    """The median wall time of *command* over RUNS runs, after one warm-up run."""
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    bare = median_seconds([sys.executable, "-c", "pass"])
    libraries = median_seconds([sys.executable, "-c", "import typer, rich.console, sqlmodel"])
    help_ = median_seconds([sys.executable, "-m", "aduan", "--help"])
    load = os.getloadavg()
    print(f"bare interpreter:                    {bare:.3f} s")
    print(f"typer + rich + sqlmodel alone:       {libraries:.3f} s")
    print(f"aduan --help:                        {help_:.3f} s  (target < 1.5 s)")
    print(f"aduan --help / the three libraries:  {help_ / libraries:.2f}x")
    print(f"median of {RUNS} runs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
