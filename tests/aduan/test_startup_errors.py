"""Start-up errors in one line naming the file, the key or the URL (password masked), exit 2."""

import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aduan.cli import entry
from classifier.persist import ACTIVE_FILE, META_FILE, MODEL_FILE
from tests.support.config import bundled_config, write_config
from tests.support.store_faults import read_only_folder

PASSWORD = "Sandi-Rahasia-42"


@pytest.fixture
def signals_restored() -> Iterator[None]:
    """`aduan run` installs its stop handlers; the test process gets pytest's back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _cli(
    args: list[str], config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> tuple[int, str]:
    """Run the console-script entry in-process: exit status and everything printed."""
    monkeypatch.setattr(sys, "argv", ["aduan", "--config", str(config), *args])
    with pytest.raises(SystemExit) as done:
        entry()
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out + captured.err


def _config(tmp_path: Path, url: str, model_dir: Path | None = None) -> Path:
    data = bundled_config()
    data["data_dir"] = str(tmp_path / "data")
    data["store"]["url"] = url
    data["classifier"]["model_dir"] = str(model_dir or tmp_path / "models")
    data["web"]["enabled"] = False
    return write_config(tmp_path, data)


def _one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ") and "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize("command", [["db", "upgrade"], ["run", "--no-web"]])
def test_an_unreachable_database_is_named_with_its_password_masked(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    signals_restored: None,
) -> None:
    url = f"postgresql+psycopg://aduan:{PASSWORD}@127.0.0.1:1/aduan"
    status, output = _cli(command, _config(tmp_path, url), monkeypatch, capsys)
    line = _one_line_error(output)
    assert status == 2
    assert "store.url postgresql+psycopg://aduan:***@127.0.0.1:1/aduan" in line
    assert "cannot reach or open the database" in line and PASSWORD not in output


def test_a_missing_database_is_named(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/aduan_no_such_database"
    status, output = _cli(["db", "upgrade"], _config(tmp_path, url), monkeypatch, capsys)
    line = _one_line_error(output)
    assert status == 2 and "aduan_no_such_database" in line and "does not exist" in line


def test_sqlite_in_a_read_only_folder_names_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "readonly"
    config = _config(tmp_path, f"sqlite:///{folder / 'aduan.db'}")
    with read_only_folder(folder):
        status, output = _cli(["db", "upgrade"], config, monkeypatch, capsys)
    line = _one_line_error(output)
    assert status == 2
    assert f"store.url sqlite:///{folder / 'aduan.db'}" in line
    assert f"cannot write {folder}" in line and "must be writable" in line


def _damage(kind: str, folder: Path) -> Path:
    model = folder / MODEL_FILE
    data = model.read_bytes()
    if kind == "empty":
        model.write_bytes(b"")
    elif kind == "truncated":
        model.write_bytes(data[: len(data) // 2])
    elif kind == "corrupted":
        middle = len(data) // 2
        model.write_bytes(
            data[:middle]
            + bytes(b ^ 0xFF for b in data[middle : middle + 64])
            + data[middle + 64 :]
        )
    else:  # the metadata cut short
        meta = folder / META_FILE
        meta.write_text(meta.read_text()[:40])
        return meta
    return model


@pytest.mark.parametrize("kind", ["empty", "truncated", "corrupted", "meta"])
def test_a_damaged_model_file_is_named(
    kind: str,
    model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    signals_restored: None,
) -> None:
    models = tmp_path / "models"
    shutil.copytree(model_dir, models)
    damaged = _damage(kind, models / (models / ACTIVE_FILE).read_text().strip())
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'data' / 'aduan.db'}", models)
    status, output = _cli(["run", "--no-web"], config, monkeypatch, capsys)
    line = _one_line_error(output)
    assert status == 2 and str(damaged) in line and "aduan train" in line
