"""Leave-one-register-out: how the whole pipeline does on a style it never saw.

For each register of the bundled corpus (tweets, formal letters, app reviews, ...) a
model is trained, calibrated and thresholded on the *other* registers only, then
scored on every example of the held-out one. This is the design check for "text in a
style the corpus never used" (issue 11) that does not touch the held-out check sets
under bench/data/.

Run: .venv/bin/python bench/cross_register_bench.py [--extra STAGING_DIR ...]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from classifier.corpus import Example, load_corpus
from classifier.evaluate import evaluate_examples
from classifier.model import load_active
from classifier.train import train


def leave_one_out(examples: list[Example]) -> list[tuple[str, dict[str, float | int]]]:
    """Figures per held-out register, and pooled over all of them."""
    registers = sorted({e.register for e in examples})
    rows = []
    pooled_hits = pooled_kept = pooled_n = pooled_drop = pooled_complaints = 0
    for register in registers:
        rest = [e for e in examples if e.register != register]
        held = [e for e in examples if e.register == register]
        with tempfile.TemporaryDirectory() as tmp:
            train(Path(tmp), examples=rest)
            ev = evaluate_examples(load_active(Path(tmp)), held, register)
        f = ev.figures
        kept = round(f["coverage"] * f["n"])
        pooled_n += f["n"]
        pooled_kept += kept
        pooled_hits += round(f["auto_precision"] * kept)
        pooled_drop += f["dropped_n"]
        pooled_complaints += f["complaints_n"]
        half = ev.curve[max(len(ev.curve) // 2 - 1, 0)][1]
        rows.append((register, {**f, "precision_at_half": half}))
    rows.append(
        (
            "pooled",
            {
                "n": pooled_n,
                "macro_f1": sum(r[1]["macro_f1"] for r in rows) / max(len(rows), 1),
                "auto_precision": pooled_hits / max(pooled_kept, 1),
                "coverage": pooled_kept / max(pooled_n, 1),
                "dropped_n": pooled_drop,
                "complaints_n": pooled_complaints,
                "precision_at_half": float("nan"),
            },
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--extra",
        nargs="*",
        type=Path,
        default=[],
        help="staging register folders to add (design experiments only)",
    )
    args = parser.parse_args()
    examples = load_corpus()
    for folder in args.extra:
        examples += load_corpus(sorted(folder.glob("*.jsonl")))
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        rows = leave_one_out(examples)
    print(
        f"{'held-out register':<18}{'n':>6}{'macro-F1':>10}{'precision':>11}{'coverage':>10}"
        f"{'dropped':>14}{'prec@50%':>10}"
    )
    for name, f in rows:
        print(
            f"{name:<18}{f['n']:>6}{f['macro_f1']:>10.3f}{f['auto_precision']:>11.3f}"
            f"{f['coverage']:>10.3f}{f['dropped_n']:>6} of {f['complaints_n']:<5}"
            f"{f['precision_at_half']:>10.3f}"
        )
    print(
        "targets for a style never seen: precision >= 0.93 at coverage >= 0.45, "
        "dropped < 1 % of complaints"
    )
    print(f"{time.perf_counter() - started:.0f} s; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
