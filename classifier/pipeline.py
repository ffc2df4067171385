"""The model: TF-IDF features, a linear classifier over every category, and a calibrator.

The linear classifier (one-vs-rest linear SVM, fitted with scikit-learn) gives a
score per category; with the second opinion's vote added (naive Bayes on the words,
:func:`classifier.calibrate.combine`) the best one is the prediction. How far to trust it is the
calibrator's question (:mod:`classifier.calibrate`): it turns the score, its margin
over the runner-up and how familiar the text looks into the probability that the
prediction is right, learned from predictions on registers the model had not seen.

Everything a prediction needs is kept as numpy arrays, saved with
``numpy.savez_compressed`` and loaded with ``allow_pickle=False``: loading a model
never runs code, and classifying needs neither scikit-learn nor skops.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.calibrate import Calibrator, signals
from classifier.csr import Csr
from classifier.features import Featurizer
from classifier.neighbours import Neighbours
from models.vocab import NOT_COMPLAINT

if TYPE_CHECKING:
    from scipy import sparse

#: version of the saved layout; a model saved in another layout must be retrained
#: (7: the lexicon block holds the stance cues after the categories, and ``f_topic_scale``
#: holds the cues' weight too)
MODEL_FORMAT = 7
#: regularisation of the linear SVM (chosen by leaving one register out: accuracy on the
#: held-out register 0.890 at C=0.5, 0.896 at 1, 0.900 at 2, 0.899 at 4)
SVM_C = 2.0
#: smoothing of the second opinion (complement naive Bayes on the word block)
SECOND_ALPHA = 0.3
#: cap on the SVM solver's passes
MAX_ITER = 200


@dataclass
class LinearModel:
    """Per-category weights over the feature columns and intercepts."""

    classes: list[str]
    #: (n_features, n_classes), so that sparse rows @ weights is one product
    weights: np.ndarray
    intercept: np.ndarray

    def scores(self, x: Csr | list[Csr]) -> np.ndarray:
        """Decision scores, one column per class, of feature rows (or their blocks)."""
        blocks = x if isinstance(x, list) else [x]
        total = np.zeros((blocks[0].shape[0], len(self.classes)), dtype=np.float64)
        start = 0
        for block in blocks:
            total += block.dot(self.weights[start : start + block.shape[1]])
            start += block.shape[1]
        return total + self.intercept


def fit_linear(x: "sparse.csr_matrix", labels: Sequence[str], seed: int = 0) -> LinearModel:
    """A one-vs-rest linear SVM on feature rows *x*, classes weighted to balance."""
    from sklearn.svm import LinearSVC

    # Clean data converges in a few dozen passes; contradictory labels (a messy import)
    # would run to the default 1,000 for little gain.
    svm = LinearSVC(C=SVM_C, class_weight="balanced", random_state=seed, max_iter=MAX_ITER)
    svm.fit(x, np.asarray(labels))
    classes = [str(c) for c in svm.classes_]
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float32)
    if len(classes) == 2:  # scikit-learn keeps one row for two classes
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.asarray([-intercept[0], intercept[0]], dtype=np.float32)
    return LinearModel(classes, np.ascontiguousarray(coef.T), intercept)


def fit_second(
    x_word: "sparse.csr_matrix", labels: Sequence[str], classes: list[str]
) -> LinearModel:
    """The second opinion: complement naive Bayes on the word block, as a linear model.

    Built differently from the SVM (word counts per class, no margin), it disagrees
    with it mostly where the SVM is wrong: leaving one register out, the SVM was right
    on 92-98 % of the texts where the two agreed and on 31-69 % of the others. Its
    scores are added to the SVM's (:func:`classifier.calibrate.combine`), and whether
    the two agree is a signal of the calibrator. Columns follow *classes*; a class absent
    from *labels* never wins.
    """
    from sklearn.naive_bayes import ComplementNB

    nb = ComplementNB(alpha=SECOND_ALPHA)
    nb.fit(x_word, np.asarray(labels))
    weights = np.zeros((x_word.shape[1], len(classes)), dtype=np.float32)
    intercept = np.zeros(len(classes), dtype=np.float32)
    seen = [str(c) for c in nb.classes_]
    for k, name in enumerate(classes):
        if name in seen:
            # scikit-learn predicts the argmax of X @ feature_log_prob_.T
            weights[:, k] = nb.feature_log_prob_[seen.index(name)]
        else:
            intercept[k] = -np.inf
    return LinearModel(list(classes), np.ascontiguousarray(weights), intercept)


@dataclass(frozen=True)
class Assessment:
    """What the model makes of a batch of normalised texts."""

    #: word-block feature rows (for explaining a prediction by its terms)
    x_word: Csr
    #: index of the best class per text
    best: np.ndarray
    #: calibrated P(best class is right)
    confidence: np.ndarray
    #: the confidence the text would get at a familiar coverage and length
    familiar_confidence: np.ndarray
    #: share of the text's words known from training
    coverage: np.ndarray
    #: the text asks or requests something and names a city service's topic
    service_inquiry: np.ndarray


#: reasons a prediction goes to triage (codes; the predictor words them for people)
KEEP, LOW, UNFAMILIAR, INQUIRY = 0, 1, 2, 3
#: words that make a text a question or a request (normalised forms)
ASKING = frozenset(
    {
        "apa",
        "apakah",
        "bagaimana",
        "gimana",
        "kapan",
        "kenapa",
        "mengapa",
        "dimana",
        "mana",
        "berapa",
        "bisakah",
        "bisa",
        "mohon",
        "tolong",
        "minta",
        "bantu",
        "bantuan",
        "nunas",
        "please",
        "how",
        "when",
        "where",
        "why",
        "can",
        "could",
    }
)


def asks(normalised: str) -> bool:
    """Whether a normalised text asks a question or makes a request."""
    tokens = normalised.split()
    return "?" in tokens or any(t in ASKING for t in tokens)


@dataclass
class Model:
    """Everything a prediction needs: features, classifier, calibrator."""

    features: Featurizer
    linear: LinearModel
    calibrator: Calibrator
    neighbours: Neighbours
    #: complement naive Bayes on the word block (see :func:`fit_second`)
    second: LinearModel

    @property
    def classes(self) -> list[str]:
        """Output columns of :meth:`LinearModel.scores`."""
        return self.linear.classes

    def assess(self, normalised: Sequence[str]) -> Assessment:
        """Best class, calibrated confidence and familiarity of normalised texts."""
        rows = self.features.rows(normalised)
        blocks = rows.blocks
        second = self.second.scores(blocks[0])
        best, matrix = signals(
            self.calibrator.combined(self.linear.scores(blocks), second),
            rows.coverage,
            rows.n_tokens,
            self.classes.index(NOT_COMPLAINT),
            self.neighbours.nearest(blocks[0]),
            second,
        )
        inquiry = np.fromiter((asks(t) for t in normalised), bool, len(normalised)) & rows.topical
        return Assessment(
            x_word=blocks[0],
            best=best,
            confidence=self.calibrator.confidence(matrix),
            familiar_confidence=self.calibrator.confidence(self.calibrator.familiar(matrix)),
            coverage=rows.coverage,
            service_inquiry=inquiry,
        )

    def decide(self, judged: Assessment, thresholds: dict[str, float]) -> np.ndarray:
        """Per prediction, KEEP or the reason it goes to triage.

        Below its category's threshold: UNFAMILIAR when the text would have passed at
        a familiar coverage and length (or its coverage is below anything seen on dev),
        else LOW. A NOT_COMPLAINT guess about a text that asks about a city service's
        topic is INQUIRY: a city dispatches such questions to the agency, so a person
        decides, whatever the model's confidence.
        """
        limit = np.asarray([thresholds.get(c, 1.0) for c in self.classes])[judged.best]
        outright = judged.coverage < self.calibrator.min_coverage
        short = judged.confidence < limit
        unfamiliar = outright | (short & (judged.familiar_confidence >= limit))
        is_nc = judged.best == self.classes.index(NOT_COMPLAINT)
        out = np.full(len(judged.best), KEEP)
        out[is_nc & judged.service_inquiry] = INQUIRY
        out[short] = LOW
        out[unfamiliar] = UNFAMILIAR
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The model as named arrays (what is saved)."""
        out = self.features.to_arrays("f_")
        out["classes"] = np.asarray(self.classes, dtype=str)
        out["weights"] = self.linear.weights
        out["intercept"] = self.linear.intercept
        out.update(self.calibrator.to_arrays("c_"))
        out.update(self.neighbours.to_arrays("n_"))
        out["s_weights"] = self.second.weights
        out["s_intercept"] = self.second.intercept
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
            Featurizer.from_arrays(arrays, "f_"),
            linear,
            Calibrator.from_arrays(arrays, "c_"),
            Neighbours.from_arrays(arrays, "n_"),
            LinearModel(
                linear.classes,
                np.ascontiguousarray(arrays["s_weights"], dtype=np.float32),
                np.asarray(arrays["s_intercept"], dtype=np.float32),
            ),
        )
