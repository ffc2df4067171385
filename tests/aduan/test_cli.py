"""The command line: a few commands as a user runs them (a subprocess of ``python -m aduan``),
the rest through the same console entry in-process (``cli``), which saves a Python start each.
"""

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.support.cli import run_entry


def aduan(
    config: Path, *args: str, stdin: str | None = None, python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python, "-m", "aduan", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``aduan --config CONFIG ARGS`` through the console entry, in this process."""

    def run(config: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = ["--config", str(config), *args]
        return run_entry(argv, monkeypatch=monkeypatch, capsys=capsys, stdin=stdin)

    return run


def test_classify_jsonl_round_trips_extra_keys(config_file: Path) -> None:
    lines = [
        {"id": 1, "text": "lampu jalan di jl. gatot subroto mati semua", "meta": {"a": [1]}},
        {"text": "terima kasih pemkot, mantap", "source": "ig"},
    ]
    stdin = "".join(json.dumps(x) + "\n" for x in lines)
    result = aduan(config_file, "classify", "--jsonl", stdin=stdin, python=("-X", "importtime"))
    assert result.returncode == 0, result.stderr
    # classify loads the model and the settings, not the store's router, the gazetteer
    # (lokal), the web inbox or scikit-learn (bench/cli_bench.py times the start-up)
    loaded = {
        line.split("|")[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "aduan.cli.model" in loaded and "classifier.model" in loaded  # the trace is whole
    top = {name.split(".")[0] for name in loaded}
    not_needed = ("sklearn", "scipy", "lokal", "router", "inbox", "fastapi", "lifecycle")
    assert sorted(top.intersection(not_needed)) == []
    assert not {"aduan.wiring", "aduan.cli.users", "aduan.cli.complaints"} & loaded
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert rows[0]["id"] == 1 and rows[0]["meta"] == {"a": [1]}
    assert rows[0]["category"] == "LPJU"
    assert rows[0]["inbox"] in ("LPJU", "KOMINFO")
    assert rows[1]["source"] == "ig"
    assert rows[1]["category"] == "NOT_COMPLAINT"
    for row in rows:
        assert set(row) >= {"category", "confidence", "abstained", "inbox"}


def test_classify_jsonl_bad_line_is_named(config_file: Path, cli: Cli) -> None:
    result = cli(config_file, "classify", "--jsonl", stdin='{"text": "ok"}\n{"txt": 1}\n')
    assert result.returncode == 2
    assert "stdin, line 2: needs an object with a string 'text' key" in result.stderr


def test_classify_one_text(config_file: Path, cli: Cli) -> None:
    result = cli(config_file, "classify", "sampah numpuk di TPS ga diangkut seminggu")
    assert result.returncode == 0, result.stderr
    assert "category:   DLHK" in result.stdout


def test_bad_config_stops_with_a_message(tmp_path: Path, cli: Cli) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("store:\n  url: sqlite:///x.db\n  colour: red\nagencies: []\ncategories: {}\n")
    result = cli(bad, "stats")
    assert result.returncode == 2
    assert f"{bad}: store.colour: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_harvest_route_stats_export(config_file: Path, tmp_path: Path, cli: Cli) -> None:
    dry = cli(config_file, "harvest", "demo-replay", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "8 mentions would be considered; nothing stored." in dry.stdout
    first = cli(config_file, "harvest", "demo-replay")
    assert "fetched 8, stored 8 new" in first.stdout, first.stderr
    routed = cli(config_file, "route")
    assert routed.returncode == 0, routed.stderr
    assert "routed 8:" in routed.stdout
    stats = cli(config_file, "stats")
    assert "total" in stats.stdout
    out = tmp_path / "complaints.csv"
    exported = cli(config_file, "export", "--format", "csv", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows and all(r["mention_text"] for r in rows)
    jsonl = cli(config_file, "export", "--format", "jsonl")
    records = [json.loads(x) for x in jsonl.stdout.splitlines()]
    assert len(records) == len({r["complaint_id"] for r in rows})
    assert all(r["mentions"] for r in records)


def test_unknown_source_is_named(config_file: Path, cli: Cli) -> None:
    result = cli(config_file, "harvest", "nope")
    assert result.returncode == 2
    assert "no source named 'nope' (configured: demo-replay, x-prodenpasar" in result.stderr


def test_source_with_missing_secret_is_left_idle(config_file: Path, cli: Cli) -> None:
    data = yaml.safe_load(config_file.read_text())
    extra = dict(data["sources"][0], name="needs-token", secrets={"token": "ADUAN_NOPE_TOKEN"})
    data["sources"].append(extra)
    config_file.write_text(yaml.safe_dump(data))
    idle = cli(config_file, "harvest", "needs-token")
    assert idle.returncode == 1
    assert "missing secret: set environment variable ADUAN_NOPE_TOKEN" in idle.stderr
    ok = cli(config_file, "harvest", "demo-replay")
    assert "stored 8 new" in ok.stdout
    table = cli(config_file, "sources")
    assert "needs-token" in table.stdout and "idle" in table.stdout


def test_structured_logs_are_json_lines(config_file: Path) -> None:
    result = aduan(config_file, "--log-json", "harvest", "demo-replay")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    stored = [r for r in records if r["logger"] == "aduan.jobs"]
    assert stored and stored[0]["level"] == "INFO"
    assert stored[0]["message"] == "source demo-replay: stored 8 new mentions"


def test_lifecycle_from_the_command_line(config_file: Path, cli: Cli) -> None:
    assert cli(config_file, "harvest", "demo-replay").returncode == 0
    assert cli(config_file, "route").returncode == 0
    listed = cli(config_file, "export", "--format", "jsonl")
    first = json.loads(listed.stdout.splitlines()[0])
    cid = str(first["id"])
    assert first["status"] == "baru"
    bad = cli(config_file, "complaint", "status", cid, "selesai")
    assert bad.returncode == 2 and "selesai" in bad.stderr  # baru -> selesai is not allowed
    ok = cli(config_file, "complaint", "status", cid, "respon_awal", "--note", "dicek")
    assert ok.returncode == 0 and "respon_awal" in ok.stdout, ok.stderr
    bounced = cli(
        config_file, "complaint", "bounce", cid, "--reason", "bukan kami", "--suggest", "PUPR"
    )
    assert bounced.returncode == 0 and "KOMINFO" in bounced.stdout, bounced.stderr
    again = cli(config_file, "triage", "reassign", cid, "PUPR")
    assert again.returncode == 0 and "PUPR in PUPR, status baru" in again.stdout, again.stderr
    overdue = cli(config_file, "complaint", "overdue")
    assert overdue.returncode == 0 and "overdue per inbox" in overdue.stdout
    report = cli(config_file, "report", "yearly", "2026")
    assert report.returncode == 0 and "diterima" in report.stdout
    missing = cli(config_file, "complaint", "status", "99999", "respon_awal")
    assert missing.returncode == 2 and "no complaint with id 99999" in missing.stderr
