"""Evaluating a model on a fixed split: per-class figures, confusion, precision/coverage."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix

from classifier.corpus import Example, load_corpus
from classifier.model import Predictor
from classifier.normalize import normalize
from classifier.train import score


@dataclass(frozen=True)
class Evaluation:
    """How a model does on one split."""

    split: str
    classes: list[str]
    figures: dict[str, Any]
    confusion: np.ndarray
    #: (coverage, precision) when only the k most confident predictions are kept
    curve: list[tuple[float, float]]
    #: the point the chosen per-category thresholds give
    chosen: tuple[float, float]


def evaluate(
    predictor: Predictor, split: str = "test", examples: list[Example] | None = None
) -> Evaluation:
    """Score *predictor* on *split* of the corpus (never used for choices when 'test')."""
    chosen_examples = [e for e in (examples or load_corpus()) if e.split == split]
    if not chosen_examples:
        raise ValueError(f"the corpus has no {split} examples")
    model = predictor.model
    x = model.features.transform([normalize(e.text) for e in chosen_examples])
    proba = model.proba(x)
    truth = [e.label for e in chosen_examples]
    classes = model.classes
    figures = score(classes, proba, truth, predictor.thresholds)
    predicted = [classes[i] for i in proba.argmax(axis=1)]
    confusion = confusion_matrix(truth, predicted, labels=classes)
    conf = proba.max(axis=1)
    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)])
    order = np.argsort(-conf)
    hits = np.cumsum(correct[order])
    kept = np.arange(1, len(order) + 1)
    curve = [(float(k / len(order)), float(h / k)) for k, h in zip(kept, hits, strict=True)]
    return Evaluation(
        split=split,
        classes=classes,
        figures=figures,
        confusion=confusion,
        curve=curve,
        chosen=(float(figures["coverage"]), float(figures["auto_precision"])),
    )


def write_plots(evaluation: Evaluation, folder: Path) -> list[Path]:
    """Write the precision-coverage curve and the confusion matrix as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    curve_path = folder / f"precision_coverage_{evaluation.split}.png"
    fig, ax = plt.subplots(figsize=(6, 4.5))
    xs, ys = zip(*evaluation.curve, strict=True)
    ax.plot(xs, ys, label="keep the k most confident")
    ax.scatter([evaluation.chosen[0]], [evaluation.chosen[1]], color="red", zorder=3,
               label="chosen per-category thresholds")  # fmt: skip
    ax.axhline(0.95, color="grey", linestyle=":", label="precision 0.95")
    ax.set_xlabel("coverage (share routed without triage)")
    ax.set_ylabel("precision of routed mentions")
    ax.set_ylim(min(0.8, min(ys)), 1.0)
    ax.set_title(f"Precision vs coverage ({evaluation.split} split)")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(curve_path, dpi=110)
    plt.close(fig)

    matrix_path = folder / f"confusion_{evaluation.split}.png"
    n = len(evaluation.classes)
    fig, ax = plt.subplots(figsize=(0.55 * n + 2.5, 0.55 * n + 2))
    ax.imshow(evaluation.confusion, cmap="Blues")
    ax.set_xticks(range(n), evaluation.classes, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), evaluation.classes, fontsize=8)
    for i in range(n):
        for j in range(n):
            value = evaluation.confusion[i, j]
            if value:
                colour = "white" if value > evaluation.confusion.max() / 2 else "black"
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"Confusion matrix ({evaluation.split} split)")
    fig.tight_layout()
    fig.savefig(matrix_path, dpi=110)
    plt.close(fig)
    return [curve_path, matrix_path]
