"""The model: shared n-gram features, a complaint gate and a category classifier.

Two stages separate the two questions people ask of a mention: *is this a
complaint at all?* (the gate, trained on every example) and *about what?* (the
category model, trained on complaints only). Praise that names a problem word
("makasih PDAM, air udah lancar") is the gate's job; the category model never has to
tell it apart from a water complaint.

Both are linear SVMs calibrated on held-out folds, so their probabilities can be
multiplied and thresholded.
"""

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import spmatrix
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from models.vocab import NOT_COMPLAINT

WORD_PATTERN = r"(?u)\b\w+\b"
#: version of the saved layout; a model saved in another layout must be retrained
MODEL_FORMAT = 3


def build_features() -> FeatureUnion:
    """Word 1-2-grams and character 2-5-grams, TF-IDF weighted."""
    return FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    token_pattern=WORD_PATTERN,
                    sublinear_tf=True,
                ),
            ),
            # Character n-grams inside word boundaries make typos and run-together
            # hashtags ("lampujalanmati") look like the words they contain.
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True
                ),
            ),
        ]
    )


def build_calibrated_svm(c: float, *, balanced: bool, seed: int = 0) -> CalibratedClassifierCV:
    """A linear SVM whose probabilities are calibrated on 5 held-out folds."""
    svm = LinearSVC(C=c, class_weight="balanced" if balanced else None, random_state=seed)
    return CalibratedClassifierCV(svm, cv=5, method="sigmoid")


@dataclass
class TwoStage:
    """The fitted parts, as saved: features, gate, category model and the gate's bias."""

    features: FeatureUnion
    gate: CalibratedClassifierCV
    category: CalibratedClassifierCV
    #: gate probability at which NOT_COMPLAINT wins (chosen on dev; 0.5 = no shift)
    gate_threshold: float = 0.5

    @property
    def classes(self) -> list[str]:
        """Output columns: the complaint categories, then NOT_COMPLAINT."""
        return [str(c) for c in self.category.classes_] + [NOT_COMPLAINT]

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of scikit-learn objects and arrays (what skops stores).

        skops writes a dict entry by entry, which makes the vectorisers' vocabularies
        (tens of thousands of n-grams) the bulk of the file; they are stored as arrays
        of terms instead and rebuilt on load.
        """
        features = copy.deepcopy(self.features)
        vocabularies = []
        for _, vectorizer in features.transformer_list:
            vocabularies.append(np.asarray(vectorizer.get_feature_names_out(), dtype=str))
            del vectorizer.vocabulary_
            # Terms dropped by min_df: only kept for introspection, never used to predict.
            vectorizer.stop_words_ = None
        return {
            "features": features,
            "vocabularies": vocabularies,
            "gate": self.gate,
            "category": self.category,
            "gate_threshold": self.gate_threshold,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TwoStage":
        """The model stored by :meth:`to_dict`."""
        features = data["features"]
        for (_, vectorizer), terms in zip(
            features.transformer_list, data["vocabularies"], strict=True
        ):
            vectorizer.vocabulary_ = {str(term): i for i, term in enumerate(terms)}
        return cls(
            features=features,
            gate=data["gate"],
            category=data["category"],
            gate_threshold=float(data["gate_threshold"]),
        )

    def proba(self, x: spmatrix) -> np.ndarray:
        """Probabilities over :attr:`classes` for featurised texts."""
        p_nc = self.gate_probability(x)
        p_cat = self.category.predict_proba(x)
        return np.hstack([p_cat * (1 - p_nc)[:, None], p_nc[:, None]])

    def gate_probability(self, x: spmatrix) -> np.ndarray:
        """P(not a complaint), shifted so that ``gate_threshold`` maps to 0.5."""
        raw = np.clip(self.gate.predict_proba(x)[:, 1], 1e-6, 1 - 1e-6)
        t = self.gate_threshold
        logit = np.log(raw / (1 - raw)) - np.log(t / (1 - t))
        return np.asarray(1 / (1 + np.exp(-logit)))


def fit_two_stage(texts: list[str], labels: list[str], seed: int = 0) -> TwoStage:
    """Fit features, gate and category model on normalised *texts*."""
    features = build_features()
    x = features.fit_transform(texts)
    y = np.asarray(labels)
    is_nc = (y == NOT_COMPLAINT).astype(int)
    # The gate keeps the corpus' own complaint/non-complaint ratio; its bias towards
    # NOT_COMPLAINT is set explicitly by gate_threshold, chosen on dev.
    gate = build_calibrated_svm(0.5, balanced=False, seed=seed).fit(x, is_nc)
    complaints = y != NOT_COMPLAINT
    category = build_calibrated_svm(1.0, balanced=True, seed=seed).fit(x[complaints], y[complaints])
    return TwoStage(features=features, gate=gate, category=category)
