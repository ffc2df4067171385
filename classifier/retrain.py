"""Retraining with human corrections, activating the new model only if it is not worse."""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from classifier.corpus import Example, load_corpus
from classifier.evaluate import evaluate
from classifier.exceptions import ModelOutdated
from classifier.model import Predictor, load_active
from classifier.persist import activate, active_id
from classifier.train import Progress, TrainResult, train

#: a new model may score at most this much below the active one (macro-F1, test split)
MAX_DROP = 0.01


@dataclass(frozen=True)
class Decision:
    """Whether the newly trained model became active, and why."""

    activated: bool
    reason: str
    new_macro_f1: float
    active_macro_f1: float | None


def correction_examples(corrections: Iterable[tuple[int | None, str, str]]) -> list[Example]:
    """Training examples from (mention id, text, category); the last one per mention wins."""
    latest: dict[object, Example] = {}
    for i, (mention_id, text, category) in enumerate(corrections):
        key = mention_id if mention_id is not None else ("text", i)
        latest[key] = Example(text=text, label=category, split="train")
    return list(latest.values())


def retrain(
    model_dir: Path,
    *,
    extra: list[Example] | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> tuple[TrainResult, Decision]:
    """Train on the corpus plus *extra* examples and activate the result if it is not worse.

    Both models are scored on the corpus' fixed test split as it is now, so the
    comparison is fair even if the corpus changed since the active model was trained.
    """
    corpus = load_corpus()
    result = train(model_dir, examples=corpus + (extra or []), activate_model=False,
                   progress=progress)  # fmt: skip
    new_f1 = float(result.meta["metrics"]["test"]["macro_f1"])
    current = active_id(model_dir)
    if current is None:
        activate(model_dir, result.model_id)
        return result, Decision(True, "no model was active", new_f1, None)
    try:
        active: Predictor = load_active(model_dir)
    except ModelOutdated:
        activate(model_dir, result.model_id)
        return result, Decision(True, "the active model was in an older format", new_f1, None)
    old_f1 = float(evaluate(active, "test", corpus).figures["macro_f1"])
    if force:
        activate(model_dir, result.model_id)
        return result, Decision(True, "activated with --force", new_f1, old_f1)
    if new_f1 >= old_f1 - MAX_DROP:
        activate(model_dir, result.model_id)
        reason = f"macro-F1 {new_f1:.3f} vs active {old_f1:.3f} (allowed drop {MAX_DROP:.2f})"
        return result, Decision(True, reason, new_f1, old_f1)
    reason = (
        f"not activated: macro-F1 {new_f1:.3f} on the test split is more than {MAX_DROP:.2f} "
        f"below the active model's {old_f1:.3f}; kept in {result.folder} for inspection "
        "(--force activates it anyway)"
    )
    return result, Decision(False, reason, new_f1, old_f1)
