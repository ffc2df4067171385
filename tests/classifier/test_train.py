"""Choosing thresholds (shrinkage towards the pooled curve) and the second opinion."""

import numpy as np
from scipy import sparse
from sklearn.naive_bayes import ComplementNB

from classifier.calibrate import SECOND_FLOOR, SIGNALS, Calibrator, combine
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


def test_combined_score_adds_the_second_opinion_relative_to_its_best_class() -> None:
    rescaled = np.asarray([[1.0, 0.8, -2.0], [0.0, 0.5, 0.4]])
    # the second opinion prefers the runner-up of row 0 and never saw the last class
    second = np.asarray([[-9.0, -5.0, -np.inf], [-3.0, -2.0, -np.inf]])
    combined = combine(rescaled, second, 0.5)
    assert np.all(np.isfinite(combined))
    # row 0: 1.0 - 0.5 * 4 = -1.0 against 0.8 + 0: the second opinion turns the choice
    assert combined[0].argmax() == 1
    np.testing.assert_allclose(combined[1, :2], [0.0 - 0.5, 0.5])
    # the class it never saw is floored, not minus infinity
    assert combined[0, 2] == -2.0 + 0.5 * SECOND_FLOOR
    np.testing.assert_array_equal(combine(rescaled, second, 0.0), rescaled)


def test_the_calibrator_keeps_its_second_opinion_weight() -> None:
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(200, len(SIGNALS)))
    correct = matrix[:, 0] + rng.normal(size=200) > 0
    calibrator = Calibrator.fit(
        (np.ones(3), np.zeros(3)),
        matrix,
        correct,
        dev_coverage=rng.uniform(0.5, 1, 50),
        dev_neighbour=rng.uniform(0, 1, 50),
        train_log_tokens=rng.uniform(1, 4, 200),
        second_weight=1.5,
    )
    loaded = Calibrator.from_arrays(calibrator.to_arrays("c_"), "c_")
    assert loaded.second_weight == 1.5
    scores = rng.normal(size=(4, 3))
    second = rng.normal(size=(4, 3))
    np.testing.assert_allclose(loaded.combined(scores, second), combine(scores, second, 1.5))
