"""Running the console-script entry in-process, as a subprocess would (exit status, output)."""

import io
import subprocess
import sys

import pytest

from aduan.cli import entry


def run_entry(
    args: list[str],
    *,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``aduan ARGS`` through ``aduan.cli.entry`` in this process: status, stdout, stderr.

    A subprocess costs a Python start and aduan's imports (about a second); the entry,
    its error handling and its exit status are the same.
    """
    monkeypatch.setattr(sys, "argv", ["aduan", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()  # what came before belongs to the test, not to this command
    code: int = 0
    try:
        entry()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(["aduan", *args], code, captured.out, captured.err)
