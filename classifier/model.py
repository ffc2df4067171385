"""The active model behind one call: ``predict(texts) -> list[Prediction]``."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classifier.exceptions import ModelMissing, ModelOutdated
from classifier.normalize import normalize
from classifier.persist import active_id, load_model
from classifier.pipeline import MODEL_FORMAT, TwoStage

TOP_TERMS = 3


@dataclass(frozen=True)
class Prediction:
    """A category with its calibrated confidence, and whether it falls short of its threshold."""

    category: str
    confidence: float
    abstained: bool
    model_id: str
    terms: list[str] = field(default_factory=list)


class Predictor:
    """A loaded model with its thresholds."""

    def __init__(
        self,
        model: TwoStage,
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
        word = model.features.transformer_list[0][1]
        self._word_names = word.get_feature_names_out()
        self._n_word = len(self._word_names)
        # Each calibrated model averages several SVMs; their mean weights explain it.
        category = _mean_coef(model.category)[:, : self._n_word]
        gate = _mean_coef(model.gate)[:, : self._n_word]
        self._coef = np.vstack([category, gate])

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify raw mention texts."""
        if not texts:
            return []
        features = self.model.features.transform([normalize(t) for t in texts])
        proba = self.model.proba(features)
        best = proba.argmax(axis=1)
        word_part = features[:, : self._n_word].tocsr()
        out = []
        for row, k in enumerate(best):
            category = self.classes[k]
            confidence = float(proba[row, k])
            out.append(
                Prediction(
                    category=category,
                    confidence=round(confidence, 4),
                    abstained=confidence < self.thresholds[category],
                    model_id=self.model_id,
                    terms=self._terms(word_part, row, k),
                )
            )
        return out

    def _terms(self, word_part: Any, row: int, k: int) -> list[str]:
        start, end = word_part.indptr[row], word_part.indptr[row + 1]
        idx = word_part.indices[start:end]
        weights = word_part.data[start:end] * self._coef[k, idx]
        order = np.argsort(-weights)
        return [str(self._word_names[idx[i]]) for i in order[:TOP_TERMS] if weights[i] > 0]


def _mean_coef(calibrated: Any) -> np.ndarray:
    return np.asarray(
        np.mean([c.estimator.coef_ for c in calibrated.calibrated_classifiers_], axis=0)
    )


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
    model, meta = load_model(model_dir / model_id)
    if meta.get("format") != MODEL_FORMAT or not isinstance(model, dict):
        raise ModelOutdated(
            f"model {model_id} in {model_dir} was saved by an older aduan; "
            "train a new one with `aduan train --force`"
        )
    return Predictor(
        TwoStage.from_dict(model),
        meta,
        threshold_overrides=threshold_overrides,
        default_threshold=default_threshold,
    )
