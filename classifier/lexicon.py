"""The topic lexicon: a few telling words per category, written for aduan.

``data/lexicon.tsv`` was written from shared/TAXONOMY.md and the corpus guide's
sub-topics (not from anyone's posts). It checks new corpus files against the guide
(:mod:`classifier.corpus_check`) and gives the model one feature per category, so a
text about a sub-topic the corpus rarely names still points at its agency.
"""

from functools import cache
from importlib.resources import files

from classifier.normalize import normalize


@cache
def lexicon() -> dict[str, frozenset[str]]:
    """Topic terms per category, normalised (one word or two, space-separated)."""
    return _read("lexicon.tsv")


@cache
def cues() -> dict[str, frozenset[str]]:
    """Stance cues (``~THANKS``, ``~ASK``, ``~NEWS``, ``~PROBLEM``) and their terms.

    ``data/cues.tsv``, written for aduan: marks of thanks, of a question asking only for
    information, of an announcement or chatter, and of a problem, whatever the topic.
    Each is a feature of the model (:mod:`classifier.features`), so the complaint or
    not-a-complaint decision does not rest on words learned per agency only.
    """
    return _read("cues.tsv")


def cues_in(terms: set[str]) -> set[str]:
    """The cues whose terms are among *terms* (words and bigrams)."""
    return {c for c, lex in cues().items() if terms & lex}


def _read(name: str) -> dict[str, frozenset[str]]:
    text = files("classifier.data").joinpath(name).read_text(encoding="utf-8")
    out: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category, _, term = line.partition("\t")
        tokens = [t for t in normalize(term.strip()).split() if t.isalnum()]
        out.setdefault(category.strip(), set()).add(" ".join(tokens))
    return {c: frozenset(t) for c, t in sorted(out.items())}


def topics_in(terms: set[str]) -> set[str]:
    """The categories whose lexicon terms are among *terms* (words and bigrams)."""
    return {c for c, lex in lexicon().items() if terms & lex}
