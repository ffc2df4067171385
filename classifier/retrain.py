"""Retraining with more data, and the per-source gate that decides whether to activate.

The new model and the active one are scored on the held-out test slice of every data
source (the bundled corpus's test split, the imported city history's held-out slice,
held-out human corrections). The new model is activated when no source drops by more
than :data:`MAX_DROP` and the figures on real text (imported history, corrections)
are at least as good as the active model's: a model that is much better on the city's
own text is no longer refused for a small dip on written examples, and a model that
is worse on real text is not activated for a gain on written ones.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from classifier.corpus import Example, assign_split, load_corpus
from classifier.evaluate import evaluate_examples
from classifier.exceptions import ModelOutdated
from classifier.model import Predictor, load_active, load_by_id
from classifier.persist import activate, active_id
from classifier.train import Progress, TrainResult, train

#: a new model may score at most this much below the active one on any source (macro-F1)
MAX_DROP = 0.01
#: sources of real citizen text, whose figures must not get worse
REAL_SOURCES = ("imported", "corrections")
#: a source with fewer held-out examples is shown but does not decide
MIN_JUDGED = 20


@dataclass(frozen=True)
class SourceFigures:
    """One row of the gate's table: a source scored by the active and the new model."""

    source: str
    n: int
    new_f1: float
    active_f1: float | None
    new_precision: float
    new_coverage: float
    active_precision: float | None = None
    active_coverage: float | None = None

    @property
    def old_f1(self) -> float:
        """The active model's macro-F1 (0 when there is none)."""
        return self.active_f1 if self.active_f1 is not None else 0.0


@dataclass(frozen=True)
class Decision:
    """Whether the newly trained model became active, and why."""

    activated: bool
    reason: str
    new_macro_f1: float
    active_macro_f1: float | None
    sources: list[SourceFigures] = field(default_factory=list)


def correction_examples(corrections: Iterable[tuple[int | None, str, str]]) -> list[Example]:
    """Examples from (mention id, text, category); the last one per mention wins.

    A fixed slice (by a hash of the text, like the corpus) is held out to judge models.
    """
    latest: dict[object, Example] = {}
    for i, (mention_id, text, category) in enumerate(corrections):
        key = mention_id if mention_id is not None else ("text", i)
        latest[key] = Example(
            text=text,
            label=category,
            split=assign_split(text),
            register="corrections",
            source="corrections",
        )
    return list(latest.values())


def held_out_by_source(examples: list[Example]) -> dict[str, list[Example]]:
    """The test slice of each source, keyed by source name."""
    out: dict[str, list[Example]] = {}
    for e in examples:
        if e.split == "test":
            out.setdefault(e.source, []).append(e)
    return dict(sorted(out.items()))


def retrain(
    model_dir: Path,
    *,
    extra: list[Example] | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> tuple[TrainResult, Decision]:
    """Train on the corpus plus *extra* examples; activate the result if the gate allows.

    Both models are scored on each source's held-out slice as it is now, so the
    comparison is fair even if the data changed since the active model was trained.
    """
    examples = load_corpus() + (extra or [])
    result = train(model_dir, examples=examples, activate_model=False, progress=progress)
    new = load_by_id(model_dir, result.model_id)
    held = held_out_by_source(examples)
    current = active_id(model_dir)
    active: Predictor | None = None
    why_no_active = "no model was active"
    if current is not None:
        try:
            active = load_active(model_dir)
        except ModelOutdated:
            why_no_active = "the active model was in an older format"
    rows = compare(held, new, active)
    new_f1 = next((r.new_f1 for r in rows if r.source == "corpus"), rows[0].new_f1 if rows else 0)
    old_f1 = next((r.active_f1 for r in rows if r.source == "corpus"), None)
    if active is None:
        activate(model_dir, result.model_id)
        return result, Decision(True, why_no_active, new_f1, None, rows)
    if force:
        activate(model_dir, result.model_id)
        return result, Decision(True, "activated with --force", new_f1, old_f1, rows)
    ok, reason = judge(rows)
    if ok:
        activate(model_dir, result.model_id)
        return result, Decision(True, reason, new_f1, old_f1, rows)
    reason = (
        f"not activated: {reason}; kept in {result.folder} for inspection "
        "(--force activates it anyway)"
    )
    return result, Decision(False, reason, new_f1, old_f1, rows)


def compare(
    held: dict[str, list[Example]], new: Predictor, active: Predictor | None
) -> list[SourceFigures]:
    """Each source's held-out slice scored by the new and the active model."""
    rows = []
    for source, chosen in held.items():
        fresh = evaluate_examples(new, chosen, source).figures
        old = evaluate_examples(active, chosen, source).figures if active else None
        rows.append(
            SourceFigures(
                source=source,
                n=len(chosen),
                new_f1=float(fresh["macro_f1"]),
                active_f1=float(old["macro_f1"]) if old else None,
                new_precision=float(fresh["auto_precision"]),
                new_coverage=float(fresh["coverage"]),
                active_precision=float(old["auto_precision"]) if old else None,
                active_coverage=float(old["coverage"]) if old else None,
            )
        )
    return rows


def judge(rows: list[SourceFigures]) -> tuple[bool, str]:
    """Whether the new model may replace the active one, and why (in one sentence)."""
    judged = [r for r in rows if r.active_f1 is not None and r.n >= MIN_JUDGED]
    drops = [r for r in judged if r.new_f1 < r.old_f1 - MAX_DROP]
    if drops:
        worst = drops[0]
        return False, (
            f"macro-F1 {worst.new_f1:.3f} on {worst.source} (n={worst.n}) is more than "
            f"{MAX_DROP:.2f} below the active model's {worst.old_f1:.3f}"
        )
    real = [r for r in judged if r.source in REAL_SOURCES]
    if real:
        new_real = sum(r.new_f1 * r.n for r in real) / sum(r.n for r in real)
        old_real = sum(r.old_f1 * r.n for r in real) / sum(r.n for r in real)
        if new_real < old_real:
            return False, (
                f"macro-F1 on real text ({', '.join(r.source for r in real)}) "
                f"{new_real:.3f} is below the active model's {old_real:.3f}"
            )
    summary = (
        ", ".join(f"{r.source} {r.new_f1:.3f} vs {r.old_f1:.3f}" for r in judged)
        or "no source large enough to judge"
    )
    return True, f"macro-F1 per source: {summary} (allowed drop {MAX_DROP:.2f})"
