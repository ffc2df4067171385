"""The bulk reply benchmark (bench/bulk_reply_bench.py) on one batch, so it does not rot."""

from pathlib import Path

from bench import bulk_reply_bench


def test_every_variant_changes_a_batch_and_drafts_its_replies(tmp_path: Path) -> None:
    # measure() itself asserts how many replies each variant drafted
    figures = bulk_reply_bench.measure(f"sqlite:///{tmp_path / 'bench.db'}", 1)
    assert set(figures) == {"none", "auto", "review", "one by one"}
    assert all(ms > 0 for ms in figures.values())
