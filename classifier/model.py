"""The active model behind one call: ``predict(texts) -> list[Prediction]``.

A prediction is *abstained* (it goes to triage) when its calibrated confidence is
below its category's threshold, NOT_COMPLAINT included: a mention is kept out of the
inboxes only when the model is sure it is not a complaint. The reason for abstaining
is part of the prediction, so the triage queue can show it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifier.exceptions import ModelMissing, ModelOutdated
from classifier.normalize import deciding_part, normalize
from classifier.persist import active_id, load_model
from classifier.pipeline import INQUIRY, KEEP, LOW, MODEL_FORMAT, UNFAMILIAR, Assessment, Model
from models.vocab import NOT_COMPLAINT

TOP_TERMS = 3
#: reasons for abstaining, as shown to triage staff
UNFAMILIAR_TEXT = "teks tidak mirip data latih"
LOW_CONFIDENCE = "keyakinan di bawah ambang kategori"
UNSURE_NOT_COMPLAINT = "belum yakin bukan pengaduan"
SERVICE_INQUIRY = "pertanyaan atau permintaan tentang layanan kota"
REASONS = {UNFAMILIAR: UNFAMILIAR_TEXT, INQUIRY: SERVICE_INQUIRY}


@dataclass(frozen=True)
class Prediction:
    """A category with its calibrated confidence, and whether it falls short of its threshold."""

    category: str
    confidence: float
    abstained: bool
    model_id: str
    terms: list[str] = field(default_factory=list)
    #: why the prediction abstained (None when it did not)
    reason: str | None = None


class Predictor:
    """A loaded model with its thresholds."""

    def __init__(
        self,
        model: Model,
        meta: dict[str, Any],
        *,
        threshold_overrides: Mapping[str, float] | None = None,
        default_threshold: float = 0.6,
    ) -> None:
        self.model = model
        self.meta = meta
        self.model_id: str = meta["id"]
        self.classes = model.classes
        self.thresholds = {c: default_threshold for c in self.classes}
        self.thresholds.update(meta.get("thresholds", {}))
        self.thresholds.update(threshold_overrides or {})
        self._word_terms = model.features.word.terms

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify raw mention texts."""
        if not texts:
            return []
        judged = self.assess(texts)
        decisions = self.model.decide(judged, self.thresholds)
        word_part = judged.x_word
        out = []
        for row, k in enumerate(judged.best):
            category = self.classes[k]
            code = int(decisions[row])
            reason = None
            if code == LOW:
                reason = UNSURE_NOT_COMPLAINT if category == NOT_COMPLAINT else LOW_CONFIDENCE
            elif code != KEEP:
                reason = REASONS[code]
            out.append(
                Prediction(
                    category=category,
                    confidence=round(float(judged.confidence[row]), 4),
                    abstained=code != KEEP,
                    model_id=self.model_id,
                    terms=self._terms(word_part, row, k),
                    reason=reason,
                )
            )
        return out

    def assess(self, texts: Sequence[str]) -> Assessment:
        """The model's assessment of raw texts (for evaluation and benchmarks)."""
        return self.model.assess([normalize(deciding_part(t)) for t in texts])

    def abstentions(self, judged: Assessment) -> np.ndarray:
        """Which predictions go to triage, with this predictor's thresholds."""
        return np.asarray(self.model.decide(judged, self.thresholds) != KEEP)

    def _terms(self, word_part: Any, row: int, k: int) -> list[str]:
        start, end = word_part.indptr[row], word_part.indptr[row + 1]
        idx = word_part.indices[start:end]
        weights = word_part.data[start:end] * self.model.linear.weights[idx, k]
        order = np.argsort(-weights)
        return [str(self._word_terms[idx[i]]) for i in order[:TOP_TERMS] if weights[i] > 0]


def load_active(
    model_dir: Path,
    *,
    threshold_overrides: Mapping[str, float] | None = None,
    default_threshold: float = 0.6,
) -> Predictor:
    """The active model in *model_dir*; ModelMissing if none was trained."""
    model_id = active_id(model_dir)
    if model_id is None:
        raise ModelMissing(f"no active model in {model_dir}: run `aduan train`")
    return load_by_id(
        model_dir,
        model_id,
        threshold_overrides=threshold_overrides,
        default_threshold=default_threshold,
    )


def load_by_id(
    model_dir: Path,
    model_id: str,
    *,
    threshold_overrides: Mapping[str, float] | None = None,
    default_threshold: float = 0.6,
) -> Predictor:
    """The model *model_id* of *model_dir*, active or not."""
    arrays, meta = load_model(model_dir / model_id)
    if meta.get("format") != MODEL_FORMAT or arrays is None:
        raise ModelOutdated(
            f"model {model_id} in {model_dir} was saved by an older aduan; "
            "train a new one with `aduan train --force`"
        )
    return Predictor(
        Model.from_arrays(arrays),
        meta,
        threshold_overrides=threshold_overrides,
        default_threshold=default_threshold,
    )
