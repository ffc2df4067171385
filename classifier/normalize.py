"""Normalisation of informal Indonesian social-media text before vectorising.

URLs and @handles are masked, hashtags keep their words, elongated letters are
collapsed, phone numbers and NIK are masked, and informal spellings are mapped to
formal ones from ``data/slang.tsv``.
"""

import re
from functools import cache, lru_cache
from importlib.resources import files

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_NIK = re.compile(r"\b\d{16}\b")
_PHONE = re.compile(r"(?:\+?62|0)8[\d\s-]{7,14}\d")
_LONG_NUMBER = re.compile(r"\b\d{9,}\b")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
_REPEAT_MARK = re.compile(r"\b([a-z]+)2\b")


@cache
def slang() -> dict[str, str]:
    """The informal-to-formal dictionary (one ``informal<TAB>formal`` pair a line)."""
    table: dict[str, str] = {}
    text = files("classifier.data").joinpath("slang.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        informal, _, formal = line.partition("\t")
        table[informal.strip()] = formal.strip()
    return table


#: how much of a text decides its category, place and duplicates: the first 20,000
#: characters (a complaint is a few sentences; a 5 MB post would take the classifier's
#: features and the regexes to gigabytes). The whole text is still stored and shown.
DECIDING_CHARS = 20_000


def deciding_part(text: str) -> str:
    """The start of *text* that classification and routing read: at most
    ``DECIDING_CHARS`` characters, cut at a space near the end when there is one."""
    limit = DECIDING_CHARS
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", max(0, limit - 100))
    return cut[:space] if space > 0 else cut


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Lower-cased, masked and de-slanged text, tokens separated by single spaces.

    Cached: routing normalises each mention for the classifier, the rules and the
    duplicate check within moments.
    """
    text = _URL.sub(" urlx ", text)
    text = _HANDLE.sub(" userx ", text)
    text = _HASHTAG.sub(lambda m: " " + _split_hashtag(m.group(1)) + " ", text)
    text = _NIK.sub(" nikx ", text)
    text = _PHONE.sub(" teleponx ", text)
    text = _LONG_NUMBER.sub(" nomorx ", text)
    text = text.lower()
    text = _ELONGATED.sub(r"\1", text)
    text = _REPEAT_MARK.sub(r"\1 \1", text)
    table = slang()
    out = []
    for token in _TOKEN.findall(text):
        formal = table.get(token)
        out.append(formal if formal is not None else token)
    return " ".join(out)


@cache
def hashtag_words() -> frozenset[str]:
    """Words a run-together hashtag may be split into (``data/words.txt``)."""
    text = files("classifier.data").joinpath("words.txt").read_text(encoding="utf-8")
    return frozenset(w for w in text.split() if not w.startswith("#"))


def _split_hashtag(tag: str) -> str:
    """The hashtag's words where it can be split, followed by the tag itself."""
    parts = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", tag)
    if len(parts) > 1:  # CamelCase: #LampuJalanMati
        return " ".join(parts)
    words = segment(tag.lower())
    return f"{' '.join(words)} {tag}" if len(words) > 1 else tag


def segment(text: str) -> list[str]:
    """Split run-together words into the fewest known words; [text] if they don't cover it."""
    vocab = hashtag_words()
    n = len(text)
    # best[i]: fewest words covering text[:i], with the split point before the last word
    best: list[tuple[int, int] | None] = [None] * (n + 1)
    best[0] = (0, 0)
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end - 2):
            prev = best[start]
            if prev is not None and text[start:end] in vocab:
                candidate = (prev[0] + 1, start)
                current = best[end]
                if current is None or candidate[0] < current[0]:
                    best[end] = candidate
    if best[n] is None:
        return [text]
    words = []
    end = n
    while end > 0:
        entry = best[end]
        assert entry is not None
        words.append(text[entry[1] : end])
        end = entry[1]
    return words[::-1]
