"""The scikit-learn pipeline: word and character n-gram TF-IDF into a calibrated linear SVM."""

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC


def build_pipeline(seed: int = 0) -> Pipeline:
    """An untrained pipeline; input is text already passed through ``normalize``."""
    features = FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regex, not a password)
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
    svm = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
    # Probabilities calibrated on held-out folds, so thresholds mean something.
    clf = CalibratedClassifierCV(svm, cv=5, method="sigmoid")
    return Pipeline([("features", features), ("clf", clf)])
