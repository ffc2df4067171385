"""Saving and loading models as plain numpy arrays, never with pickle.

A model file is a compressed ``.npz`` of numeric and string arrays, read with
``allow_pickle=False``: an array of Python objects (the only way such a file could
carry code) is refused, and reading it once is all loading takes. Models saved by
older versions (skops files) are reported as outdated.
"""

import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any, cast

import numpy as np

from classifier.exceptions import ModelMissing, UntrustedModel

MODEL_FILE = "model.npz"
#: the file older versions wrote; found alone, the model must be retrained
OLD_MODEL_FILE = "model.skops"
META_FILE = "meta.json"
ACTIVE_FILE = "ACTIVE"


def save_model(
    model_dir: Path, model_id: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]
) -> Path:
    """Write *arrays* and their metadata under ``model_dir/model_id``; return that folder."""
    folder = model_dir / model_id
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{MODEL_FILE}.tmp"
    with tmp.open("wb") as handle:
        # numpy's stubs do not type the arrays passed by keyword
        cast(Any, np.savez_compressed)(handle, **arrays)
    os.replace(tmp, folder / MODEL_FILE)
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return folder


def load_model(folder: Path) -> tuple[dict[str, np.ndarray] | None, dict[str, Any]]:
    """The arrays and metadata in *folder*; arrays None for a model in an older layout."""
    path = folder / MODEL_FILE
    meta_path = folder / META_FILE
    if not path.is_file():
        if (folder / OLD_MODEL_FILE).is_file() and meta_path.is_file():
            return None, json.loads(meta_path.read_text(encoding="utf-8"))
        raise ModelMissing(f"no model file at {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ValueError as exc:
        raise UntrustedModel(
            f"{path}: refusing to load, it holds Python objects, not plain arrays ({exc})"
        ) from None
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        # empty (EOFError), truncated or corrupted (zlib, BadZipFile, Bad CRC-32) files
        raise UntrustedModel(
            f"{path}: damaged or not a model file ({type(exc).__name__}: {exc}); "
            "retrain with `aduan train --force`"
        ) from None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UntrustedModel(
            f"{meta_path}: damaged or unreadable model metadata ({type(exc).__name__}: {exc}); "
            "retrain with `aduan train --force`"
        ) from None
    if not isinstance(meta, dict):
        raise UntrustedModel(f"{meta_path}: model metadata is not a JSON object")
    return arrays, meta


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
