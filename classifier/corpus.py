"""The labelled corpus: ``data/corpus/*.jsonl``, one example a line.

Each line holds ``text``, ``label`` (a category code) and ``split`` (train, dev or
test). The split is fixed in the file; a new example without one gets its split from
a hash of its text (:func:`assign_split`), so adding examples never moves old ones.
The test split is only ever used to report, never to choose.
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


@dataclass(frozen=True)
class Example:
    """One labelled text."""

    text: str
    label: str
    split: str


def corpus_dir() -> Path:
    """The bundled corpus folder."""
    return Path(str(files("classifier.data").joinpath("corpus")))


def assign_split(text: str) -> str:
    """The split a text without one belongs to: 70% train, 15% dev, 15% test."""
    bucket = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


def load_corpus(paths: Iterable[Path] | None = None) -> list[Example]:
    """Every example of the corpus files, validated; a bad line raises CorpusError."""
    paths = sorted(corpus_dir().glob("*.jsonl")) if paths is None else list(paths)
    examples: list[Example] = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if line.strip():
                    examples.append(_parse(path, line_no, line))
    if not examples:
        raise CorpusError("the corpus is empty")
    return examples


def _parse(path: Path, line_no: int, line: str) -> Example:
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
    return Example(text=text, label=label, split=split)


def corpus_hash(examples: Iterable[Example]) -> str:
    """A fingerprint of the training data, recorded with each model."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(f"{ex.split}\t{ex.label}\t{ex.text}\n".encode())
    return digest.hexdigest()
