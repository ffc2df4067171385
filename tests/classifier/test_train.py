"""Choosing thresholds (shrinkage towards the pooled curve) and the second opinion."""

import numpy as np
from scipy import sparse
from sklearn.naive_bayes import ComplementNB

from classifier.csr import Csr
from classifier.pipeline import fit_second
from classifier.train import MIN_THRESHOLD, choose_thresholds
from models.vocab import NOT_COMPLAINT

CLASSES = ["DLHK", NOT_COMPLAINT, "PDAM"]


def _calibration() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """600 PDAM predictions right more often the higher their confidence, and 5 lucky
    DLHK predictions, all right, at a confidence where PDAM is right 60 % of the time."""
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, 600)
    right = rng.uniform(0, 1, 600) < (confidence - 0.5) * 1.6 + 0.2
    truth = ["PDAM" if r else "DLHK" for r in right]
    best = np.full(600, CLASSES.index("PDAM"))
    lucky = np.full(5, 0.56)
    return (
        np.concatenate([best, np.full(5, CLASSES.index("DLHK"))]),
        np.concatenate([confidence, lucky]),
        [*truth, *["DLHK"] * 5],
    )


def test_a_category_with_few_predictions_follows_the_pooled_curve() -> None:
    best, confidence, truth = _calibration()
    alone = choose_thresholds(CLASSES, best, confidence, truth, prior=0.0)
    shrunk = choose_thresholds(CLASSES, best, confidence, truth, prior=100.0)
    # five right answers are no evidence of 0.97 precision at 0.56
    assert alone["DLHK"] == round(max(0.56, MIN_THRESHOLD), 4)
    assert shrunk["DLHK"] > 0.9
    # the category with many predictions keeps (nearly) its own threshold
    assert abs(shrunk["PDAM"] - alone["PDAM"]) < 0.02
    assert alone["PDAM"] > 0.9


def test_not_complaint_is_never_shrunk_towards_the_complaint_categories() -> None:
    best, confidence, truth = _calibration()
    best[-5:] = CLASSES.index(NOT_COMPLAINT)
    truth[-5:] = [NOT_COMPLAINT] * 5
    shrunk = choose_thresholds(CLASSES, best, confidence, truth, prior=100.0)
    assert (
        shrunk[NOT_COMPLAINT]
        == choose_thresholds(CLASSES, best, confidence, truth, prior=0.0)[NOT_COMPLAINT]
    )


def test_second_opinion_predicts_as_complement_naive_bayes() -> None:
    rng = np.random.default_rng(1)
    x = sparse.random(60, 40, density=0.2, format="csr", random_state=2, dtype=np.float64)
    labels = [CLASSES[i] for i in rng.integers(0, 2, 60)]  # PDAM never seen
    second = fit_second(x, labels, CLASSES)
    reference = ComplementNB(alpha=0.3).fit(x, labels)
    picked = second.scores(Csr.of(x)).argmax(axis=1)
    assert [CLASSES[k] for k in picked] == list(reference.predict(x))
    assert CLASSES.index("PDAM") not in picked
