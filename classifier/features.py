"""Features of normalised text: word 1-2-grams and character 2-5-grams, TF-IDF weighted.
Then one column per category of the topic lexicon and one per stance cue (thanks, a
question for information, an announcement or chatter, a problem; ``data/cues.tsv``).

Fitting (vocabulary, document frequencies) is scikit-learn's ``TfidfVectorizer``;
the fitted state is kept as plain arrays (terms and idf weights) and texts are
turned into feature rows here with numpy and scipy only. That keeps scikit-learn
(and any unpickling) out of ``aduan classify`` and the router: a model is a file of
arrays, loaded without running code, and the command starts in well under a second.
The same analyzers produce the terms at fit and at prediction time, and
``tests/classifier`` checks the rows against scikit-learn's own ``transform``.

Character n-grams are taken inside each word (padded with a space, like
scikit-learn's ``char_wb``), so typos and run-together hashtags ("lampujalanmati")
still look like the words they contain; the n-grams of a word are looked up once
and cached, as the same words recur in mention after mention.
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.csr import Csr, hstack
from classifier.lexicon import cues, cues_in, lexicon, topics_in

if TYPE_CHECKING:
    from scipy import sparse

CHAR_RANGE = (2, 5)
#: weight of the topic-lexicon columns (0: no lexicon block)
LEXICON_SCALE = 0.3
#: weight of the stance-cue columns (:func:`classifier.lexicon.cues`), which sit in the
#: lexicon block after the categories' columns. Chosen on the calibration predictions
#: (each register predicted by a model that never saw it, and the dev split), 2026-12-04:
#: their accuracy 0.9125 without cues, 0.913 at 0.05, 0.915 at 0.1 and 0.15, 0.914 at
#: 0.2, 0.912 at 0.3, 0.909 at 1; held-out registers' coverage at 0.97 precision (the
#: calibrator and thresholds fitted without the register) 0.796 without, 0.805 at 0.1,
#: 0.795 at 0.3, 0.781 at 1.
CUE_SCALE = 0.1
#: character n-grams seen in fewer training texts than this are dropped
CHAR_MIN_DF = 2
_CACHE_LIMIT = 200_000


def topic_columns() -> list[str]:
    """Names of the lexicon block's columns: the categories, then the stance cues."""
    return sorted(lexicon()) + sorted(cues())


def is_cue(name: str) -> bool:
    """Whether a lexicon-block column is a stance cue (not a category's topic)."""
    return name.startswith("~")


def named_in(terms: set[str]) -> set[str]:
    """The lexicon-block columns (topics and cues) whose terms are among *terms*."""
    return topics_in(terms) | cues_in(terms)


def words(normalised: str) -> list[str]:
    """The word tokens of a normalised text (punctuation marks dropped)."""
    return [t for t in normalised.split() if t.isalnum()]


def terms_of(tokens: list[str]) -> list[str]:
    """Word terms of tokens: unigrams and bigrams."""
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def word_terms(normalised: str) -> list[str]:
    """Unigrams and bigrams of the word tokens of a normalised text."""
    return terms_of(words(normalised))


_CHAR_CACHE: dict[str, tuple[str, ...]] = {}


def _grams_of(token: str) -> tuple[str, ...]:
    grams = _CHAR_CACHE.get(token)
    if grams is None:
        padded = f" {token} "
        low, high = CHAR_RANGE
        grams = tuple(
            padded[i : i + n]
            for n in range(low, high + 1)
            for i in range(len(padded) - n + 1)
            # a short word yields its whole padded form once, not at every length
            if n <= len(padded)
        )
        if len(_CHAR_CACHE) > _CACHE_LIMIT:
            _CHAR_CACHE.clear()
        _CHAR_CACHE[token] = grams
    return grams


def char_terms(normalised: str) -> list[str]:
    """Character n-grams of each word token, padded with a space on either side."""
    out: list[str] = []
    for token in words(normalised):
        out.extend(_grams_of(token))
    return out


@dataclass
class Block:
    """One fitted TF-IDF block: its terms (column order) and idf weights."""

    terms: list[str]
    idf: np.ndarray
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.terms)}

    @property
    def size(self) -> int:
        """Number of columns."""
        return len(self.terms)


@dataclass(frozen=True)
class Rows:
    """Feature blocks of a batch of texts, and what the calibrator reads off the words."""

    #: word, char and (when the lexicon is used) topic blocks, each rows x columns
    blocks: list[Csr]
    #: share of each text's words that the training vocabulary knows (1.0 if none)
    coverage: np.ndarray
    #: number of words of each text
    n_tokens: np.ndarray
    #: whether each text names a topic of the lexicon (a stance cue does not count)
    topical: np.ndarray


@dataclass
class Featurizer:
    """Word and character TF-IDF blocks, fitted once, applied with numpy."""

    word: Block
    char: Block
    #: categories and cues of the lexicon columns (empty: no lexicon block)
    topics: list[str] = field(default_factory=list)
    topic_scale: float = 0.0
    cue_scale: float = 0.0
    _char_ids: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def fit(cls, texts: Sequence[str]) -> tuple["Featurizer", "sparse.csr_matrix"]:
        """Fit both blocks on normalised *texts*; also return their feature rows."""
        analysed = Analysed.of(texts)
        docs = np.arange(len(texts))
        fitted = Fitted.fit(analysed, docs)
        return fitted.featurizer, hstack(fitted.rows(analysed, docs).blocks).to_scipy()

    @property
    def n_features(self) -> int:
        """Total number of columns (word block, char block, topic columns)."""
        return self.word.size + self.char.size + len(self.topics)

    def transform(self, texts: Sequence[str]) -> "sparse.csr_matrix":
        """Feature rows of normalised *texts*: each block L2-normalised, side by side."""
        return hstack(self.rows(texts).blocks).to_scipy()

    def rows(self, texts: Sequence[str]) -> Rows:
        """The blocks of :meth:`transform` (word, char, topic), with coverage and length."""
        word_rows, char_rows, topic_rows = [], [], []
        get = self.word.index.get
        topic_index = {c: i for i, c in enumerate(self.topics)}
        coverage = np.ones(len(texts))
        n_tokens = np.zeros(len(texts))
        topical = np.zeros(len(texts), dtype=bool)
        for row, text in enumerate(texts):
            tokens = words(text)
            terms = terms_of(tokens)
            found = [get(t) for t in terms]
            ids = [i for i in found if i is not None]
            if tokens:
                n_tokens[row] = len(tokens)
                coverage[row] = sum(1 for i in found[: len(tokens)] if i is not None) / len(tokens)
            word_rows.append(np.asarray(ids, dtype=np.int64))
            char_rows.append(self._char_row(tokens))
            if topic_index:
                term_set = set(terms)
                topics = [topic_index[c] for c in topics_in(term_set) if c in topic_index]
                topical[row] = bool(topics)
                cued = [topic_index[c] for c in cues_in(term_set) if c in topic_index]
                topic_rows.append(np.asarray(sorted(topics + cued), dtype=np.int64))
        out = [_tfidf(word_rows, self.word.idf), _tfidf(char_rows, self.char.idf)]
        if topic_index:
            out.append(_binary(topic_rows, self._column_values()))
        return Rows(out, coverage, n_tokens, topical)

    def _column_values(self) -> np.ndarray:
        """The value of each lexicon column when a text names it."""
        return np.asarray(
            [self.cue_scale if is_cue(c) else self.topic_scale for c in self.topics], np.float32
        )

    def _char_row(self, tokens: Iterable[str]) -> np.ndarray:
        parts = []
        cache = self._char_ids
        for token in tokens:
            ids = cache.get(token)
            if ids is None:
                index = self.char.index
                ids = np.asarray([index[g] for g in _grams_of(token) if g in index], dtype=np.int64)
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                cache[token] = ids
            parts.append(ids)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The fitted state as arrays (terms joined by newlines, as UTF-8 bytes)."""
        out: dict[str, Any] = {}
        for name, block in (("word", self.word), ("char", self.char)):
            out[f"{prefix}{name}_terms"] = np.frombuffer(
                "\n".join(block.terms).encode("utf-8"), dtype=np.uint8
            )
            out[f"{prefix}{name}_idf"] = block.idf
        out[f"{prefix}topics"] = np.asarray(self.topics, dtype=str)
        out[f"{prefix}topic_scale"] = np.asarray([self.topic_scale, self.cue_scale])
        return out

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> "Featurizer":
        """The featurizer stored by :meth:`to_arrays`."""
        blocks = []
        for name in ("word", "char"):
            raw = bytes(np.asarray(arrays[f"{prefix}{name}_terms"], dtype=np.uint8))
            terms = raw.decode("utf-8").split("\n") if raw else []
            blocks.append(Block(terms, np.asarray(arrays[f"{prefix}{name}_idf"], dtype=np.float64)))
        featurizer = cls(blocks[0], blocks[1])
        featurizer.topics = [str(c) for c in arrays[f"{prefix}topics"]]
        featurizer.topic_scale, featurizer.cue_scale = (
            float(v) for v in arrays[f"{prefix}topic_scale"][:2]
        )
        return featurizer


def _binary(rows: list[np.ndarray], values: np.ndarray) -> Csr:
    """Rows with each listed (distinct, sorted) column's value from *values*."""
    n, width = len(rows), len(values)
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=n)
    cols = np.concatenate(rows).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    data = values[cols].astype(np.float32)
    return Csr(data, cols, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), (n, width))


def _tfidf(rows: list[np.ndarray], idf: np.ndarray) -> Csr:
    """Sublinear term counts times idf, each row scaled to unit length."""
    n, width = len(rows), len(idf)
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=n)
    doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
    cols = np.concatenate(rows) if n else np.zeros(0, dtype=np.int64)
    # one sort of (row, column) keys counts the terms and leaves the rows in CSR order
    keys, counts = _unique_counts(doc * width + cols)
    row_of, indices = np.divmod(keys, width)
    data = (1.0 + np.log(counts)) * idf[indices]
    norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n))
    norms[norms == 0] = 1.0
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=n))]).astype(np.int64)
    return Csr((data / norms[row_of]).astype(np.float32), indices, indptr, (n, width))


@dataclass
class Analysed:
    """Texts analysed once into corpus-wide term ids, to fit many featurizers quickly.

    Training fits one featurizer per register group (cross-fitting); each is a subset
    of the same texts, so the terms of every text are found once here.
    """

    word_terms: list[str]
    char_terms: list[str]
    #: per text: ids of its word terms (its unigrams first, then its bigrams)
    words: list[np.ndarray]
    #: per text: number of word tokens (the unigram prefix of ``words``)
    n_tokens: np.ndarray
    chars: list[np.ndarray]
    #: per text: indices into :func:`topic_columns` of the topics and cues it names
    topics: list[np.ndarray]

    @classmethod
    def of(cls, texts: Sequence[str]) -> "Analysed":
        """Analyse normalised *texts*."""
        word_index: dict[str, int] = {}
        char_index: dict[str, int] = {}
        token_chars: dict[str, np.ndarray] = {}
        topic_names = topic_columns()
        out_words, out_chars, out_topics = [], [], []
        n_tokens = np.zeros(len(texts), dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = words(text)
            n_tokens[row] = len(tokens)
            terms = terms_of(tokens)
            out_words.append(
                np.asarray([word_index.setdefault(t, len(word_index)) for t in terms], np.int64)
            )
            parts = []
            for token in tokens:
                ids = token_chars.get(token)
                if ids is None:
                    ids = np.asarray(
                        [char_index.setdefault(g, len(char_index)) for g in _grams_of(token)],
                        np.int64,
                    )
                    token_chars[token] = ids
                parts.append(ids)
            out_chars.append(np.concatenate(parts) if parts else np.zeros(0, np.int64))
            found = named_in(set(terms))
            out_topics.append(
                np.asarray([i for i, c in enumerate(topic_names) if c in found], np.int64)
            )
        return cls(
            word_terms=list(word_index),
            char_terms=list(char_index),
            words=out_words,
            n_tokens=n_tokens,
            chars=out_chars,
            topics=out_topics,
        )


@dataclass
class Fitted:
    """A featurizer fitted on some analysed texts, with its map from corpus-wide term ids."""

    featurizer: Featurizer
    word_map: np.ndarray
    char_map: np.ndarray

    @classmethod
    def fit(cls, analysed: Analysed, docs: np.ndarray) -> "Fitted":
        """Vocabulary and idf (as scikit-learn's TfidfVectorizer would) of texts *docs*."""
        word, word_map = _fit_block(analysed.word_terms, [analysed.words[d] for d in docs], 1)
        char, char_map = _fit_block(
            analysed.char_terms, [analysed.chars[d] for d in docs], CHAR_MIN_DF
        )
        featurizer = Featurizer(word, char)
        if LEXICON_SCALE > 0:
            featurizer.topics = topic_columns()
            featurizer.topic_scale = LEXICON_SCALE
            featurizer.cue_scale = CUE_SCALE
        return cls(featurizer, word_map, char_map)

    def rows(self, analysed: Analysed, docs: np.ndarray) -> Rows:
        """Feature rows of analysed texts *docs* (the same as ``featurizer.rows``)."""
        f = self.featurizer
        word_rows, char_rows, coverage = [], [], np.ones(len(docs))
        for row, d in enumerate(docs):
            local = self.word_map[analysed.words[d]]
            n = int(analysed.n_tokens[d])
            if n:
                coverage[row] = float(np.count_nonzero(local[:n] >= 0)) / n
            word_rows.append(local[local >= 0])
            chars = self.char_map[analysed.chars[d]]
            char_rows.append(chars[chars >= 0])
        blocks = [_tfidf(word_rows, f.word.idf), _tfidf(char_rows, f.char.idf)]
        topical = np.zeros(len(docs), dtype=bool)
        if f.topics:
            is_topic = np.asarray([not is_cue(c) for c in f.topics], dtype=bool)
            topical = np.asarray([is_topic[analysed.topics[d]].any() for d in docs], dtype=bool)
            blocks.append(_binary([analysed.topics[d] for d in docs], f._column_values()))
        return Rows(blocks, coverage, analysed.n_tokens[docs].astype(np.float64), topical)


def _fit_block(terms: list[str], rows: list[np.ndarray], min_df: int) -> tuple[Block, np.ndarray]:
    """The block of terms in at least *min_df* of *rows*, and the map to its columns."""
    n, width = len(rows), len(terms)
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=n)
    doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
    ids = np.concatenate(rows) if n else np.zeros(0, dtype=np.int64)
    pairs, _ = _unique_counts(doc * width + ids)
    df = np.bincount(pairs % width, minlength=width)
    kept = np.flatnonzero(df >= min_df)
    # columns in the order of the terms, as scikit-learn sorts its vocabulary
    order = sorted(kept.tolist(), key=terms.__getitem__)
    mapping = np.full(width, -1, dtype=np.int64)
    mapping[order] = np.arange(len(order))
    idf = np.log((1 + n) / (1 + df[order].astype(np.float64))) + 1
    return Block([terms[i] for i in order], idf), mapping


def _unique_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and how often each occurs (a sort: numpy's hashing unique is
    many times slower on these arrays)."""
    if len(keys) == 0:
        return keys, np.zeros(0, dtype=np.int64)
    keys = np.sort(keys)
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return keys[starts], np.diff(np.append(starts, len(keys)))
