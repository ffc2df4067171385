"""Checking new corpus files before they join the bundled corpus.

A register folder (``<register>/<LABEL>.jsonl``) is read line by line and every line
that cannot be used as it is gets a finding: not valid JSON, an unknown label, a
label that differs from its file's, a register that differs from its folder's, an
exact duplicate (after normalisation) of a line seen before (in the bundled corpus or
earlier in the folder), a near-duplicate (word n-gram cosine >= NEAR), and a text
that names another category's topic terms but none of its own label's (the topic
lexicon, ``data/lexicon.tsv``, written from the taxonomy and the corpus guide). The
first four and exact duplicates are dropped; near-duplicates and lexicon
disagreements are findings for a person to read. Openings shared by many of a
label's texts (template-like writing) are reported per file.
"""

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from classifier.corpus import Example, assign_split
from classifier.features import word_terms, words
from classifier.lexicon import topics_in
from classifier.normalize import normalize
from models.vocab import CATEGORIES, NOT_COMPLAINT

#: cosine similarity (word 1-2-grams, TF-IDF) from which two texts are near-duplicates
NEAR = 0.8
#: share of a label's texts that may open with the same three words
MAX_OPENING_SHARE = 0.15
DROP = ("invalid", "duplicate")


@dataclass(frozen=True)
class Finding:
    """Something wrong (or worth a look) in one line of a corpus file."""

    path: Path
    line: int
    kind: str
    detail: str
    text: str = ""


@dataclass
class Checked:
    """The usable examples of a folder and the findings."""

    examples: list[tuple[Path, int, Example]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def dropped(self) -> set[tuple[Path, int]]:
        """Lines that must not be used."""
        return {(f.path, f.line) for f in self.findings if f.kind in DROP}


def topics_of(normalised: str) -> set[str]:
    """The categories whose lexicon terms occur in a normalised text."""
    return topics_in(set(word_terms(normalised)))


def check_folder(folder: Path, known: Iterable[str] = ()) -> Checked:
    """Check every ``*.jsonl`` of a register folder; *known* texts count as seen."""
    register = folder.name
    checked = Checked()
    seen = {normalize(t) for t in known}
    for path in sorted(folder.glob("*.jsonl")):
        label = path.stem
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            finding, example = _check_line(path, line_no, line, label, register)
            if finding is not None:
                checked.findings.append(finding)
                continue
            assert example is not None
            key = normalize(example.text)
            if key in seen:
                checked.findings.append(
                    Finding(path, line_no, "duplicate", "same text seen before", example.text)
                )
                continue
            seen.add(key)
            checked.examples.append((path, line_no, example))
    checked.findings += _near_duplicates(checked.examples)
    checked.findings += _lexicon_disagreements(checked.examples)
    checked.findings += _openings(checked.examples)
    return checked


def _check_line(
    path: Path, line_no: int, line: str, label: str, register: str
) -> tuple[Finding | None, Example | None]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return Finding(path, line_no, "invalid", f"not valid JSON ({exc.msg})"), None
    if not isinstance(row, dict):
        return Finding(path, line_no, "invalid", "not a JSON object"), None
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        return Finding(path, line_no, "invalid", "text: must be a non-empty string"), None
    if row.get("label") not in CATEGORIES:
        return Finding(path, line_no, "invalid", f"unknown label {row.get('label')!r}", text), None
    if row["label"] != label:
        detail = f"label {row['label']} in the {label} file"
        return Finding(path, line_no, "invalid", detail, text), None
    if row.get("register", register) != register:
        detail = f"register {row.get('register')!r} in the {register} folder"
        return Finding(path, line_no, "invalid", detail, text), None
    return None, Example(
        text=text.strip(), label=label, split=assign_split(text.strip()), register=register
    )


def _near_duplicates(examples: list[tuple[Path, int, Example]]) -> list[Finding]:
    if len(examples) < 2:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [normalize(e.text) for _, _, e in examples]
    x = TfidfVectorizer(analyzer=word_terms).fit_transform(texts)
    sims = (x @ x.T).tocoo()
    out = []
    flagged = set()
    for i, j, s in zip(sims.row, sims.col, sims.data, strict=True):
        if i < j and s >= NEAR and j not in flagged:
            flagged.add(j)
            path, line, example = examples[j]
            other = examples[i]
            detail = f"cosine {s:.2f} with {other[0].name} line {other[1]}"
            out.append(Finding(path, line, "near_duplicate", detail, example.text))
    return out


def _lexicon_disagreements(examples: list[tuple[Path, int, Example]]) -> list[Finding]:
    out = []
    for path, line, e in examples:
        if e.label in (NOT_COMPLAINT, "OTHER"):
            continue
        topics = topics_of(normalize(e.text))
        if topics and e.label not in topics:
            detail = f"names {', '.join(sorted(topics))} terms, none of {e.label}'s"
            out.append(Finding(path, line, "lexicon", detail, e.text))
    return out


def _openings(examples: list[tuple[Path, int, Example]]) -> list[Finding]:
    by_file: dict[Path, list[tuple[int, str]]] = {}
    for path, line, e in examples:
        by_file.setdefault(path, []).append((line, " ".join(words(normalize(e.text))[:3])))
    out = []
    for path, rows in by_file.items():
        counts = Counter(opening for _, opening in rows)
        for opening, n in counts.items():
            if len(rows) >= 10 and n / len(rows) > MAX_OPENING_SHARE:
                first = next(line for line, o in rows if o == opening)
                detail = f"{n} of {len(rows)} texts open with {opening!r}"
                out.append(Finding(path, first, "template", detail))
    return out


def write_register(
    checked: Checked,
    dest: Path,
    *,
    drop: Iterable[tuple[str, int]] = (),
    relabel: dict[tuple[str, int], str] | None = None,
) -> dict[str, int]:
    """Write the usable examples to ``dest/<LABEL>.jsonl`` with their split; counts per label.

    *drop* and *relabel* name lines (file name, line number) a person decided on after
    reading the findings.
    """
    skip = set(drop) | {(p.name, n) for p, n in checked.dropped()}
    relabel = relabel or {}
    by_label: dict[str, list[str]] = {}
    for path, line, e in checked.examples:
        if (path.name, line) in skip:
            continue
        label = relabel.get((path.name, line), e.label)
        row = {"text": e.text, "label": label, "split": e.split}
        by_label.setdefault(label, []).append(json.dumps(row, ensure_ascii=False))
    dest.mkdir(parents=True, exist_ok=True)
    for label, rows in sorted(by_label.items()):
        (dest / f"{label}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {label: len(rows) for label, rows in sorted(by_label.items())}
