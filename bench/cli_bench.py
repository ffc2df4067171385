"""CLI start-up benchmark: ``aduan --help`` and ``aduan classify "text"``, median timings.

Target (issue 11): ``aduan classify`` start-up under 1.5 s. Commands register lazily
(aduan.cli.COMMANDS): ``aduan classify`` imports its own command module, the settings
and the model, not the other commands, the store's router, the gazetteer or the web
inbox; it needs neither scikit-learn nor scipy (tests/aduan/test_cli.py and
tests/classifier/test_csr.py check). ``aduan --help`` loads every command module (the
help lists them all) but none of the heavy libraries (tests/aduan/test_cli_startup.py).
The run prints what importing scipy.sparse would have added.
Run: .venv/bin/python bench/cli_bench.py [--model-dir DIR]   (without it, trains one)
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
RUNS = 9


def median_seconds(command: list[str]) -> tuple[float, float]:
    """The median wall and CPU (user + system) time of *command* over RUNS runs.

    On a shared machine the wall time grows with the load; the CPU time much less.
    """
    subprocess.run(command, capture_output=True, check=True)
    wall, cpu = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        wall.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(wall), statistics.median(cpu)


def config_for(model_dir: Path, tmp: Path) -> Path:
    """The bundled config with a temporary store and *model_dir*."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["data_dir"] = str(tmp / "data")
    config["store"]["url"] = f"sqlite:///{tmp / 'data' / 'aduan.db'}"
    config["classifier"]["model_dir"] = str(model_dir)
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, help="a folder with an active model")
    args = parser.parse_args()
    python = sys.executable
    aduan = str(Path(python).parent / "aduan")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model_dir = args.model_dir
        if model_dir is None:
            from classifier.train import train

            model_dir = tmp / "models"
            train(model_dir)
        config = str(config_for(model_dir, tmp))
        figures = {
            "bare interpreter": median_seconds([python, "-c", "pass"]),
            "typer + rich + sqlmodel alone": median_seconds(
                [python, "-c", "import typer, rich.console, sqlmodel"]
            ),
            "numpy alone": median_seconds([python, "-c", "import numpy"]),
            "numpy + scipy.sparse (not loaded)": median_seconds(
                [python, "-c", "import numpy, scipy.sparse"]
            ),
            "aduan --help": median_seconds([python, "-m", "aduan", "--help"]),
            'aduan classify "text"': median_seconds(
                [aduan, "--config", config, "classify", "air mati di sesetan sejak pagi"]
            ),
        }
    load = os.getloadavg()
    print(f"{'':<36}{'wall':>8}{'cpu':>9}")
    for name, (wall, cpu) in figures.items():
        target = "  (target < 1.5 s)" if name.startswith("aduan") else ""
        print(f"{name + ':':<36}{wall:>7.3f}s{cpu:>8.3f}s{target}")
    print(f"median of {RUNS} runs each; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
