"""`aduan evaluate --source ...` and `aduan evaluate FILE`: figures and PNG plots per source."""

import csv
from pathlib import Path

import yaml
from typer.testing import CliRunner

from aduan.cli import app

PNG = b"\x89PNG\r\n\x1a\n"


def test_evaluate_per_source_writes_plots(config_file: Path, tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(config_file),
            "evaluate",
            "--source",
            "corpus/tweet",
            "--source",
            "corpus/formal",
            "--plots",
            str(plots),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "corpus/tweet" in result.output and "complaints dropped" in result.output
    names = sorted(p.name for p in plots.glob("*.png"))
    assert names == [
        "confusion_corpus_formal_test.png",
        "confusion_corpus_tweet_test.png",
        "precision_coverage_corpus_formal_test.png",
        "precision_coverage_corpus_tweet_test.png",
    ]
    assert all(p.read_bytes()[:8] == PNG for p in plots.glob("*.png"))


def test_evaluate_unknown_source_is_named(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(config_file), "evaluate", "--source", "x"])
    assert result.exit_code == 2
    assert "--source x: no test examples; known: corpus" in result.output


def test_evaluate_a_labelled_file_with_a_map(config_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["laporan", "dinas"])
        writer.writerow(["air PDAM mati sejak pagi di Jl. Tukad Badung", "PDAM Kota"])
        writer.writerow(["lampu jalan di gang kami mati semua", "UPT LPJU"])
        writer.writerow(["kebun kami kering", "Dinas Pertanian"])
    mapping = tmp_path / "map.yaml"
    mapping.write_text(yaml.safe_dump({"PDAM Kota": "PDAM", "UPT LPJU": "LPJU"}))
    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(config_file),
            "evaluate",
            str(path),
            "--text-column",
            "laporan",
            "--label-column",
            "dinas",
            "--map",
            str(mapping),
            "--plots",
            str(tmp_path / "p"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Dinas Pertanian" in result.output  # unmapped, listed, not scored
    assert "mine.csv" in result.output and "(n=2)" in result.output
    assert (tmp_path / "p" / "precision_coverage_mine_csv.png").read_bytes()[:8] == PNG
