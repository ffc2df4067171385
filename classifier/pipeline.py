"""The model: TF-IDF features, a linear classifier over every category, and a calibrator.

The linear classifier (one-vs-rest linear SVM, fitted with scikit-learn) gives a
score per category; the best one is the prediction. How far to trust it is the
calibrator's question (:mod:`classifier.calibrate`): it turns the score, its margin
over the runner-up and how familiar the text looks into the probability that the
prediction is right, learned from predictions on registers the model had not seen.

Everything a prediction needs is kept as numpy arrays, saved with
``numpy.savez_compressed`` and loaded with ``allow_pickle=False``: loading a model
never runs code, and classifying needs neither scikit-learn nor skops.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from classifier.calibrate import Calibrator, signals
from classifier.features import Featurizer, words
from models.vocab import NOT_COMPLAINT

#: version of the saved layout; a model saved in another layout must be retrained
MODEL_FORMAT = 4
#: regularisation of the linear SVM (chosen by cross-register validation)
SVM_C = 0.5


@dataclass
class LinearModel:
    """Per-category weights over the feature columns and intercepts."""

    classes: list[str]
    #: (n_features, n_classes), so that sparse rows @ weights is one product
    weights: np.ndarray
    intercept: np.ndarray

    def scores(self, x: sparse.csr_matrix) -> np.ndarray:
        """Decision scores, one column per class."""
        return np.asarray(x @ self.weights) + self.intercept


def fit_linear(x: sparse.csr_matrix, labels: Sequence[str], seed: int = 0) -> LinearModel:
    """A one-vs-rest linear SVM on feature rows *x*, classes weighted to balance."""
    from sklearn.svm import LinearSVC

    svm = LinearSVC(C=SVM_C, class_weight="balanced", random_state=seed)
    svm.fit(x, np.asarray(labels))
    classes = [str(c) for c in svm.classes_]
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float32)
    if len(classes) == 2:  # scikit-learn keeps one row for two classes
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.asarray([-intercept[0], intercept[0]], dtype=np.float32)
    return LinearModel(classes, np.ascontiguousarray(coef.T), intercept)


@dataclass(frozen=True)
class Assessment:
    """What the model makes of a batch of normalised texts."""

    #: feature rows (for explaining a prediction by its terms)
    x: sparse.csr_matrix
    #: index of the best class per text
    best: np.ndarray
    #: calibrated P(best class is right)
    confidence: np.ndarray
    #: the confidence the text would get at a familiar coverage and length
    familiar_confidence: np.ndarray
    #: share of the text's words known from training
    coverage: np.ndarray


@dataclass
class Model:
    """Everything a prediction needs: features, classifier, calibrator."""

    features: Featurizer
    linear: LinearModel
    calibrator: Calibrator

    @property
    def classes(self) -> list[str]:
        """Output columns of :meth:`LinearModel.scores`."""
        return self.linear.classes

    def assess(self, normalised: Sequence[str]) -> Assessment:
        """Best class, calibrated confidence and familiarity of normalised texts."""
        x = self.features.transform(normalised)
        coverage = self.features.coverage(normalised)
        n_tokens = np.fromiter((len(words(t)) for t in normalised), float, len(normalised))
        best, matrix = signals(
            self.linear.scores(x), coverage, n_tokens, self.classes.index(NOT_COMPLAINT)
        )
        return Assessment(
            x=x,
            best=best,
            confidence=self.calibrator.confidence(matrix),
            familiar_confidence=self.calibrator.confidence(self.calibrator.familiar(matrix)),
            coverage=coverage,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The model as named arrays (what is saved)."""
        out = self.features.to_arrays("f_")
        out["classes"] = np.asarray(self.classes, dtype=str)
        out["weights"] = self.linear.weights
        out["intercept"] = self.linear.intercept
        out.update(self.calibrator.to_arrays("c_"))
        return out

    @classmethod
    def from_arrays(cls, arrays: Any) -> "Model":
        """The model stored by :meth:`to_arrays`."""
        linear = LinearModel(
            [str(c) for c in arrays["classes"]],
            np.ascontiguousarray(arrays["weights"], dtype=np.float32),
            np.asarray(arrays["intercept"], dtype=np.float32),
        )
        return cls(
            Featurizer.from_arrays(arrays, "f_"), linear, Calibrator.from_arrays(arrays, "c_")
        )
