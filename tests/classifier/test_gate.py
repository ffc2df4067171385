"""The activation gate judges each source: no source may drop, real text must not get worse."""

import shutil
from pathlib import Path

from classifier.corpus import Example, assign_split, load_corpus
from classifier.persist import active_id
from classifier.retrain import MAX_DROP, SourceFigures, held_out_by_source, judge, retrain


def row(source: str, new: float, old: float, n: int = 100) -> SourceFigures:
    return SourceFigures(source, n, new, old, new_precision=0.9, new_coverage=0.8)


def test_gate_refuses_a_drop_on_any_source() -> None:
    ok, reason = judge([row("corpus", 0.90, 0.90), row("imported", 0.70, 0.80)])
    assert not ok
    assert "imported (n=100) is more than 0.01 below the active model's 0.800" in reason


def test_gate_accepts_better_real_text_despite_a_small_dip_on_written_text() -> None:
    ok, reason = judge([row("corpus", 0.90 - MAX_DROP / 2, 0.90), row("imported", 0.85, 0.78)])
    assert ok, reason
    assert "imported 0.850 vs 0.780" in reason


def test_gate_refuses_worse_real_text_even_within_the_margin() -> None:
    ok, reason = judge([row("corpus", 0.95, 0.90), row("corrections", 0.795, 0.80)])
    assert not ok
    assert "macro-F1 on real text (corrections) 0.795 is below the active model's 0.800" in reason


def test_small_sources_are_shown_but_do_not_decide() -> None:
    ok, _ = judge([row("corpus", 0.9, 0.9), row("imported", 0.2, 0.9, n=5)])
    assert ok


def test_held_out_slices_per_source() -> None:
    examples = [
        Example("a", "PDAM", "test"),
        Example("b", "PDAM", "train"),
        Example("c", "LPJU", "test", "imported", "imported"),
    ]
    assert {k: [e.text for e in v] for k, v in held_out_by_source(examples).items()} == {
        "corpus": ["a"],
        "imported": ["c"],
    }


def test_retrain_with_imported_history_prints_each_source(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    shutil.copytree(model_dir, folder)
    # The city's history: every corpus text relabelled as a category, as if imported.
    texts = [e for e in load_corpus() if e.register == "formal" or e.register == "chat"][:200]
    imported = [
        Example(
            e.text + " (arsip)", e.label, assign_split(e.text + " (arsip)"), "imported", "imported"
        )
        for e in texts
    ]
    result, decision = retrain(folder, extra=imported)
    sources = {r.source: r for r in decision.sources}
    assert set(sources) == {"corpus", "imported"}
    assert sources["imported"].n == sum(1 for e in imported if e.split == "test")
    assert sources["corpus"].active_f1 is not None
    assert decision.activated == (active_id(folder) == result.model_id)
