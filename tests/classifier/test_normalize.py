"""The deciding part of a text: what classification reads of a very long text (issue 19)."""

from pathlib import Path

import pytest

import classifier.model
from classifier.model import load_active
from classifier.normalize import DECIDING_CHARS, deciding_part, normalize

COMPLAINT = "lampu jalan di jl. gatot subroto barat mati sejak tiga hari, gelap sekali. "
#: 5 MB: a complaint followed by a pasted document
HUGE = COMPLAINT + ("dokumen terlampir tanpa isi pengaduan " * 140_000)[:5_000_000]


def test_a_short_text_is_its_own_deciding_part() -> None:
    text = "x" * DECIDING_CHARS
    assert deciding_part(text) is text


def test_a_long_text_is_cut_at_a_space_within_the_limit() -> None:
    part = deciding_part(HUGE)
    assert len(part) <= DECIDING_CHARS and len(part) > DECIDING_CHARS - 100
    assert HUGE.startswith(part) and HUGE[len(part)] == " "
    assert deciding_part("y" * (DECIDING_CHARS + 5)) == "y" * DECIDING_CHARS  # no space


def test_the_predictor_reads_only_the_deciding_part(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    def spy(text: str) -> str:
        seen.append(len(text))
        return normalize(text)

    monkeypatch.setattr(classifier.model, "normalize", spy)
    predictor = load_active(model_dir)
    whole, start = predictor.predict([HUGE, deciding_part(HUGE)])
    assert max(seen) <= DECIDING_CHARS
    assert whole == start and whole.category == "LPJU"
