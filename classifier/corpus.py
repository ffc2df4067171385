"""The labelled corpus: ``data/corpus/<register>/<LABEL>.jsonl``, one example a line.

Each line holds ``text``, ``label`` (a category code) and optionally ``split`` (train,
dev or test) and ``register``. The folder names the register (the style the texts are
written in: tweets, formal letters, app reviews, ...); a line's own ``register`` must
agree with it. A line without a split gets one from a hash of its text
(:func:`assign_split`), so adding examples never moves old ones. The test split is
only ever used to report, never to choose.

Every example also names its **source**: ``corpus`` for the bundled files, ``imported``
for the city's own history brought in with ``aduan corpus import``, ``corrections`` for
human triage decisions. Training, calibration and the activation gate look at each
source (and register) separately.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from classifier.exceptions import CorpusError
from models.vocab import CATEGORIES

SPLITS = ("train", "dev", "test")
#: register of a corpus file that lies directly in the corpus folder
DEFAULT_REGISTER = "tweet"
BUNDLED = "corpus"


@dataclass(frozen=True)
class Example:
    """One labelled text."""

    text: str
    label: str
    split: str
    register: str = DEFAULT_REGISTER
    source: str = BUNDLED


def corpus_dir() -> Path:
    """The bundled corpus folder."""
    return Path(str(files("classifier.data").joinpath("corpus")))


def assign_split(text: str) -> str:
    """The split a text without one belongs to: 70% train, 15% dev, 15% test."""
    bucket = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


def corpus_files(folder: Path | None = None) -> list[Path]:
    """The corpus files under *folder* (default: the bundled corpus), in a fixed order."""
    root = corpus_dir() if folder is None else folder
    return sorted(root.glob("*.jsonl")) + sorted(root.glob("*/*.jsonl"))


def load_corpus(paths: Iterable[Path] | None = None) -> list[Example]:
    """Every example of the corpus files, validated; a bad line raises CorpusError."""
    paths = corpus_files() if paths is None else list(paths)
    root = corpus_dir()
    examples: list[Example] = []
    for path in paths:
        register = path.parent.name if path.parent != root else DEFAULT_REGISTER
        if register == "corpus":
            register = DEFAULT_REGISTER
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if line.strip():
                    examples.append(_parse(path, line_no, line, register))
    if not examples:
        raise CorpusError("the corpus is empty")
    return examples


def _parse(path: Path, line_no: int, line: str, register: str) -> Example:
    where = f"{path}, line {line_no}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise CorpusError(f"{where}: not valid JSON ({err.msg})") from None
    if not isinstance(row, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    text, label = row.get("text"), row.get("label")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{where}: text: must be a non-empty string")
    if label not in CATEGORIES:
        raise CorpusError(f"{where}: label: unknown category {label!r}")
    split = row.get("split") or assign_split(text)
    if split not in SPLITS:
        raise CorpusError(f"{where}: split: must be one of {', '.join(SPLITS)}, got {split!r}")
    own = row.get("register", register)
    if own != register:
        raise CorpusError(f"{where}: register: {own!r} in a file of the {register!r} folder")
    return Example(text=text, label=label, split=split, register=register)


def corpus_hash(examples: Iterable[Example]) -> str:
    """A fingerprint of the training data, recorded with each model."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(f"{ex.source}\t{ex.register}\t{ex.split}\t{ex.label}\t{ex.text}\n".encode())
    return digest.hexdigest()
