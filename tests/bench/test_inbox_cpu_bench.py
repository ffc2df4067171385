"""The inbox CPU benchmark (bench/inbox_cpu_bench.py) on a tiny store, so it does not rot."""

import re

import anyio.to_thread
import pytest

from bench import inbox_cpu_bench


def test_inprocess_mode_counts_an_inbox_page_statements(
    pg_migrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded = anyio.to_thread.run_sync
    inbox_cpu_bench.fill_store(pg_migrated_url, 80)
    inbox_cpu_bench.inprocess_mode(pg_migrated_url, "/inbox/PDAM", 3, 1, profile=False)
    out = capsys.readouterr().out
    filled = re.search(r"filled: 80 complaints \(([\d,]+) in PDAM\)", out)
    assert filled is not None and int(filled.group(1)) > 0
    measured = re.search(r"inbox/PDAM: (\d+) SQL statements a request; CPU of the app", out)
    assert measured is not None
    # one connection's statements (the page's queries), listed beneath
    assert 1 <= int(measured.group(1)) <= 12
    assert out.count("\n    SELECT") >= 1
    # the bench ran the app's thread-pool work inline, and gave the thread pool back
    assert anyio.to_thread.run_sync is threaded
