"""Saving and loading models with skops, never with pickle.

Loading a pickle runs whatever code it names, so a model file is loaded only if
every type it contains is on :data:`TRUSTED_TYPES`; anything else is refused.
"""

import json
import os
import zipfile
from pathlib import Path
from typing import Any

from skops import io as sio

from classifier.exceptions import ModelMissing, UntrustedModel

MODEL_FILE = "model.skops"
META_FILE = "meta.json"
ACTIVE_FILE = "ACTIVE"

#: Types a model file may contain beyond those skops trusts by default
#: (scikit-learn's public estimators, numpy and builtins).
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    }
)


def save_model(model_dir: Path, model_id: str, model: Any, meta: dict[str, Any]) -> Path:
    """Write *model* and its metadata under ``model_dir/model_id``; return that folder."""
    folder = model_dir / model_id
    folder.mkdir(parents=True, exist_ok=True)
    # Deflate: the SVM weights compress well (about 32 MB down to 14 MB).
    sio.dump(model, folder / MODEL_FILE, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return folder


def load_model(folder: Path) -> tuple[Any, dict[str, Any]]:
    """Load the model in *folder*, refusing any type not on the trusted list."""
    path = folder / MODEL_FILE
    if not path.is_file():
        raise ModelMissing(f"no model file at {path}")
    found = set(sio.get_untrusted_types(file=path))
    untrusted = found - TRUSTED_TYPES
    if untrusted:
        raise UntrustedModel(
            f"{path}: refusing to load, it contains types not on the trusted list: "
            + ", ".join(sorted(untrusted))
        )
    model = sio.load(path, trusted=sorted(found))
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    return model, meta


def active_id(model_dir: Path) -> str | None:
    """The id of the active model, or None if no model was activated."""
    try:
        return (model_dir / ACTIVE_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def activate(model_dir: Path, model_id: str) -> None:
    """Make *model_id* the active model, atomically."""
    tmp = model_dir / f".{ACTIVE_FILE}.tmp"
    tmp.write_text(model_id + "\n", encoding="utf-8")
    os.replace(tmp, model_dir / ACTIVE_FILE)
