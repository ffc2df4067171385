"""Training a model, calibrating it across registers, choosing thresholds, and saving it.

1. The features and the linear classifier are fitted on the train split of every
   source (bundled corpus registers, imported city history, corrections).
2. Calibration data: the dev split predicted by that model (in-register), and every
   register's train and dev examples predicted by a model fitted *without that
   register* (cross-fitted by register group). A style the model never saw is what
   real citizen text is, and these predictions show how the model does on one.
3. The calibrator learns P(right) from them; per-category thresholds are the lowest
   calibrated confidence at which their precision reaches the target (NOT_COMPLAINT's
   target is stricter: a complaint kept out of the inboxes is a citizen nobody answers).
4. The test split of each source is scored for the record and for the activation gate.
"""

import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifier.calibrate import SECOND_WEIGHT, Calibrator, combine, fit_class_scaling, signals
from classifier.corpus import Example, corpus_hash, load_corpus
from classifier.csr import hstack
from classifier.features import Analysed, Fitted, words
from classifier.neighbours import Neighbours
from classifier.normalize import normalize
from classifier.persist import activate, save_model
from classifier.pipeline import KEEP, MODEL_FORMAT, LinearModel, Model, fit_linear, fit_second
from models.vocab import NOT_COMPLAINT

#: precision the complaint categories' thresholds aim for on the calibration data
TARGET_PRECISION = 0.97
#: precision NOT_COMPLAINT must reach before a mention is kept out of the inboxes
TARGET_NOT_COMPLAINT_PRECISION = 0.99
#: pseudo-predictions (in calibration examples) at the pooled precision that each
#: category's own precision is shrunk towards when its threshold is chosen (0: none).
#: Leaving one register out (bench/cross_register_bench.py), 100 raised the pooled
#: precision from 0.967 to 0.969 at coverage 0.755 -> 0.757.
THRESHOLD_PRIOR = 100.0
#: no prediction with a calibrated confidence below this is routed without triage
MIN_THRESHOLD = 0.5
#: a register group with fewer train+dev examples is not held out on its own
MIN_GROUP = 30
#: total weight of in-register (dev) predictions relative to cross-register ones when
#: calibrating and choosing thresholds
IN_REGISTER_WEIGHT = 0.25

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    """A trained, saved model and how it scored."""

    model_id: str
    folder: Path
    meta: dict[str, Any]


def group_of(example: Example) -> str:
    """The register group an example is held out with when cross-fitting."""
    return example.register if example.source == "corpus" else example.source


def source_keys(example: Example) -> list[str]:
    """The data sources an example is reported under (its source, and its register)."""
    keys = [example.source]
    if example.source == "corpus":
        keys.append(f"corpus/{example.register}")
    return keys


@dataclass
class _Scored:
    """Linear scores of held-out examples, with what the signals need."""

    scores: np.ndarray
    truth: list[str]
    coverage: np.ndarray
    n_tokens: np.ndarray
    neighbour: tuple[np.ndarray, np.ndarray]
    #: the second opinion's scores per text and class
    second: np.ndarray
    group: str = "dev"


@dataclass
class _Fit:
    """What is fitted on one set of texts: features, classifiers, nearest-text index."""

    fitted: Fitted
    linear: LinearModel
    neighbours: Neighbours
    second: LinearModel


def _fit(
    analysed: Analysed, docs: np.ndarray, labels: list[str], classes: list[str] | None = None
) -> _Fit:
    """Features, linear model, second opinion and nearest-text index fitted on *docs*."""
    fitted = Fitted.fit(analysed, docs)
    blocks = fitted.rows(analysed, docs).blocks
    linear = fit_linear(hstack(blocks).to_scipy(), labels)
    if classes is not None:
        linear = _with_classes(linear, classes)
    index = {c: i for i, c in enumerate(linear.classes)}
    x_word = blocks[0].to_scipy()
    neighbours = Neighbours.build(
        x_word, np.asarray([index[c] for c in labels]), fitted.featurizer.word.idf
    )
    return _Fit(fitted, linear, neighbours, fit_second(x_word, labels, linear.classes))


def _predict_with(fit: _Fit, analysed: Analysed, docs: np.ndarray, truth: list[str]) -> _Scored:
    rows = fit.fitted.rows(analysed, docs)
    near = fit.neighbours.nearest(rows.blocks[0])
    second = fit.second.scores(rows.blocks[0])
    return _Scored(
        fit.linear.scores(rows.blocks), truth, rows.coverage, rows.n_tokens, near, second
    )


def train(
    model_dir: Path,
    *,
    examples: list[Example] | None = None,
    activate_model: bool = True,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on the train split, calibrate across registers, report on test, save."""
    say = progress or (lambda _msg: None)
    say("reading corpus")
    examples = load_corpus() if examples is None else examples
    by_split = {s: [e for e in examples if e.split == s] for s in ("train", "dev", "test")}
    if not by_split["train"] or not by_split["dev"]:
        raise ValueError("the corpus needs train and dev examples")
    say(f"normalising {len(examples)} examples")
    norm = {e.text: normalize(e.text) for e in examples}
    started = datetime.now(UTC)
    train_ex, dev_ex = by_split["train"], by_split["dev"]
    pool = train_ex + dev_ex
    analysed = Analysed.of([norm[e.text] for e in pool])
    train_docs = np.arange(len(train_ex))
    dev_docs = np.arange(len(train_ex), len(pool))
    say(f"fitting on {len(train_ex)} train examples")
    main = _fit(analysed, train_docs, [e.label for e in train_ex])
    features = main.fitted.featurizer
    classes = main.linear.classes
    fit_seconds = (datetime.now(UTC) - started).total_seconds()

    parts = [_predict_with(main, analysed, dev_docs, [e.label for e in dev_ex])]
    held_out = cross_fit(pool, analysed, classes, say)
    parts += held_out
    truth = [t for p in parts for t in p.truth]
    n_in, n_out = len(parts[0].truth), len(truth) - len(parts[0].truth)
    # Cross-register predictions weigh four times the in-register ones in total: real
    # citizen text is in a style the corpus may not have (measured by leaving one
    # register out: bench/cross_register_bench.py).
    weights = np.ones(len(truth))
    if n_out:
        weights[:n_in] = IN_REGISTER_WEIGHT
        weights[n_in:] = n_in / n_out
    say("calibrating on cross-fitted predictions")
    scaling = fit_class_scaling(
        np.vstack([p.scores for p in parts]), np.asarray(truth), classes, weights
    )
    second = np.vstack([p.second for p in parts])
    best, matrix = signals(
        combine(
            np.vstack([p.scores for p in parts]) * scaling[0] + scaling[1], second, SECOND_WEIGHT
        ),
        np.concatenate([p.coverage for p in parts]),
        np.concatenate([p.n_tokens for p in parts]),
        classes.index(NOT_COMPLAINT),
        (
            np.concatenate([p.neighbour[0] for p in parts]),
            np.concatenate([p.neighbour[1] for p in parts]),
        ),
        second,
    )
    correct = np.asarray([classes[b] == t for b, t in zip(best, truth, strict=True)])
    calibrator = Calibrator.fit(
        scaling,
        matrix,
        correct,
        weights=weights,
        dev_coverage=parts[0].coverage,
        dev_neighbour=parts[0].neighbour[0],
        train_log_tokens=np.log1p(
            np.fromiter((len(words(norm[e.text])) for e in train_ex), float, len(train_ex))
        ),
    )
    confidence = calibrator.confidence(matrix)
    thresholds = choose_thresholds(classes, best, confidence, truth, weights)
    model = Model(features, main.linear, calibrator, main.neighbours, main.second)

    metrics = {"dev": _score_set(model, dev_ex, norm, thresholds)}
    say("scoring the test split of each source")
    if by_split["test"]:
        metrics["test"] = _score_set(
            model,
            [e for e in by_split["test"] if e.source == "corpus"] or by_split["test"],
            norm,
            thresholds,
        )
    sources: dict[str, Any] = {}
    for key in sorted({k for e in by_split["test"] for k in source_keys(e)}):
        chosen = [e for e in by_split["test"] if key in source_keys(e)]
        sources[key] = _score_set(model, chosen, norm, thresholds)
    cross = {}
    offset = 0
    for part in held_out:
        n = len(part.truth)
        part_best = best[n_in + offset : n_in + offset + n]
        abstained = confidence[n_in + offset : n_in + offset + n] < np.asarray(
            [thresholds[classes[b]] for b in part_best]
        )
        cross[part.group] = score(classes, part_best, abstained, part.truth)
        offset += n
    data_hash = corpus_hash(examples)
    model_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + data_hash[:8]
    meta = {
        "id": model_id,
        "format": MODEL_FORMAT,
        "created_at": started.isoformat(),
        "data_hash": data_hash,
        "examples": {s: len(v) for s, v in by_split.items()},
        "examples_by_source": _count_sources(examples),
        "labels": classes,
        "thresholds": thresholds,
        "target_precision": TARGET_PRECISION,
        "target_not_complaint_precision": TARGET_NOT_COMPLAINT_PRECISION,
        "fit_seconds": round(fit_seconds, 2),
        "train_seconds": round((datetime.now(UTC) - started).total_seconds(), 2),
        "metrics": metrics,
        "sources": sources,
        "cross_register": cross,
        "versions": _versions(),
    }
    say("saving")
    folder = save_model(model_dir, model_id, model.to_arrays(), meta)
    if activate_model:
        activate(model_dir, model_id)
    return TrainResult(model_id=model_id, folder=folder, meta=meta)


def cross_fit(
    examples: list[Example], analysed: Analysed, classes: list[str], say: Progress
) -> list[_Scored]:
    """Each register group predicted by a model fitted on the other groups' examples.

    *analysed* holds the texts of *examples*, in the same order.
    """
    group = np.asarray([group_of(e) for e in examples])
    names, sizes = np.unique(group, return_counts=True)
    big = [str(g) for g, n in zip(names, sizes, strict=True) if n >= MIN_GROUP]
    if len(big) < 2:
        return []
    labels = [e.label for e in examples]
    out = []
    for g in big:
        rest = np.flatnonzero(group != g)
        held = np.flatnonzero(group == g)
        if len({labels[i] for i in rest}) < 2:
            continue
        say(f"cross-fitting: predicting {g} with a model that never saw it")
        fit = _fit(analysed, rest, [labels[i] for i in rest], classes)
        part = _predict_with(fit, analysed, held, [labels[i] for i in held])
        part.group = g
        out.append(part)
    return out


def _with_classes(linear: LinearModel, classes: list[str]) -> LinearModel:
    """The model's columns in *classes* order; a class it never saw scores very low."""
    if linear.classes == classes:
        return linear
    n_features = linear.weights.shape[0]
    weights = np.zeros((n_features, len(classes)), dtype=np.float32)
    intercept = np.full(len(classes), -10.0, dtype=np.float32)
    for j, c in enumerate(linear.classes):
        k = classes.index(c)
        weights[:, k] = linear.weights[:, j]
        intercept[k] = linear.intercept[j]
    return LinearModel(classes, weights, intercept)


def _score_set(
    model: Model, chosen: list[Example], norm: dict[str, str], thresholds: dict[str, float]
) -> dict[str, Any]:
    judged = model.assess([norm.get(e.text) or normalize(e.text) for e in chosen])
    classes = model.classes
    abstained = model.decide(judged, thresholds) != KEEP
    return score(classes, judged.best, abstained, [e.label for e in chosen])


def choose_thresholds(
    classes: list[str],
    best: np.ndarray,
    confidence: np.ndarray,
    truth: list[str],
    weights: np.ndarray | None = None,
    prior: float | None = None,
) -> dict[str, float]:
    """Per category, the lowest confidence at which its (weighted) precision reaches target.

    A category's precision above a confidence is estimated with *prior* pseudo-examples
    at the precision of every complaint category above that confidence (shrinkage: a
    category with few calibration predictions follows the pooled curve instead of the
    noise of its own few). A category whose predictions never reach the target gets the
    confidence of its most confident prediction (with shrinkage, at least the confidence
    at which the pooled curve reaches the target), so most of it goes to triage; no
    threshold is below :data:`MIN_THRESHOLD`.
    """
    prior = THRESHOLD_PRIOR if prior is None else prior
    weights = np.ones(len(truth)) if weights is None else weights
    truth_arr = np.asarray(truth)
    right = truth_arr == np.asarray(classes)[best]
    nc = classes.index(NOT_COMPLAINT) if NOT_COMPLAINT in classes else -1
    pooled = best != nc
    order_all = np.argsort(-confidence[pooled])
    conf_all = confidence[pooled][order_all]
    w_all = weights[pooled][order_all]
    cum_w_all = np.cumsum(w_all)
    cum_hit_all = np.cumsum(w_all * right[pooled][order_all])
    reached = np.flatnonzero(cum_hit_all / np.maximum(cum_w_all, 1e-12) >= TARGET_PRECISION)
    pooled_threshold = float(conf_all[reached[-1]]) if len(reached) else 1.0
    out: dict[str, float] = {}
    for k, name in enumerate(classes):
        target = TARGET_NOT_COMPLAINT_PRECISION if name == NOT_COMPLAINT else TARGET_PRECISION
        mask = best == k
        if not mask.any():
            out[name] = 1.0
            continue
        order = np.argsort(-confidence[mask])
        sorted_conf = confidence[mask][order]
        w = weights[mask][order]
        correct = right[mask][order]
        hits, total = np.cumsum(w * correct), np.cumsum(w)
        if prior > 0 and k != nc and len(conf_all):
            # pooled precision of the complaint categories at or above each confidence
            at = np.searchsorted(-conf_all, -sorted_conf, side="right") - 1
            pooled_precision = cum_hit_all[at] / cum_w_all[at]
            scale = prior / max(float(w.mean()), 1e-9)
            hits = hits + scale * pooled_precision
            total = total + scale
        precision = hits / total
        ok = np.flatnonzero(precision >= target)
        chosen = sorted_conf[ok[-1]] if len(ok) else sorted_conf[0]
        if not len(ok) and prior > 0 and k != nc:
            # no evidence of its own: at least where the pooled curve reaches the target
            chosen = max(chosen, pooled_threshold)
        out[name] = round(float(max(chosen, MIN_THRESHOLD)), 4)
    return out


def score(
    classes: list[str], best: np.ndarray, abstained: np.ndarray, truth: list[str]
) -> dict[str, Any]:
    """Macro-F1, per-class figures, precision/coverage at the thresholds, and drops.

    ``dropped`` is the share of real complaints the model kept out of the inboxes
    without triage (predicted NOT_COMPLAINT and not abstained).
    """
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    predicted = [classes[i] for i in best]
    present = [c for c in classes if c in set(truth) | set(predicted)]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=classes, zero_division=0
    )
    kept = ~np.asarray(abstained, dtype=bool)
    hits = np.asarray([p == t for p, t in zip(predicted, truth, strict=True)])
    complaints = np.asarray([t != NOT_COMPLAINT for t in truth])
    dropped = complaints & kept & np.asarray([p == NOT_COMPLAINT for p in predicted])
    n = len(truth)
    return {
        "n": n,
        "accuracy": round(float(hits.mean()), 4) if n else 0.0,
        "macro_f1": round(
            float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), 4
        )
        if n
        else 0.0,
        "coverage": round(float(kept.mean()), 4) if n else 0.0,
        "auto_precision": round(float(hits[kept].mean()), 4) if kept.any() else 0.0,
        "dropped": round(float(dropped.sum() / complaints.sum()), 4) if complaints.any() else 0.0,
        "dropped_n": int(dropped.sum()),
        "complaints_n": int(complaints.sum()),
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


def _count_sources(examples: list[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        for key in source_keys(e):
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _versions() -> dict[str, str]:
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
    }
