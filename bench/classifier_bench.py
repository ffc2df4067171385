"""Classifier benchmark: training time, model file size, batch throughput on one core.

Targets (issue 4): training <= 60 s, model file <= 30 MB, >= 5,000 mentions/s.
Run: .venv/bin/python bench/classifier_bench.py
"""

import os
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from classifier.corpus import load_corpus
from classifier.model import load_active
from classifier.persist import MODEL_FILE
from classifier.train import train


def main() -> None:
    examples = load_corpus()
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        result = train(folder, examples=examples)
        train_seconds = time.perf_counter() - started
        size_mb = (result.folder / MODEL_FILE).stat().st_size / 1e6
        started = time.perf_counter()
        predictor = load_active(folder)
        load_seconds = time.perf_counter() - started
        texts = [e.text for e in examples]
        batch = (texts * (20_000 // len(texts) + 1))[:20_000]
        predictor.predict(batch[:500])  # warm-up
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            predictor.predict(batch)
            best = min(best, time.perf_counter() - started)
    test = result.meta["metrics"]["test"]
    print(f"corpus: {len(examples)} examples {result.meta['examples']}")
    print(f"training (incl. threshold choice and scoring): {train_seconds:.1f} s  (target <= 60 s)")
    print(f"model file: {size_mb:.1f} MB  (target <= 30 MB); load {load_seconds:.2f} s")
    print(
        f"throughput, one core, batch of {len(batch)}: {len(batch) / best:,.0f} mentions/s"
        "  (target >= 5,000)"
    )
    print(
        f"test split: macro-F1 {test['macro_f1']:.3f}, accuracy {test['accuracy']:.3f}, "
        f"auto-routed precision {test['auto_precision']:.3f} at coverage {test['coverage']:.3f}, "
        f"NOT_COMPLAINT recall {test['per_class']['NOT_COMPLAINT']['recall']:.3f}"
    )
    print(f"cpu count visible: {os.cpu_count()}, BLAS/OpenMP threads limited to 1")


if __name__ == "__main__":
    main()
