"""Masking benchmark: what ``models.masking.mask_personal`` costs at the exits.

Prints texts per second over the bundled corpus and sample stream (first sight, and
again from the cache the pages and exports hit), and the cost of the inbox's CSV rows
with masking relative to the same rows without it, measured in the same run with the
load average beside it.
Run: .venv/bin/python bench/masking_bench.py
"""

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from inbox import csv_export
from models import masking
from models.tables import Complaint, Mention

ROOT = Path(__file__).parents[1]


def texts() -> list[str]:
    """Every text of the bundled corpus and the sample stream."""
    out = []
    for path in sorted((ROOT / "classifier" / "data" / "corpus").glob("*/*.jsonl")):
        out += [json.loads(line)["text"] for line in path.read_text().splitlines() if line]
    sample = ROOT / "harvester" / "samples" / "denpasar.jsonl"
    out += [json.loads(line)["text"] for line in sample.read_text().splitlines() if line]
    return out


def per_second(items: list[str]) -> float:
    started = time.perf_counter()
    for text in items:
        masking.mask_personal(text)
    return len(items) / (time.perf_counter() - started)


def csv_rows(items: list[str]) -> float:
    """Seconds to build one CSV row per text (as the inbox export does)."""
    now = datetime(2026, 11, 20, tzinfo=UTC)
    complaint = Complaint(
        id=1, category="PDAM", inbox="PDAM", origin_mention_id=1, routed_by="x", created_at=now
    )
    mentions = [
        Mention(
            platform="twitter",
            platform_id=str(i),
            source="bench",
            author_handle="warga",
            author_name="Warga",
            text=text,
            created_at=now,
        )
        for i, text in enumerate(items)
    ]
    started = time.perf_counter()
    for m in mentions:
        csv_export.complaint_row(complaint, m, None)
    return time.perf_counter() - started


def main() -> None:
    """Print the figures."""
    corpus = texts()
    masking._masked.cache_clear()
    cold = per_second(corpus)
    warm = per_second(corpus)
    masking._masked.cache_clear()
    with mock.patch.object(csv_export, "mask_personal", lambda text: text):
        plain = csv_rows(corpus)
    masked = csv_rows(corpus)
    load = os.getloadavg()
    print(f"texts: {len(corpus)} (bundled corpus and sample stream)")
    print(f"mask_personal, first sight: {cold:,.0f} texts/s")
    print(f"mask_personal, cached:      {warm:,.0f} texts/s")
    print(
        f"inbox CSV rows: {plain * 1000:.0f} ms unmasked, {masked * 1000:.0f} ms masked "
        f"(x{masked / plain:.1f}); 50,000 rows (the export's limit) would take about "
        f"{masked / len(corpus) * 50_000:.0f} s masked"
    )
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
