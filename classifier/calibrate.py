"""How far to trust a prediction: calibrated confidence and an unfamiliar-text signal.

Each category's linear score is first put on the log-odds scale of that category
(per-class Platt scaling), and the second opinion's log-probabilities (naive Bayes on
the words, relative to its own best class) are added with weight
:data:`SECOND_WEIGHT`; the best sum is the prediction. The calibrator is then a
logistic regression that predicts *is the top category right?* from signals of the
prediction: the log-odds of the best category, its margin
over the runner-up, whether the best is NOT_COMPLAINT, the share of the text's words
the training vocabulary knows (coverage), the text's length, how close the nearest
training text is and whether its label agrees, and whether a second, differently built
model (naive Bayes on the words) picks the same category. It is fitted on
predictions *cross-fitted by register*: each register (tweets, formal letters, app
reviews, ...) predicted by a model trained without it, plus in-register predictions on
the dev split. So a confidence of 0.9 means "right nine times in ten on text of a
style the model may not have seen", not on text like its own training data.

The same signals give the reason for abstaining: when the confidence with the text's
own coverage and length falls short of the threshold but the confidence the text
would get at a familiar coverage and length does not, the text is unlike the training
data ("teks tidak mirip data latih"); text whose coverage is below anything seen on
the dev split is unfamiliar outright.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

#: weight of the second opinion's relative log-probabilities in the combined score.
#: Chosen on the cross-fitted predictions (each register predicted by a model that never
#: saw it) and the dev split, on the corpus of 2026-12-03 (issue-11-model): accuracy on
#: the held-out registers 0.898 at 0, 0.900 at 0.3, 0.904 at 1, 0.910 at 3, 0.908 at 6,
#: 0.902 at 12 (dev split 0.925, 0.922, 0.926, 0.928, 0.932, 0.927); 6 gave the held-out
#: registers less coverage at the target precision (0.792 against 0.815).
SECOND_WEIGHT = 3.0
#: floor of the second opinion's relative log-probability (a class it never saw is -inf)
SECOND_FLOOR = -50.0

SIGNALS = (
    "score",
    "margin",
    "coverage",
    "log_tokens",
    "log_tokens_sq",
    "not_complaint",
    "nc_score",
    "nc_margin",
    "neighbour",
    "neighbour_agrees",
    "second_agrees",
)


def signals(
    scores: np.ndarray,
    coverage: np.ndarray,
    n_tokens: np.ndarray,
    nc_index: int,
    neighbour: tuple[np.ndarray, np.ndarray],
    second: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The best class per row and the calibrator's input signals (see :data:`SIGNALS`).

    *scores* are the combined scores (:func:`combine`); *second* holds the
    second opinion's scores (:func:`classifier.pipeline.fit_second`), whose best class
    agreeing with the prediction is a signal.
    """
    order = np.argsort(-scores, axis=1)
    best = order[:, 0]
    rows = np.arange(len(scores))
    top = scores[rows, best]
    margin = top - scores[rows, order[:, 1]] if scores.shape[1] > 1 else np.ones(len(scores))
    log_tokens = np.log1p(n_tokens.astype(np.float64))
    is_nc = (best == nc_index).astype(np.float64)
    similarity, label = neighbour
    agrees = (label == best).astype(np.float64)
    matrix = np.column_stack(
        [
            top,
            margin,
            coverage,
            log_tokens,
            log_tokens**2,
            is_nc,
            is_nc * top,
            is_nc * margin,
            similarity,
            agrees,
            (second.argmax(axis=1) == best).astype(np.float64),
        ]
    )
    return best, matrix


def combine(rescaled: np.ndarray, second: np.ndarray, weight: float) -> np.ndarray:
    """Per-class log-odds of the linear model plus *weight* times the second opinion's
    log-probabilities relative to its best class (0 for its best, negative for others).

    The two models are built differently (margins on words and character n-grams;
    word counts per class), so their sum is right more often than either alone.
    """
    if weight == 0:
        return rescaled
    relative = np.maximum(second - second.max(axis=1, keepdims=True), SECOND_FLOOR)
    return np.asarray(rescaled + weight * relative)


def fit_class_scaling(
    scores: np.ndarray, truth: np.ndarray, classes: list[str], weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-class Platt scaling of held-out scores: log-odds = scale * score + shift.

    Linear SVM scores of different classes are not on one scale; putting each on the
    log-odds of its own class (learned from predictions on held-out text) makes the
    best class a better guess.
    """
    from sklearn.linear_model import LogisticRegression

    scale, shift = np.ones(len(classes)), np.zeros(len(classes))
    for k, name in enumerate(classes):
        target = (truth == name).astype(int)
        if target.min() == target.max():
            continue
        lr = LogisticRegression(C=100.0, max_iter=1000)
        lr.fit(scores[:, [k]], target, sample_weight=weights)
        scale[k], shift[k] = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    return scale, shift


@dataclass
class Calibrator:
    """Per-class scaling, then logistic regression on standardised signals."""

    #: per-class Platt scaling of the linear scores (see :func:`fit_class_scaling`)
    class_scale: np.ndarray
    class_shift: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    #: coverage and log-length a familiar text has (medians of the dev split)
    familiar_coverage: float
    #: log-length range of the training texts (5th and 95th percentiles)
    length_range: tuple[float, float]
    #: coverage below which a text is unfamiliar outright
    min_coverage: float
    #: similarity to the nearest training text a familiar text has (median of dev)
    familiar_neighbour: float = 0.0
    #: weight of the second opinion in the combined score (see :func:`combine`)
    second_weight: float = SECOND_WEIGHT

    def rescale(self, scores: np.ndarray) -> np.ndarray:
        """Linear scores as per-class log-odds."""
        return np.asarray(scores * self.class_scale + self.class_shift)

    def combined(self, scores: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Linear scores rescaled, plus the second opinion's (see :func:`combine`)."""
        return combine(self.rescale(scores), second, self.second_weight)

    @classmethod
    def fit(
        cls,
        class_scaling: tuple[np.ndarray, np.ndarray],
        matrix: np.ndarray,
        correct: np.ndarray,
        *,
        weights: np.ndarray | None = None,
        dev_coverage: np.ndarray,
        dev_neighbour: np.ndarray,
        train_log_tokens: np.ndarray,
        second_weight: float = SECOND_WEIGHT,
    ) -> "Calibrator":
        """Fit on signals of cross-fitted predictions and whether each was right."""
        from sklearn.linear_model import LogisticRegression

        mean = matrix.mean(axis=0)
        scale = matrix.std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(C=1.0, max_iter=1000)
        lr.fit((matrix - mean) / scale, correct.astype(int), sample_weight=weights)
        low, high = np.percentile(train_log_tokens, [5, 95])
        return cls(
            class_scale=class_scaling[0],
            class_shift=class_scaling[1],
            mean=mean,
            scale=scale,
            coef=np.asarray(lr.coef_[0], dtype=np.float64),
            intercept=float(lr.intercept_[0]),
            familiar_coverage=float(np.median(dev_coverage)),
            length_range=(float(low), float(high)),
            min_coverage=float(min(0.5, np.percentile(dev_coverage, 1))),
            familiar_neighbour=float(np.median(dev_neighbour)),
            second_weight=second_weight,
        )

    def confidence(self, matrix: np.ndarray) -> np.ndarray:
        """P(the best category is right) for each row of signals."""
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def familiar(self, matrix: np.ndarray) -> np.ndarray:
        """The same signals as if the text had a familiar coverage and length."""
        out = matrix.copy()
        cov = SIGNALS.index("coverage")
        out[:, cov] = np.maximum(out[:, cov], self.familiar_coverage)
        length = SIGNALS.index("log_tokens")
        out[:, length] = np.clip(out[:, length], *self.length_range)
        out[:, SIGNALS.index("log_tokens_sq")] = out[:, length] ** 2
        near = SIGNALS.index("neighbour")
        out[:, near] = np.maximum(out[:, near], self.familiar_neighbour)
        return out

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The fitted state as arrays."""
        return {
            f"{prefix}class_scale": self.class_scale,
            f"{prefix}class_shift": self.class_shift,
            f"{prefix}mean": self.mean,
            f"{prefix}scale": self.scale,
            f"{prefix}coef": self.coef,
            f"{prefix}scalars": np.asarray(
                [
                    self.intercept,
                    self.familiar_coverage,
                    *self.length_range,
                    self.min_coverage,
                    self.familiar_neighbour,
                    self.second_weight,
                ]
            ),
        }

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> "Calibrator":
        """The calibrator stored by :meth:`to_arrays`."""
        scalars = [float(v) for v in arrays[f"{prefix}scalars"]]
        intercept, familiar, low, high, min_cov, neighbour, second_weight = scalars
        return cls(
            class_scale=np.asarray(arrays[f"{prefix}class_scale"]),
            class_shift=np.asarray(arrays[f"{prefix}class_shift"]),
            mean=np.asarray(arrays[f"{prefix}mean"]),
            scale=np.asarray(arrays[f"{prefix}scale"]),
            coef=np.asarray(arrays[f"{prefix}coef"]),
            intercept=intercept,
            familiar_coverage=familiar,
            length_range=(low, high),
            min_coverage=min_cov,
            familiar_neighbour=neighbour,
            second_weight=second_weight,
        )
