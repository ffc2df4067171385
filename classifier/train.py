"""Training a model from the corpus, choosing thresholds on dev, and saving it."""

import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops
from sklearn.metrics import f1_score, precision_recall_fscore_support

from classifier.corpus import Example, corpus_hash, load_corpus
from classifier.normalize import normalize
from classifier.persist import activate, save_model
from classifier.pipeline import MODEL_FORMAT, TwoStage, fit_two_stage
from models.vocab import NOT_COMPLAINT

#: precision the per-category thresholds aim for on the dev split
TARGET_PRECISION = 0.95
#: share of non-complaints the gate must recognise on dev (praise filed as a
#: complaint wastes an agency's time)
TARGET_NOT_COMPLAINT_RECALL = 0.90
GATE_THRESHOLDS = tuple(round(0.5 - 0.025 * i, 3) for i in range(13))  # 0.5 .. 0.2

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    """A trained, saved model and how it scored."""

    model_id: str
    folder: Path
    meta: dict[str, Any]


def train(
    model_dir: Path,
    *,
    examples: list[Example] | None = None,
    activate_model: bool = True,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on the train split, choose thresholds on dev, report on test, save."""
    say = progress or (lambda _msg: None)
    say("reading corpus")
    examples = load_corpus() if examples is None else examples
    by_split = {s: [e for e in examples if e.split == s] for s in ("train", "dev", "test")}
    if not by_split["train"] or not by_split["dev"]:
        raise ValueError("the corpus needs train and dev examples")
    say(f"normalising {len(examples)} examples")
    texts = {s: [normalize(e.text) for e in exs] for s, exs in by_split.items()}
    labels = {s: [e.label for e in exs] for s, exs in by_split.items()}
    say(f"fitting on {len(texts['train'])} train examples")
    started = datetime.now(UTC)
    model = fit_two_stage(texts["train"], labels["train"])
    fit_seconds = (datetime.now(UTC) - started).total_seconds()
    say("choosing the complaint gate and thresholds on dev")
    classes = model.classes
    x_dev = model.features.transform(texts["dev"])
    model.gate_threshold = choose_gate_threshold(model, x_dev, labels["dev"])
    dev_proba = model.proba(x_dev)
    thresholds = choose_thresholds(classes, dev_proba, labels["dev"], TARGET_PRECISION)
    metrics = {"dev": score(classes, dev_proba, labels["dev"], thresholds)}
    if texts["test"]:
        say("scoring the test split")
        test_proba = model.proba(model.features.transform(texts["test"]))
        metrics["test"] = score(classes, test_proba, labels["test"], thresholds)
    data_hash = corpus_hash(examples)
    model_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + data_hash[:8]
    meta = {
        "id": model_id,
        "format": MODEL_FORMAT,
        "created_at": started.isoformat(),
        "data_hash": data_hash,
        "examples": {s: len(v) for s, v in by_split.items()},
        "labels": classes,
        "thresholds": thresholds,
        "gate_threshold": model.gate_threshold,
        "target_precision": TARGET_PRECISION,
        "fit_seconds": round(fit_seconds, 2),
        "metrics": metrics,
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
            "numpy": np.__version__,
        },
    }
    say("saving")
    folder = save_model(model_dir, model_id, model.to_dict(), meta)
    if activate_model:
        activate(model_dir, model_id)
    return TrainResult(model_id=model_id, folder=folder, meta=meta)


def choose_gate_threshold(model: TwoStage, x_dev: Any, truth: list[str]) -> float:
    """The highest gate threshold whose dev NOT_COMPLAINT recall reaches the target.

    Lowering it makes the gate say "not a complaint" more readily; the highest one
    that reaches the target costs the complaint categories least. If none reaches it,
    the one with the best recall.
    """
    is_nc = np.asarray(truth) == NOT_COMPLAINT
    best, best_recall = GATE_THRESHOLDS[0], -1.0
    for t in GATE_THRESHOLDS:
        model.gate_threshold = t
        said_nc = model.proba(x_dev).argmax(axis=1) == len(model.classes) - 1
        recall = float(said_nc[is_nc].mean()) if is_nc.any() else 1.0
        if recall >= TARGET_NOT_COMPLAINT_RECALL:
            return t
        if recall > best_recall:
            best, best_recall = t, recall
    return best


def choose_thresholds(
    classes: list[str], proba: np.ndarray, truth: list[str], target: float
) -> dict[str, float]:
    """Per category, the lowest confidence at which dev precision reaches *target*.

    A category whose dev predictions never reach the target gets the confidence of
    its most confident prediction, so most of it goes to triage.
    """
    best = proba.argmax(axis=1)
    conf = proba.max(axis=1)
    out: dict[str, float] = {}
    for k, name in enumerate(classes):
        mask = best == k
        if not mask.any():
            continue
        order = np.argsort(-conf[mask])
        sorted_conf = conf[mask][order]
        correct = np.array([truth[i] == name for i in np.flatnonzero(mask)])[order]
        precision = np.cumsum(correct) / np.arange(1, len(correct) + 1)
        ok = np.flatnonzero(precision >= target)
        chosen = sorted_conf[ok[-1]] if len(ok) else sorted_conf[0]
        out[name] = round(float(chosen), 4)
    return out


def score(
    classes: list[str], proba: np.ndarray, truth: list[str], thresholds: dict[str, float]
) -> dict[str, Any]:
    """Macro-F1, per-class figures, and precision/coverage at the thresholds."""
    predicted = [classes[i] for i in proba.argmax(axis=1)]
    conf = proba.max(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=classes, zero_division=0
    )
    kept = [conf[i] >= thresholds.get(p, 0.0) for i, p in enumerate(predicted)]
    n_kept = sum(kept)
    kept_correct = sum(1 for i, k in enumerate(kept) if k and predicted[i] == truth[i])
    return {
        "n": len(truth),
        "accuracy": round(
            float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)])), 4
        ),
        "macro_f1": round(float(f1_score(truth, predicted, labels=classes, average="macro")), 4),
        "coverage": round(n_kept / len(truth), 4) if truth else 0.0,
        "auto_precision": round(kept_correct / n_kept, 4) if n_kept else 0.0,
        "per_class": {
            c: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, c in enumerate(classes)
        },
    }
