"""Evaluating a model on labelled examples: per-class figures, confusion, precision/coverage."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifier.corpus import Example, load_corpus
from classifier.model import Predictor
from classifier.train import score


@dataclass(frozen=True)
class Evaluation:
    """How a model does on one set of labelled examples."""

    #: what was scored: a corpus split, a source, or a file
    name: str
    classes: list[str]
    figures: dict[str, Any]
    confusion: np.ndarray
    #: (coverage, precision) when only the k most confident predictions are kept
    curve: list[tuple[float, float]]
    #: the point the chosen per-category thresholds give
    chosen: tuple[float, float]

    @property
    def split(self) -> str:
        """The name (kept for callers that scored a corpus split)."""
        return self.name


def evaluate(
    predictor: Predictor,
    split: str = "test",
    examples: list[Example] | None = None,
    *,
    name: str | None = None,
) -> Evaluation:
    """Score *predictor* on *split* of *examples* (default: the bundled corpus).

    With ``split="all"`` every given example is scored (a file brought for checking).
    """
    pool = load_corpus() if examples is None else examples
    chosen = pool if split == "all" else [e for e in pool if e.split == split]
    if not chosen:
        raise ValueError(f"there are no {split} examples to score")
    return evaluate_examples(predictor, chosen, name or split)


def evaluate_examples(predictor: Predictor, chosen: list[Example], name: str) -> Evaluation:
    """Score *predictor* on exactly *chosen*."""
    from sklearn.metrics import confusion_matrix

    judged = predictor.assess([e.text for e in chosen])
    abstained = predictor.abstentions(judged)
    truth = [e.label for e in chosen]
    classes = predictor.classes
    figures = score(classes, judged.best, abstained, truth)
    predicted = [classes[i] for i in judged.best]
    confusion = confusion_matrix(truth, predicted, labels=classes)
    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)])
    order = np.argsort(-judged.confidence)
    hits = np.cumsum(correct[order])
    kept = np.arange(1, len(order) + 1)
    curve = [(float(k / len(order)), float(h / k)) for k, h in zip(kept, hits, strict=True)]
    return Evaluation(
        name=name,
        classes=classes,
        figures=figures,
        confusion=confusion,
        curve=curve,
        chosen=(float(figures["coverage"]), float(figures["auto_precision"])),
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def write_plots(evaluation: Evaluation, folder: Path) -> list[Path]:
    """Write the precision-coverage curve and the confusion matrix as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    slug = _slug(evaluation.name)
    curve_path = folder / f"precision_coverage_{slug}.png"
    fig, ax = plt.subplots(figsize=(6, 4.5))
    xs, ys = zip(*evaluation.curve, strict=True)
    ax.plot(xs, ys, label="keep the k most confident")
    ax.scatter(
        [evaluation.chosen[0]],
        [evaluation.chosen[1]],
        color="red",
        zorder=3,
        label="chosen per-category thresholds",
    )
    ax.axhline(0.95, color="grey", linestyle=":", label="precision 0.95")
    ax.set_xlabel("coverage (share routed without triage)")
    ax.set_ylabel("precision of routed mentions")
    ax.set_ylim(min(0.5, min(ys)), 1.0)
    ax.set_title(f"Precision vs coverage ({evaluation.name})")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(curve_path, dpi=110)
    plt.close(fig)

    matrix_path = folder / f"confusion_{slug}.png"
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
    ax.set_title(f"Confusion matrix ({evaluation.name})")
    fig.tight_layout()
    fig.savefig(matrix_path, dpi=110)
    plt.close(fig)
    return [curve_path, matrix_path]
