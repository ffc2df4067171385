"""Evaluation, learning from corrections, and the rule that keeps a worse model inactive."""

import shutil
from pathlib import Path

import pytest

from classifier import retrain as retrain_module
from classifier.corpus import assign_split, load_corpus
from classifier.evaluate import evaluate, write_plots
from classifier.model import load_active
from classifier.persist import MODEL_FILE, active_id
from classifier.retrain import correction_examples, retrain


def test_evaluate_reports_figures_and_writes_png_plots(model_dir: Path, tmp_path: Path) -> None:
    ev = evaluate(load_active(model_dir), "test")
    assert ev.figures["n"] == sum(1 for e in load_corpus() if e.split == "test")
    assert ev.confusion.sum() == ev.figures["n"]
    assert ev.curve[-1][0] == 1.0
    assert 0 < ev.chosen[0] <= 1 and 0 < ev.chosen[1] <= 1
    for path in write_plots(ev, tmp_path):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_correction_examples_keep_the_latest_decision_per_mention() -> None:
    examples = correction_examples(
        [(1, "air mati", "PDAM"), (2, "x", "OTHER"), (1, "air mati", "DLHK")]
    )
    # A fixed slice of corrections (by a hash of the text) is held out to judge models.
    assert sorted((e.text, e.label, e.split, e.source) for e in examples) == [
        ("air mati", "DLHK", assign_split("air mati"), "corrections"),
        ("x", "OTHER", assign_split("x"), "corrections"),
    ]


def test_worse_model_is_kept_inactive_unless_forced(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "models"
    shutil.copytree(model_dir, folder)
    before = active_id(folder)
    # A third of the corpus trains the new models (twice) in a third of the time; the
    # noise below makes them worse than the active one whatever the size.
    third = [e for i, e in enumerate(load_corpus()) if i % 3 == 0]
    monkeypatch.setattr(retrain_module, "load_corpus", lambda: third)
    # Water and street-light texts "corrected" into each other ruin those two categories.
    wrong = {"PDAM": "LPJU", "LPJU": "PDAM"}
    noise = correction_examples(
        [(None, e.text, wrong[e.label]) for e in third if e.split == "train" and e.label in wrong]
        * 3
    )
    result, decision = retrain(folder, extra=noise)
    assert not decision.activated
    assert "more than 0.01 below the active model" in decision.reason
    assert active_id(folder) == before
    assert (folder / result.model_id / MODEL_FILE).exists()  # kept for inspection
    forced_result, forced = retrain(folder, extra=noise, force=True)
    assert forced.activated and active_id(folder) == forced_result.model_id


def test_good_corrections_activate_the_new_model(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    shutil.copytree(model_dir, folder)
    extra = correction_examples([(7, "air ledeng keruh kecoklatan sejak kemarin", "PDAM")])
    result, decision = retrain(folder, extra=extra)
    assert decision.activated, decision.reason
    assert active_id(folder) == result.model_id
    assert result.meta["examples"]["train"] == 1 + sum(
        1 for e in load_corpus() if e.split == "train"
    )
